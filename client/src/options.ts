/** The options of a {@link RaftClient} (see raft_client.ts), their defaults and their checks. */
import { newIdempotencyKey } from "./idempotency.ts";
import { type BackoffMs, type SleepFunction, sleep } from "./retry.ts";

/** Sends one request: the global `fetch`, a Workers service binding's `fetch`, or a fake in tests. */
export type FetchFunction = (request: Request) => Promise<Response>;

/**
 * How the client reaches the leader: `redirect` (default) asks followers for a 307 to the leader
 * (`?redirect=true`) and then talks to the leader directly; `forward` lets followers forward
 * requests to the leader (for clients that cannot reach the members' advertised URLs).
 */
export type Routing = "redirect" | "forward";

/** Options of a {@link RaftClient}. */
export interface RaftClientOptions {
  /** One or more node URLs (`http://` or `https://`, maybe with a path prefix). */
  readonly endpoints: readonly string[];
  /** Bearer token of every call (the admin token, or the read-only token for reads). */
  readonly token?: string;
  /** Deadline of each attempt in milliseconds (default 5000). */
  readonly timeoutMs?: number;
  /** Attempts of a call that may be retried, the first one included (default 5). */
  readonly attempts?: number;
  /** Backoff between attempts, exponential with full jitter (default base 200 ms, max 5000 ms). */
  readonly backoffMs?: BackoffMs;
  /** Sends requests (default: the global `fetch`). For a Workers service binding pass `(r) => env.API.fetch(r)`. */
  readonly fetch?: FetchFunction;
  /** How the client reaches the leader (default `redirect`). */
  readonly routing?: Routing;
  /** Numbers in [0, 1) for the backoff's jitter (default Math.random; inject a seeded one for repeatable runs). */
  readonly random?: () => number;
  /** Waits between attempts (default a timer that an aborted call cuts short). */
  readonly sleep?: SleepFunction;
  /** Makes the idempotency key of each write that brings none (default `crypto.randomUUID()`). */
  readonly newIdempotencyKey?: () => string;
}

/** The options with every default filled in. */
export interface ResolvedOptions {
  readonly endpoints: readonly string[];
  readonly token: string | undefined;
  readonly timeoutMs: number;
  readonly attempts: number;
  readonly backoffMs: BackoffMs;
  readonly fetch: FetchFunction;
  readonly routing: Routing;
  readonly random: () => number;
  readonly sleep: SleepFunction;
  readonly newIdempotencyKey: () => string;
}

/** Default deadline of an attempt. */
export const DEFAULT_TIMEOUT_MS = 5000;
/** Default attempts of a retryable call. */
export const DEFAULT_ATTEMPTS = 5;
/** Default backoff: long enough in total to ride out a leader election (about two election timeouts). */
export const DEFAULT_BACKOFF_MS: BackoffMs = { base: 200, max: 5000 };
/** Most attempts a call may be configured with. */
export const MAX_ATTEMPTS = 100;

/** `options` with defaults filled in; throws TypeError or RangeError on options no client can run with. */
export function resolveOptions(options: RaftClientOptions): ResolvedOptions {
  if (typeof options !== "object" || options === null) throw new TypeError("RaftClient options must be an object");
  const backoffMs = options.backoffMs ?? DEFAULT_BACKOFF_MS;
  checkBackoff(backoffMs);
  const routing = options.routing ?? "redirect";
  if (routing !== "redirect" && routing !== "forward") throw new TypeError(`unknown routing: ${String(routing)}`);
  if (options.token !== undefined && (typeof options.token !== "string" || options.token === "")) {
    throw new TypeError("token must be a non-empty string");
  }
  return {
    endpoints: normalizeEndpoints(options.endpoints),
    token: options.token,
    timeoutMs: checkTimeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    attempts: checkAttempts(options.attempts ?? DEFAULT_ATTEMPTS),
    backoffMs: { base: backoffMs.base, max: backoffMs.max },
    fetch: options.fetch ?? ((request) => fetch(request)),
    routing,
    random: options.random ?? Math.random,
    sleep: options.sleep ?? sleep,
    newIdempotencyKey: options.newIdempotencyKey ?? newIdempotencyKey,
  };
}

/** `ms` if it is a positive integer (an attempt's deadline); else throws. */
export function checkTimeout(ms: number): number {
  if (!Number.isInteger(ms) || ms <= 0) throw new RangeError(`timeoutMs must be a positive integer: ${ms}`);
  return ms;
}

/** `n` if it is an integer in 1..{@link MAX_ATTEMPTS}; else throws. */
export function checkAttempts(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > MAX_ATTEMPTS) {
    throw new RangeError(`attempts must be an integer in 1..${MAX_ATTEMPTS}: ${n}`);
  }
  return n;
}

/** Throws unless 0 < base <= max, both finite. */
function checkBackoff(backoff: BackoffMs): void {
  const { base, max } = backoff ?? {};
  if (!Number.isFinite(base) || base <= 0) throw new RangeError(`backoffMs.base must be a positive number: ${base}`);
  if (!Number.isFinite(max) || max < base) throw new RangeError(`backoffMs.max must be at least base: ${max}`);
}

/** The endpoints as absolute http(s) URLs without a trailing slash, query or fragment; throws on anything else. */
export function normalizeEndpoints(endpoints: readonly string[]): string[] {
  if (!Array.isArray(endpoints) || endpoints.length === 0) {
    throw new TypeError("endpoints must be a non-empty array of node URLs");
  }
  const out = endpoints.map(normalizeEndpoint);
  if (new Set(out).size !== out.length) throw new TypeError(`endpoints must differ: ${out.join(", ")}`);
  return out;
}

/** One endpoint as a base URL (origin and path prefix, no trailing slash). */
export function normalizeEndpoint(endpoint: string): string {
  if (typeof endpoint !== "string") throw new TypeError(`an endpoint must be a URL string, not ${typeof endpoint}`);
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new TypeError(`an endpoint must be an absolute URL: ${endpoint}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`an endpoint must be an http or https URL: ${endpoint}`);
  }
  if (url.search !== "" || url.hash !== "") throw new TypeError(`an endpoint takes no query or fragment: ${endpoint}`);
  if (url.username !== "" || url.password !== "") throw new TypeError(`pass credentials as token, not in the URL`);
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}
