/** The node's single Raft timer: a randomised election timeout, or the leader's heartbeat interval. */
import type { Clock, TimerHandle } from "./clock.ts";

/** Timer durations. */
export interface TimerSettings {
  /** Base election timeout; followers and candidates wait a random time in [base, 2 × base). */
  readonly electionTimeoutMs: number;
  /** The leader's heartbeat interval. */
  readonly heartbeatMs: number;
}

/** Re-armed on every SetElectionTimeout action; fires `onFire` once per arming. */
export class ElectionTimer {
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #settings: TimerSettings;
  readonly #onFire: () => void;
  #handle: TimerHandle | null = null;

  /** Creates a stopped timer. */
  constructor(clock: Clock, random: () => number, settings: TimerSettings, onFire: () => void) {
    this.#clock = clock;
    this.#random = random;
    this.#settings = settings;
    this.#onFire = onFire;
  }

  /** The duration the timer would use for `isLeader` (exposed for tests). */
  durationFor(isLeader: boolean): number {
    if (isLeader) return this.#settings.heartbeatMs;
    const base = this.#settings.electionTimeoutMs;
    return base + Math.floor(this.#random() * base);
  }

  /** Cancels any pending expiry and arms a new one. */
  reset(isLeader: boolean): void {
    this.stop();
    this.#handle = this.#clock.setTimeout(() => {
      this.#handle = null;
      this.#onFire();
    }, this.durationFor(isLeader));
  }

  /** Cancels any pending expiry. */
  stop(): void {
    if (this.#handle !== null) this.#clock.clearTimeout(this.#handle);
    this.#handle = null;
  }
}
