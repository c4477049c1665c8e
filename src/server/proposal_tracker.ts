/** Clients waiting for their proposed entries to be applied: bounded, with a timeout each. */
import type { LogPosition } from "../core/mod.ts";
import type { Clock, TimerHandle } from "./clock.ts";

/** How a tracked proposal ended. */
export type ProposalOutcome<R> =
  | { readonly kind: "applied"; readonly result: R; readonly index: number }
  /** Another entry was committed at this index: the proposal will never take effect. */
  | { readonly kind: "superseded" }
  /** Still undecided when the wait ended: it may or may not take effect. */
  | { readonly kind: "timeout" }
  /** The node is stopping: the proposal may or may not take effect. */
  | { readonly kind: "stopped" };

interface Waiter<R> {
  readonly term: number;
  readonly resolve: (outcome: ProposalOutcome<R>) => void;
  readonly timer: TimerHandle;
}

/** Tracks at most `capacity` proposals, keyed by log index. */
export class ProposalTracker<R> {
  readonly #waiters = new Map<number, Waiter<R>>();
  readonly #capacity: number;
  readonly #clock: Clock;
  readonly #timeoutMs: number;

  /** Creates an empty tracker. */
  constructor(capacity: number, clock: Clock, timeoutMs: number) {
    this.#capacity = capacity;
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
  }

  /** The number of waiting proposals. */
  get size(): number {
    return this.#waiters.size;
  }

  /** True iff no more proposals may be tracked (callers answer "overloaded" instead of proposing). */
  get isFull(): boolean {
    return this.#waiters.size >= this.#capacity;
  }

  /** Waits for the entry proposed at `position`. */
  track(position: LogPosition): Promise<ProposalOutcome<R>> {
    if (this.isFull) throw new Error("ProposalTracker.track() called while full");
    return new Promise((resolve) => {
      const timer = this.#clock.setTimeout(() => this.#finish(position.index, { kind: "timeout" }), this.#timeoutMs);
      this.#waiters.get(position.index)?.resolve({ kind: "superseded" });
      this.#waiters.set(position.index, { term: position.term, resolve, timer });
    });
  }

  /** The entry at `index` (of `term`) was applied with `result`. */
  applied(index: number, term: number, result: R): void {
    const waiter = this.#waiters.get(index);
    if (waiter === undefined) return;
    this.#finish(index, waiter.term === term ? { kind: "applied", result, index } : { kind: "superseded" });
  }

  /** Entries up to `index` are in a snapshot we installed: their results are unknown here. */
  skippedThrough(index: number): void {
    for (const at of [...this.#waiters.keys()]) if (at <= index) this.#finish(at, { kind: "timeout" });
  }

  /** Ends every wait (node stopping). */
  stopAll(): void {
    for (const at of [...this.#waiters.keys()]) this.#finish(at, { kind: "stopped" });
  }

  #finish(index: number, outcome: ProposalOutcome<R>): void {
    const waiter = this.#waiters.get(index);
    if (waiter === undefined) return;
    this.#waiters.delete(index);
    this.#clock.clearTimeout(waiter.timer);
    waiter.resolve(outcome);
  }
}
