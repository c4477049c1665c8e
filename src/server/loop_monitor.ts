/**
 * Measures how long the event loop stalls: a timer asks to run every {@link LOOP_PROBE_MS} ms, and
 * whatever it runs late by is time the loop spent on something else (a long synchronous turn, a
 * garbage collection). The longest lateness since start is kept for `/metrics`.
 */

/** How often the probe timer asks to run, in milliseconds. */
export const LOOP_PROBE_MS = 20;

/** The probe; {@link LoopMonitor.stop} ends it. The timer does not keep the process alive. */
export class LoopMonitor {
  #maxStallMs = 0;
  #last: number;
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #now: () => number;

  /** Starts probing now; `now` is a monotonic clock in milliseconds (default `performance.now`). */
  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
    this.#last = now();
    this.#timer = setInterval(() => this.probe(), LOOP_PROBE_MS);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** The longest stall seen since start, in seconds. */
  get maxStallSeconds(): number {
    return this.#maxStallMs / 1000;
  }

  /** One tick of the probe (called by the timer; exposed so a test can drive it). */
  probe(): void {
    const now = this.#now();
    const late = now - this.#last - LOOP_PROBE_MS;
    if (late > this.#maxStallMs) this.#maxStallMs = late;
    this.#last = now;
  }

  /** Stops the timer. */
  stop(): void {
    clearInterval(this.#timer);
  }
}
