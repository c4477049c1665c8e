/**
 * Reports of unexpected errors in the HTTP API, rate-limited so that a flood of bad requests cannot
 * flood the log: at most a few full reports (with the stack) per window; past that, errors are only
 * counted, and one line at the end of the window says how many were left out.
 */
import type { Logger } from "../server/logger.ts";

/** Reports one unexpected error raised while serving `request`. */
export type ErrorReport = (err: unknown, request: Request) => void;

/** Options of {@link rateLimitedErrorReports}. */
export interface ErrorReportOptions {
  /** Full reports per window; default 5. */
  readonly maxPerWindow?: number;
  /** The window, in milliseconds; default 1000. */
  readonly windowMs?: number;
  /** The clock; default `Date.now`. */
  readonly now?: () => number;
  /** Runs `fn` after `ms` milliseconds; default `setTimeout` (not keeping the process alive). */
  readonly schedule?: (fn: () => void, ms: number) => void;
}

/** Reports through `logger.error`, at most `maxPerWindow` in full per window, then a count. */
export function rateLimitedErrorReports(logger: Logger, options: ErrorReportOptions = {}): ErrorReport {
  const max = options.maxPerWindow ?? 5;
  const windowMs = options.windowMs ?? 1000;
  const now = options.now ?? Date.now;
  const schedule = options.schedule ?? unrefTimeout;
  let windowStart = Number.NEGATIVE_INFINITY;
  let reported = 0;
  let suppressed = 0;
  const flush = () => {
    if (suppressed === 0) return;
    const count = suppressed === 1 ? "1 more unexpected error" : `${suppressed} more unexpected errors`;
    logger.error(
      `Left out the reports of ${count} in the HTTP API within ${windowMs} ms (at most ${max} are reported)`,
    );
    suppressed = 0;
  };
  return (err, request) => {
    const t = now();
    if (t - windowStart >= windowMs) {
      windowStart = t;
      reported = 0;
    }
    if (reported < max) {
      reported++;
      logger.error(`Unexpected error while serving ${describeRequest(request)}: ${describeError(err)}`);
      return;
    }
    // The first error left out in this window arms the one line that counts them all.
    if (suppressed++ === 0) schedule(flush, Math.max(0, windowStart + windowMs - t));
  };
}

/** `METHOD /path` of a request, the path cut short if it is long. */
function describeRequest(request: Request): string {
  const path = new URL(request.url).pathname;
  return `${request.method} ${path.length > 200 ? `${path.slice(0, 200)}…` : path}`;
}

/** An error with its stack (some runtimes leave the name and message out of `stack`) and cause. */
function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const head = `${err.name}: ${err.message}`;
  const stack = err.stack ?? "";
  const text = stack.startsWith(err.name) ? stack : stack === "" ? head : `${head}\n${stack}`;
  if (err.cause === undefined) return text;
  const cause = err.cause instanceof Error ? `${err.cause.name}: ${err.cause.message}` : String(err.cause);
  return `${text}\ncaused by ${cause}`;
}

function unrefTimeout(fn: () => void, ms: number): void {
  const timer: unknown = setTimeout(fn, ms);
  if (typeof timer === "object" && timer !== null && "unref" in timer) (timer as { unref(): void }).unref();
}
