/** Polling with a deadline, for tests that wait on real processes and the network. */

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this many milliseconds (default 10 000). */
  readonly timeoutMs?: number;
  /** Pause between attempts in milliseconds (default 50). */
  readonly intervalMs?: number;
  /** What is being waited for, for the error message (e.g. "n2 to apply index 40"). */
  readonly what: string;
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The message of a thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Settles like `promise`, or resolves with `onTimeout` after `ms` milliseconds, whichever is first. */
export async function within<T, U>(promise: Promise<T>, ms: number, onTimeout: U): Promise<T | U> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<U>((resolve) => {
    timer = setTimeout(() => resolve(onTimeout), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Marks an attempt that was still running when the deadline passed. */
const STILL_RUNNING = Symbol("still running");

/**
 * Calls `fn` until it returns a value other than `undefined`, `null` or `false`, and resolves with
 * that value. An attempt that throws counts as "not yet". After `timeoutMs` (including an attempt
 * that is still running then) it throws an error naming `what`, the time waited, the number of
 * attempts and the last failure or value seen. Attempts never overlap.
 */
export async function waitFor<T>(
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: WaitForOptions,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 50;
  const start = Date.now();
  let last = "no attempt finished";
  for (let attempts = 1; ; attempts++) {
    try {
      const left = Math.max(1, timeoutMs - (Date.now() - start));
      const value = await within(Promise.resolve().then(fn), left, STILL_RUNNING);
      if (value === STILL_RUNNING) last = "the last attempt was still running at the deadline";
      else if (value !== undefined && value !== null && value !== false) return value;
      else last = `last result: ${String(value)}`;
    } catch (error) {
      last = `last error: ${errorMessage(error)}`;
    }
    const waited = Date.now() - start;
    if (waited >= timeoutMs) {
      throw new Error(`timed out after ${waited} ms (${attempts} attempts) waiting for ${options.what}; ${last}`);
    }
    await delay(Math.min(intervalMs, Math.max(1, timeoutMs - waited)));
  }
}
