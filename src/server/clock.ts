/** Time, timers and turns of the event loop for the runtime, injectable so the simulator controls them. */
import { setImmediate } from "node:timers";

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
  /** Calls `fn` on a later turn of the event loop, after what is queued now (I/O included). */
  defer(fn: () => void): void;
}

/** The process's real clock. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  defer: (fn) => {
    setImmediate(fn);
  },
};

/** Resolves after `ms` milliseconds of `clock` time. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => {
    clock.setTimeout(resolve, ms);
  });
}
