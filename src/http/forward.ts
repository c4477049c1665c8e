/**
 * Leader routing for the HTTP API: a request that needs the leader is handled locally on the
 * leader, forwarded to the leader from a follower, or redirected there with `?redirect=true`.
 * A forwarded request carries `x-raft-forwarded: <sender id>` and is never forwarded again.
 */
import type { MiddlewareHandler } from "hono";
import { formatIdempotencyKey } from "../../schemas/idempotency_key.ts";
import { DEFAULT_MEMBERSHIP_SETTINGS } from "../server/membership.ts";
import type { MemberInfo, NodeService, ServiceError } from "../server/service.ts";
import { dialUrlOf, NO_PEER_VIA, type PeerVia } from "../transport/peer_via.ts";
import { type ApiContext, type AppEnv, type ForwardWait, setServedByHeader } from "./http_context.ts";
import { apiError, type RequestKind, serviceErrorResponse } from "./http_errors.ts";

/** The header that marks a forwarded request; its value is the forwarding node's id. */
export const FORWARDED_HEADER = "x-raft-forwarded";
/** How long a follower waits for the leader's answer to a forwarded request, per {@link ForwardWait}. */
export type ForwardTimeouts = Readonly<Record<ForwardWait, number>>;

/** What a follower waits beyond the leader's own bound, so the leader's answer (even its own timeout) arrives first. */
export const FORWARD_MARGIN_MS = 1000;

/** The default request timeout of a node (`--request-timeout-ms`). */
const DEFAULT_REQUEST_TIMEOUT_MS = 5000;

/** Forward timeouts for a leader that waits at most `requestMs` on a request and `membershipMs` on a membership change. */
export function forwardTimeoutsFor(requestMs: number, membershipMs: number): ForwardTimeouts {
  return { request: requestMs + FORWARD_MARGIN_MS, membership: membershipMs + FORWARD_MARGIN_MS };
}

/** Forward timeouts for a leader with the default request and membership timeouts. */
export const DEFAULT_FORWARD_TIMEOUTS: ForwardTimeouts = forwardTimeoutsFor(
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_MEMBERSHIP_SETTINGS.changeTimeoutMs,
);

/** The `fetch` used to forward requests (injectable for tests). */
export type FetchFunction = (url: string, init: RequestInit) => Promise<Response>;

/** Options of a {@link LeaderRouter}. */
export interface LeaderRouterOptions {
  /** Sends forwarded requests, on a new connection each (see `src/transport/tls_client.ts`); default: the global `fetch`. */
  readonly fetch?: FetchFunction;
  /**
   * Sends forwarded requests whose resend is harmless, on pooled connections: reads, and writes on
   * routes that honour `Idempotency-Key` (forwarded with a key); default: the global `fetch`.
   */
  readonly pooledFetch?: FetchFunction;
  /** Forwarding timeouts in milliseconds; default {@link DEFAULT_FORWARD_TIMEOUTS}. */
  readonly timeouts?: Partial<ForwardTimeouts>;
  /**
   * Leaders dialed through another address than their member URL (`--peer-via`): a forwarded
   * request goes there; a redirect still names the member URL (the client is not this node).
   */
  readonly via?: PeerVia;
}

/** Request headers copied onto a forwarded request. */
const FORWARDED_REQUEST_HEADERS = ["content-type", "accept", "authorization", "idempotency-key"];
/** Response headers copied from the leader's answer. */
const RELAYED_RESPONSE_HEADERS = [
  "content-type",
  "location",
  "retry-after",
  "www-authenticate",
  "allow",
  "x-raft-index",
  "x-raft-term",
  "x-raft-served-by",
  "idempotent-replayed",
];

/** Decides what a node that is not the leader does with a request that needs the leader. */
export class LeaderRouter {
  readonly #service: NodeService;
  readonly #fetch: FetchFunction;
  readonly #pooledFetch: FetchFunction;
  readonly #timeouts: ForwardTimeouts;
  readonly #via: PeerVia;

  /** A router for requests arriving at `service`. */
  constructor(service: NodeService, options: LeaderRouterOptions = {}) {
    this.#service = service;
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.#pooledFetch = options.pooledFetch ?? ((url, init) => fetch(url, init));
    this.#timeouts = { ...DEFAULT_FORWARD_TIMEOUTS, ...options.timeouts };
    this.#via = options.via ?? NO_PEER_VIA;
    for (const [wait, ms] of Object.entries(this.#timeouts)) {
      if (!Number.isInteger(ms) || ms <= 0)
        throw new RangeError(`forward timeout ${wait} must be a positive integer: ${ms}`);
    }
  }

  /** Answers a request this node cannot serve itself, given the leader it knows (or null). */
  route(c: ApiContext, leader: MemberInfo | null, kind: RequestKind): Promise<Response> | Response {
    const self = this.#service.self;
    const what = `${c.req.method} ${new URL(c.req.url).pathname}`;
    const definite = kind === "write" ? true : undefined;
    // Unknown leader, or a stale hint naming this very node: nobody can serve it now.
    if (leader === null || leader.id === self.id) {
      const failure = this.#service.readiness().storageFailure;
      if (failure !== undefined) {
        const message = `Cannot serve ${what}: the storage of node ${self.id} failed (${failure}); it retries reopening it, and other nodes may serve meanwhile`;
        return apiError(c, "storage_unavailable", message, { definite });
      }
      return apiError(c, "no_leader", `Cannot serve ${what}: no leader is known right now`, { definite });
    }
    // Forwarded once already: forwarding again could loop between nodes that disagree.
    const from = c.req.header(FORWARDED_HEADER);
    if (from !== undefined) {
      const message = `Cannot serve ${what} forwarded by ${from}: node ${self.id} is not the leader (it follows ${leader.id})`;
      return apiError(c, "not_leader", message, { definite, details: { leader } });
    }
    if (c.req.query("redirect") === "true") return redirectToLeader(c, leader);
    return this.#forward(c, leader, kind);
  }

  /** Sends the same request to the leader and relays its answer. */
  async #forward(c: ApiContext, leader: MemberInfo, kind: RequestKind): Promise<Response> {
    const incoming = new URL(c.req.url);
    const url = joinUrl(dialUrlOf(this.#via, leader.id, leader.url), incoming.pathname + incoming.search);
    const method = c.req.method;
    const text = method === "GET" || method === "HEAD" ? "" : await c.req.text();
    const headers = new Headers({ [FORWARDED_HEADER]: this.#service.self.id });
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = c.req.header(name);
      if (value !== undefined) headers.set(name, value);
    }
    const read = method === "GET" || method === "HEAD";
    const keyed = !read && c.get("idempotencyKeys");
    // A key of this node's making lets the leader answer a resend of the write as a replay.
    if (keyed && !headers.has("idempotency-key")) {
      headers.set("idempotency-key", formatIdempotencyKey(`fwd-${this.#service.self.id}-${crypto.randomUUID()}`));
    }
    const send = read || keyed ? this.#pooledFetch : this.#fetch;
    const timeoutMs = this.#timeouts[c.get("forwardWait")];
    const init: RequestInit = { method, headers, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) };
    if (text !== "") init.body = text;
    try {
      const answer = await send(url, init);
      return await relay(answer);
    } catch (err) {
      return this.#failure(c, leader, err, kind, timeoutMs);
    }
  }

  /** Answers a forward that failed: 504 after a timeout, 502 when the leader did not answer otherwise. */
  #failure(c: ApiContext, leader: MemberInfo, err: unknown, kind: RequestKind, timeoutMs: number): Response {
    const write = kind === "write";
    const dialed = dialUrlOf(this.#via, leader.id, leader.url);
    const where = `the leader ${leader.id} at ${leader.url}${dialed === leader.url ? "" : ` (dialed via ${dialed})`}`;
    const what = `${c.req.method} ${new URL(c.req.url).pathname}`;
    if (isTimeout(err)) {
      const message = `Timed out after ${timeoutMs} ms waiting for ${where} to answer ${what}`;
      return apiError(c, "timeout", message, { definite: write ? false : undefined, details: { leader } });
    }
    // Even a refused connection proves nothing: the HTTP client may have sent the request on
    // another connection first (a pooled one, then a retry). A forwarded write may have been proposed.
    const reason = describeError(err);
    const outcome = write ? "; the write may or may not have taken effect" : "";
    const message = `Cannot forward ${what} to ${where}: ${reason}${outcome}`;
    return apiError(c, "leader_unreachable", message, { definite: write ? false : undefined, details: { leader } });
  }
}

/** Options of {@link requireLeader}. */
export interface RequireLeaderOptions {
  /**
   * The route honours `Idempotency-Key` (a key-value write): a follower forwards it with a key, over
   * its peer link to the leader when that is open (see NodeService.forwardsOverLink).
   */
  readonly idempotencyKeys?: boolean;
  /** A key-value read: on a follower whose link to the leader is open, a linearizable one is served locally after a read index. */
  readonly followerReads?: boolean;
}

/**
 * Middleware: lets the request through on the leader, else forwards or redirects it. `wait` says
 * what the leader's answer may wait for, which sets how long a follower waits for it.
 */
export function requireLeader(
  kind: RequestKind,
  wait: ForwardWait = "request",
  options: RequireLeaderOptions = {},
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("forwardWait", wait);
    c.set("idempotencyKeys", options.idempotencyKeys === true);
    const service = c.get("service");
    // A stale read is served by any node from its local state.
    if (kind === "read" && c.req.query("consistency") === "stale") return next();
    if (service.isLeader()) return next();
    // A follower with an open link to the leader serves it itself (see NodeService.forwardsOverLink).
    if (overLink(c, kind, options) && service.forwardsOverLink?.() === true) return next();
    return c.get("leaderRouter").route(c, service.leader(), kind);
  };
}

/**
 * True iff a follower may serve this request through its peer link to the leader: a key-value
 * write (a route that honours idempotency keys), or a linearizable key-value read; never a request
 * that was forwarded already or asks for a redirect (those keep their HTTP answers).
 */
function overLink(c: ApiContext, kind: RequestKind, options: RequireLeaderOptions): boolean {
  if (c.req.header(FORWARDED_HEADER) !== undefined || c.req.query("redirect") === "true") return false;
  if (kind === "write") return options.idempotencyKeys === true;
  if (options.followerReads !== true) return false;
  const consistency = c.req.query("consistency");
  return consistency === undefined || consistency === "linearizable";
}

/**
 * Answers a failed service call. `not_leader` (leadership lost mid-request) gets the same
 * forward-or-redirect treatment as a request that arrived at a follower.
 */
export function answerServiceError(c: ApiContext, err: ServiceError, kind: RequestKind): Promise<Response> | Response {
  setServedByHeader(c, err);
  if (err.code !== "not_leader") return serviceErrorResponse(c, err, kind);
  return c.get("leaderRouter").route(c, err.leader ?? c.get("service").leader(), kind);
}

/** 307 to the same path and query on the leader (without `redirect`), keeping method and body. */
function redirectToLeader(c: ApiContext, leader: MemberInfo): Response {
  const incoming = new URL(c.req.url);
  const params = new URLSearchParams(incoming.search);
  params.delete("redirect");
  const query = params.toString();
  const location = joinUrl(leader.url, incoming.pathname + (query === "" ? "" : `?${query}`));
  c.header("x-raft-leader", leader.id);
  return c.redirect(location, 307);
}

/** `base` (an absolute URL, maybe with a path prefix) followed by `pathAndQuery`. */
function joinUrl(base: string, pathAndQuery: string): string {
  return base.replace(/\/+$/, "") + pathAndQuery;
}

/** A copy of the leader's answer with the headers worth relaying (the body read in full). */
async function relay(answer: Response): Promise<Response> {
  const headers = new Headers();
  for (const name of RELAYED_RESPONSE_HEADERS) {
    const value = answer.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  const body = answer.status === 204 || answer.status === 304 ? null : await answer.arrayBuffer();
  return new Response(body, { status: answer.status, headers });
}

/** An aborted fetch: `AbortSignal.timeout` fires a `TimeoutError` (some runtimes say `AbortError`). */
function isTimeout(err: unknown): boolean {
  const name = typeof err === "object" && err !== null ? (err as { name?: unknown }).name : undefined;
  return name === "TimeoutError" || name === "AbortError";
}

/** The messages of `err` and its causes (Deno hides the useful part in `cause`). */
function describeError(err: unknown): string {
  const messages: string[] = [];
  for (let e: unknown = err, depth = 0; depth < 3 && e !== undefined; e = (e as Error).cause, depth++) {
    messages.push(e instanceof Error ? e.message : String(e));
    if (!(e instanceof Error)) break;
  }
  return messages.join(": ");
}
