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

/**
 * Calls `fn` until it returns a value other than `undefined`, `null` or `false`, and resolves with
 * that value. An attempt that throws counts as "not yet". After `timeoutMs` it throws an error
 * naming `what`, the time waited, the number of attempts and the last failure or value seen.
 * Each attempt is awaited, so a slow `fn` is never called concurrently with itself.
 */
export async function waitFor<T>(
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: WaitForOptions,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 50;
  const start = Date.now();
  let attempts = 0;
  let last = "no attempt finished";
  for (;;) {
    attempts++;
    try {
      const value = await fn();
      if (value !== undefined && value !== null && value !== false) return value;
      last = `last result: ${String(value)}`;
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
