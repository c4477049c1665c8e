/**
 * When a failed attempt is tried again, and how long the client waits first: exponential backoff
 * with full jitter, and retries only where they cannot apply a write twice.
 */
import type { ClientErrorCode } from "./client_error.ts";

/** Bounds of the backoff, in milliseconds: the first retry waits up to `base`, each later one up to twice as long, never more than `max`. */
export interface BackoffMs {
  readonly base: number;
  readonly max: number;
}

/** Waits `ms` milliseconds; resolves early when `signal` aborts. */
export type SleepFunction = (ms: number, signal?: AbortSignal) => Promise<void>;

/**
 * Failures worth another attempt: the node or the cluster may serve the call a moment later, or
 * another node may. Everything else (validation, compare-and-set, auth, not found…) answers the same again.
 */
const TRANSIENT_CODES: ReadonlySet<ClientErrorCode> = new Set<ClientErrorCode>([
  "not_leader",
  "no_leader",
  "storage_unavailable",
  "leader_unreachable",
  "timeout",
  "overloaded",
  "leader_transferring",
  "shutting_down",
  "internal",
  "network",
  "invalid_response",
]);

/** True for failures another attempt may overcome. */
export function isTransient(code: ClientErrorCode): boolean {
  return TRANSIENT_CODES.has(code);
}

/** What a retry decision needs to know about the call and its failed attempt. */
export interface RetryFacts {
  /** Reads never change anything, so retrying them is always safe. */
  readonly kind: "read" | "write";
  /** The write carries an idempotency key: the service applies it at most once. */
  readonly idempotent: boolean;
  /** The attempt certainly did not take effect. */
  readonly definite: boolean;
  /** Another attempt may succeed. */
  readonly transient: boolean;
}

/**
 * True when another attempt is safe and useful: a transient failure of a read, of a write that
 * certainly did not take effect, or of a write with an idempotency key. A write without one whose
 * attempt may have been applied is never repeated: the caller gets the indefinite failure.
 */
export function isRetrySafe(facts: RetryFacts): boolean {
  if (!facts.transient) return false;
  if (facts.kind === "read") return true;
  return facts.definite || facts.idempotent;
}

/** The upper bound of the wait before retry number `retry` (1 = the first retry): min(max, base · 2^(retry−1)). */
export function backoffCeiling(retry: number, backoff: BackoffMs): number {
  if (!Number.isInteger(retry) || retry < 1) throw new RangeError(`retry must be a positive integer: ${retry}`);
  // 2^30 already exceeds any sane max; capping the exponent keeps the number finite.
  return Math.min(backoff.max, backoff.base * 2 ** Math.min(retry - 1, 30));
}

/**
 * The wait before retry number `retry` with full jitter: uniform in [0, ceiling), drawn from
 * `random` (a function returning numbers in [0, 1), like Math.random).
 */
export function backoffDelay(retry: number, backoff: BackoffMs, random: () => number): number {
  const r = random();
  if (!(r >= 0 && r < 1)) throw new RangeError(`random() must return a number in [0, 1): ${r}`);
  return Math.floor(r * backoffCeiling(retry, backoff));
}

/**
 * Waits `ms` milliseconds, or less if `signal` aborts. It uses a timer where the runtime has one
 * (Node does not keep a process alive for `AbortSignal.timeout` alone: a script waiting only on
 * such a sleep exits with status 13), else `AbortSignal.timeout`.
 */
export const sleep: SleepFunction = (ms, signal) => {
  if (ms <= 0 || signal?.aborted === true) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      signal?.removeEventListener("abort", done);
      if (timer !== undefined) clearTimeout(timer);
      resolve();
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (typeof setTimeout === "function") timer = setTimeout(done, ms);
    else AbortSignal.timeout(ms).addEventListener("abort", done, { once: true });
    signal?.addEventListener("abort", done, { once: true });
  });
};
