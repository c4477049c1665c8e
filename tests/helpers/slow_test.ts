/**
 * Long-running tests on both test runners. `bun:test` reads a number third argument of `it` as
 * the timeout, but Deno (where `bun:test` maps to `node:test`) ignores it; both read `{ timeout }`
 * as the second argument, so {@link slowIt} passes that shape. It also adds its own deadline, so a
 * stuck test fails with a message and runs `onFailure` (e.g. to print node output) first.
 */
import { it } from "bun:test";

/** True when the tests run under Deno. */
export const IS_DENO = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";

/** Options of {@link slowIt}. */
export interface SlowItOptions {
  /** The test fails after this many milliseconds. */
  readonly timeoutMs: number;
  /** Called with the error when the test fails or times out, before the failure is reported. */
  readonly onFailure?: (error: unknown) => void;
}

/** Slack between our own deadline and the runner's, so ours (with its message and logs) fires first. */
const RUNNER_SLACK_MS = 10_000;

/** Runs `fn` with a deadline; on failure calls `onFailure` and rethrows. */
async function runWithDeadline(name: string, fn: () => Promise<void>, options: SlowItOptions): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`test '${name}' did not finish within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
  });
  try {
    await Promise.race([fn(), deadline]);
  } catch (error) {
    options.onFailure?.(error);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Registers a test that may take up to `options.timeoutMs`, on Bun and on Deno alike. */
export function slowIt(name: string, fn: () => Promise<void>, options: SlowItOptions): void {
  const body = () => runWithDeadline(name, fn, options);
  it(name, { timeout: options.timeoutMs + RUNNER_SLACK_MS }, body);
}
