/** Time and randomness for the runtime, injectable so tests can control them. */

/** A handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

/** The runtime's view of time. */
export interface Clock {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /** Calls `fn` after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a pending call. */
  clearTimeout(handle: TimerHandle): void;
}

/** The process's real clock. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
