/**
 * The dashboard's behaviour without the DOM: polls the node serving the page about once a second,
 * keeps the token, runs the admin actions one at a time and hands everything to show to `render`.
 */
import {
  finishedEntry,
  membershipText,
  type ResultEntry,
  snapshotText,
  transferText,
  withResult,
} from "./action_results.ts";
import type { ClientResult, DashboardApi } from "./api.ts";
import { type DashboardView, dashboardView, type UiState } from "./dashboard_view.ts";
import { errorLine, isUnauthorized } from "./format.ts";
import { foldMembers, foldStatus, INITIAL_POLL_STATE, type PollState } from "./poll_state.ts";
import type { TokenStore } from "./token_store.ts";

/** Pause between the end of one poll and the start of the next. */
export const POLL_INTERVAL_MS = 1_000;

/** Everything the page shows at one moment. */
export interface DashboardSnapshot {
  readonly view: DashboardView;
  readonly ui: UiState;
  readonly results: readonly ResultEntry[];
  /** The token prompt, or null when none is needed. */
  readonly authPrompt: string | null;
  /** What the page does with the token. */
  readonly tokenState: string;
}

/** What a {@link Dashboard} works with. */
export interface DashboardOptions {
  /** The address the page was loaded from (its node). */
  readonly origin: string;
  readonly tokens: TokenStore;
  /** A client of the page's node with `token`: one for polls (short timeouts), one for actions. */
  readonly makeApi: (token: string | null, purpose: "poll" | "action") => DashboardApi;
  readonly render: (snapshot: DashboardSnapshot) => void;
  /** The clock (default `Date.now`). */
  readonly now?: () => number;
  /** Default {@link POLL_INTERVAL_MS}. */
  readonly pollIntervalMs?: number;
}

/** The live dashboard of one node. */
export class Dashboard {
  readonly #o: DashboardOptions;
  #poll: DashboardApi;
  #act: DashboardApi;
  #state: PollState = INITIAL_POLL_STATE;
  #results: ResultEntry[] = [];
  #ui: UiState = { busy: false, confirmRemove: null };
  #seq = 0;
  /** Bumped when the token changes: answers to older polls are dropped. */
  #generation = 0;
  /** The polls under way, or null. */
  #loop: Promise<void> | null = null;
  #pollAgain = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #ticker: ReturnType<typeof setInterval> | undefined;
  /** Between start() and stop(): polls schedule the next one. */
  #running = false;
  #stopped = false;

  /** A dashboard that does nothing until {@link Dashboard.start}. */
  constructor(options: DashboardOptions) {
    this.#o = options;
    this.#poll = options.makeApi(options.tokens.token, "poll");
    this.#act = options.makeApi(options.tokens.token, "action");
  }

  /** Starts polling (and re-renders every second, so ages stay true while a poll waits). */
  start(): void {
    this.#running = true;
    this.#ticker = setInterval(() => this.#render(), 1_000);
    void this.pollNow();
  }

  /** Stops polling (a poll under way still finishes). */
  stop(): void {
    this.#running = false;
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearInterval(this.#ticker);
  }

  /** Uses `token` from now on (an empty one means none) and polls at once. */
  useToken(token: string): void {
    this.#o.tokens.set(token);
    this.#tokenChanged();
  }

  /** Forgets the token and polls at once. */
  forgetToken(): void {
    this.#o.tokens.clear();
    this.#tokenChanged();
  }

  /**
   * Polls now; when a poll is under way, another follows as soon as it ends. Resolves once no poll
   * is running; while started, the next one is due a poll interval later.
   */
  pollNow(): Promise<void> {
    if (this.#loop !== null) {
      this.#pollAgain = true;
      return this.#loop;
    }
    clearTimeout(this.#timer);
    this.#loop = this.#pollLoop().finally(() => {
      this.#loop = null;
      if (this.#running)
        this.#timer = setTimeout(() => void this.pollNow(), this.#o.pollIntervalMs ?? POLL_INTERVAL_MS);
    });
    return this.#loop;
  }

  async #pollLoop(): Promise<void> {
    do {
      this.#pollAgain = false;
      await this.#pollOnce();
    } while (this.#pollAgain && !this.#stopped);
  }

  /** Hands leadership to `to`, or to the most caught-up voter when null. */
  transfer(to: string | null): Promise<void> {
    const action = to === null ? "Transfer leadership to the most caught-up voter" : `Transfer leadership to ${to}`;
    return this.#run(action, () => this.#act.transferLeader(to === null ? {} : { to }), transferText);
  }

  /** Takes a snapshot on the node serving the page. */
  snapshot(): Promise<void> {
    const node = this.#state.status?.value.id ?? this.#o.origin;
    return this.#run(`Take a snapshot on ${node}`, () => this.#act.snapshot(), snapshotText);
  }

  /** Adds member `id` at `url` (staying a learner when `learner`). */
  addMember(id: string, url: string, learner: boolean): Promise<void> {
    const what = learner ? "was added as a learner" : "was added as a learner, promoted to voter once caught up";
    const action = `Add ${id} at ${url}${learner ? " as a learner" : ""}`;
    return this.#run(action, () => this.#act.addMember({ id, url, learner }), membershipText(id, what));
  }

  /** Promotes learner `id` to voter. */
  promote(id: string): Promise<void> {
    return this.#run(`Promote ${id}`, () => this.#act.promoteMember(id), membershipText(id, "is now a voter"));
  }

  /** Asks for confirmation before removing `id` (null cancels). */
  askRemove(id: string | null): void {
    this.#ui = { ...this.#ui, confirmRemove: id };
    this.#render();
  }

  /** Removes `id` (with `force`, even if the voters left could not reach a quorum). */
  remove(id: string, force: boolean): Promise<void> {
    this.#ui = { ...this.#ui, confirmRemove: null };
    const action = `Remove ${id}${force ? " (force)" : ""}`;
    return this.#run(action, () => this.#act.removeMember(id, { force }), membershipText(id, "was removed"));
  }

  #tokenChanged(): void {
    this.#generation++;
    this.#poll = this.#o.makeApi(this.#o.tokens.token, "poll");
    this.#act = this.#o.makeApi(this.#o.tokens.token, "action");
    this.#render();
    void this.pollNow();
  }

  /** Asks for the status and the members at once and shows each answer when it comes (one may be slow). */
  async #pollOnce(): Promise<void> {
    const generation = this.#generation;
    const api = this.#poll;
    const status = api.status().then((result) => {
      if (generation !== this.#generation) return; // Asked with the token that was replaced meanwhile.
      this.#state = foldStatus(this.#state, result, this.#now());
      this.#render();
    });
    const members = api.members().then((result) => {
      if (generation !== this.#generation) return; // Likewise.
      this.#state = foldMembers(this.#state, result, this.#now());
      this.#render();
    });
    await Promise.all([status, members]);
  }

  /** Runs one admin action (one at a time), shows it pending, then its outcome, then polls. */
  async #run<T>(action: string, call: () => Promise<ClientResult<T>>, ok: (value: T, by: string | null) => string) {
    if (this.#ui.busy) return;
    const pending: ResultEntry = {
      seq: ++this.#seq,
      at: this.#now(),
      action,
      outcome: "pending",
      summary: "Waiting for the cluster…",
    };
    this.#results = withResult(this.#results, pending);
    this.#ui = { ...this.#ui, busy: true };
    this.#render();
    let result: ClientResult<T>;
    try {
      result = await call();
    } catch (error) {
      // The client reports failures as results; a throw is a bug, shown rather than lost.
      const message = error instanceof Error ? error.message : String(error);
      result = {
        ok: false,
        error: { code: "internal", message: `The page failed: ${message}`, definite: false, attempts: 0 },
      };
    }
    this.#results = withResult(this.#results, finishedEntry(pending, result, ok, this.#now()));
    this.#ui = { ...this.#ui, busy: false };
    this.#render();
    void this.pollNow();
  }

  #render(): void {
    const view = dashboardView(this.#state, this.#now(), this.#o.origin);
    this.#o.render({
      view,
      ui: this.#ui,
      results: this.#results,
      authPrompt: this.#authPrompt(),
      tokenState: this.#tokenState(),
    });
  }

  #authPrompt(): string | null {
    const error = this.#state.statusError;
    if (error === null || !isUnauthorized(error)) return null;
    if (this.#o.tokens.token === null) {
      return "This node needs an API token. Enter the admin token below (the read-only token shows the data but cannot run actions).";
    }
    return `The node refused the token you entered (${errorLine(error)}). Enter the admin token.`;
  }

  #tokenState(): string {
    if (this.#o.tokens.token === null) {
      return "No token: requests carry none (enough for a node started with --insecure-no-auth true).";
    }
    return "Requests carry the token you entered (kept in this tab's session storage until the tab closes).";
  }

  #now(): number {
    return (this.#o.now ?? Date.now)();
  }
}
