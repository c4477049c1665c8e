/**
 * Clients waiting for their proposed entries to be applied: bounded, with a timeout each. Every
 * wait lasts the same time, so waits end in the order they began: one timer, armed for the oldest
 * wait still open, serves them all (a timer per proposal cost more than the rest of tracking it).
 */
import { assert, type LogPosition } from "../../packages/core/src/mod.ts";
import type { Clock, TimerHandle } from "./clock.ts";

/** How a tracked proposal ended. */
export type ProposalOutcome<R> =
  | { readonly kind: "applied"; readonly result: R; readonly index: number }
  /** Another entry was applied at this index: the proposal certainly never takes effect. */
  | { readonly kind: "superseded" }
  /** Still undecided when the wait ended: it may or may not take effect. */
  | { readonly kind: "timeout" }
  /** The node is stopping: the proposal may or may not take effect. */
  | { readonly kind: "stopped" }
  /** The node's storage failed: the proposal may or may not take effect (other nodes may commit it). */
  | { readonly kind: "storage_failed" }
  /** The leader's log flush stalled and it stepped down: the proposal may or may not take effect. */
  | { readonly kind: "storage_stalled" };

interface Waiter<R> {
  readonly position: LogPosition;
  readonly resolve: (outcome: ProposalOutcome<R>) => void;
  /** When the wait times out (clock milliseconds). */
  readonly deadline: number;
  /** True once the wait ended (the deadline queue drops it lazily). */
  done: boolean;
}

/**
 * Tracks at most `capacity` proposals by log position. Several proposals may wait at one index
 * (a leader that lost its entries and proposed again there): the entry applied at that index
 * decides each of them, since a committed index holds exactly one entry.
 */
export class ProposalTracker<R> {
  readonly #waiters = new Map<number, Waiter<R>[]>();
  readonly #capacity: number;
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  #size = 0;
  /** Waits in the order they began, hence of their deadlines; ended ones are dropped lazily. */
  #byDeadline: Waiter<R>[] = [];
  /** Where the open part of `#byDeadline` starts. */
  #head = 0;
  /** The timer armed for the deadline of the oldest open wait, or null. */
  #timer: TimerHandle | null = null;

  /** Creates an empty tracker. */
  constructor(capacity: number, clock: Clock, timeoutMs: number) {
    this.#capacity = capacity;
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
  }

  /** The number of waiting proposals. */
  get size(): number {
    return this.#size;
  }

  /** True iff no more proposals may be tracked (callers answer "overloaded" instead of proposing). */
  get isFull(): boolean {
    return this.#size >= this.#capacity;
  }

  /** Waits for the entry proposed at `position`. */
  track(position: LogPosition): Promise<ProposalOutcome<R>> {
    if (this.isFull) throw new Error("ProposalTracker.track() called while full");
    return new Promise((resolve) => {
      const waiter: Waiter<R> = { position, resolve, deadline: this.#clock.now() + this.#timeoutMs, done: false };
      const list = this.#waiters.get(position.index);
      if (list === undefined) this.#waiters.set(position.index, [waiter]);
      else list.push(waiter);
      this.#size++;
      this.#byDeadline.push(waiter);
      if (this.#timer === null) this.#arm(waiter.deadline);
    });
  }

  /** The entry at `index` (of `term`) was applied with `result`: it decides every proposal there. */
  applied(index: number, term: number, result: R): void {
    const list = this.#waiters.get(index);
    if (list === undefined) return;
    for (const waiter of [...list]) {
      this.#finish(waiter, waiter.position.term === term ? { kind: "applied", result, index } : { kind: "superseded" });
    }
  }

  /** Entries up to `index` are in a snapshot we installed: their outcomes are unknown here. */
  skippedThrough(index: number): void {
    for (const waiter of this.#all()) if (waiter.position.index <= index) this.#finish(waiter, { kind: "timeout" });
  }

  /** Ends every wait (the node is stopping, or its storage failed) with `kind`: outcomes unknown. */
  stopAll(kind: "stopped" | "storage_failed" | "storage_stalled" = "stopped"): void {
    for (const waiter of this.#all()) this.#finish(waiter, { kind });
  }

  #all(): Waiter<R>[] {
    return [...this.#waiters.values()].flat();
  }

  #finish(waiter: Waiter<R>, outcome: ProposalOutcome<R>): void {
    if (waiter.done) return; // Finished already.
    const list = this.#waiters.get(waiter.position.index);
    const at = list?.indexOf(waiter) ?? -1;
    assert(list !== undefined && at >= 0, "an open wait is tracked at its index");
    list.splice(at, 1);
    if (list.length === 0) this.#waiters.delete(waiter.position.index);
    waiter.done = true;
    this.#size--;
    this.#compact();
    waiter.resolve(outcome);
  }

  /** Arms the one timer for `deadline`. */
  #arm(deadline: number): void {
    this.#timer = this.#clock.setTimeout(() => this.#expire(deadline), Math.max(0, deadline - this.#clock.now()));
  }

  /** The timer for `deadline` fired: every open wait due by then times out; the timer follows the next one. */
  #expire(deadline: number): void {
    this.#timer = null;
    while (this.#head < this.#byDeadline.length) {
      const waiter = this.#byDeadline[this.#head];
      if (!waiter.done && waiter.deadline > deadline) break;
      this.#head++;
      this.#finish(waiter, { kind: "timeout" });
    }
    this.#compact();
    const next = this.#byDeadline[this.#head];
    if (next !== undefined) this.#arm(next.deadline);
  }

  /**
   * Drops ended waits from the front of the deadline queue, and rebuilds it when ended waits
   * make up most of it: bounded by about twice the open waits.
   */
  #compact(): void {
    const queue = this.#byDeadline;
    while (this.#head < queue.length && queue[this.#head].done) this.#head++;
    if (this.#head === queue.length) {
      this.#byDeadline = [];
      this.#head = 0;
      if (this.#timer !== null) {
        this.#clock.clearTimeout(this.#timer);
        this.#timer = null;
      }
      return;
    }
    if (queue.length - this.#head > 2 * this.#size + 64) {
      this.#byDeadline = queue.slice(this.#head).filter((w) => !w.done);
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > queue.length) {
      this.#byDeadline = queue.slice(this.#head);
      this.#head = 0;
    }
  }
}
