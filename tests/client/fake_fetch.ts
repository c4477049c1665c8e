/**
 * A scripted stand-in for the cluster in the client's unit tests: a `fetch` that records every
 * request and answers from per-node handlers (an origin without a handler refuses the connection),
 * canned answers in the API's shapes, a sleep that only records its waits, and a seeded random source.
 */
import type { FetchFunction } from "../../client/src/options.ts";

/** The client tests' seeded jitter source (shared with the other tests). */
export { seededRandom } from "../helpers/seeded_random.ts";

/** One request as the fake saw it. */
export interface Exchange {
  readonly method: string;
  readonly url: URL;
  readonly headers: Headers;
  readonly body: string;
  readonly signal: AbortSignal;
}

/** Answers one request (or throws, like a fetch that failed). */
export type Handler = (exchange: Exchange) => Response | Promise<Response>;

/** Node URLs the tests use. */
export const N1 = "http://n1.test:7001";
export const N2 = "http://n2.test:7002";
export const N3 = "http://n3.test:7003";

/** The member id of a test node URL (n1…n3). */
export function idOf(url: string): string {
  return new URL(url).hostname.split(".")[0];
}

/** A fake network of nodes, each answering through its handler. */
export class FakeNodes {
  /** Every request, oldest first. */
  readonly log: Exchange[] = [];
  readonly #handlers = new Map<string, Handler>();

  /** Answers requests to `origin` with `handler` (replacing an earlier one). */
  on(origin: string, handler: Handler): this {
    this.#handlers.set(new URL(origin).origin, handler);
    return this;
  }

  /** Requests to `origin` fail as a refused connection from now on. */
  down(origin: string): this {
    this.#handlers.delete(new URL(origin).origin);
    return this;
  }

  /** The fetch to give the client. */
  readonly fetch: FetchFunction = async (request) => {
    const body = request.method === "GET" || request.method === "HEAD" ? "" : await request.text();
    const url = new URL(request.url);
    const exchange: Exchange = { method: request.method, url, headers: request.headers, body, signal: request.signal };
    this.log.push(exchange);
    const handler = this.#handlers.get(url.origin);
    if (handler === undefined)
      throw new TypeError(`fetch failed`, { cause: new Error(`connect ECONNREFUSED ${url.host}`) });
    return await handler(exchange);
  };

  /** The origins requested, in order. */
  get origins(): string[] {
    return this.log.map((e) => e.url.origin);
  }
}

/** A JSON answer from node `servedBy`. */
export function json(
  status: number,
  body: unknown,
  servedBy: string | null,
  headers: Record<string, string> = {},
): Response {
  const h = new Headers({ "content-type": "application/json", ...headers });
  if (servedBy !== null) h.set("x-raft-served-by", servedBy);
  return new Response(JSON.stringify(body), { status, headers: h });
}

/** Options of {@link apiError}. */
export interface ApiErrorInit {
  readonly definite?: boolean;
  readonly details?: Record<string, unknown>;
  readonly headers?: Record<string, string>;
}

/** The API's error envelope with `code`, as node `servedBy` answers it. */
export function apiError(status: number, code: string, servedBy: string | null, init: ApiErrorInit = {}): Response {
  const error: Record<string, unknown> = { code, message: `${code} (test)` };
  if (init.details !== undefined) error.details = init.details;
  if (init.definite !== undefined) error.definite = init.definite;
  return json(status, { error }, servedBy, init.headers);
}

/** The 307 a follower answers with `redirect=true`: same path and query (without `redirect`) on the leader. */
export function redirectTo(exchange: Exchange, leaderUrl: string, follower: string): Response {
  const params = new URLSearchParams(exchange.url.search);
  params.delete("redirect");
  const query = params.toString();
  const location = `${leaderUrl}${exchange.url.pathname}${query === "" ? "" : `?${query}`}`;
  return new Response(null, {
    status: 307,
    headers: { location, "x-raft-leader": idOf(leaderUrl), "x-raft-served-by": follower },
  });
}

/** A put's answer for `key` at log index `index`. */
export function putAnswer(
  key: string,
  index: number,
  servedBy: string,
  headers: Record<string, string> = {},
): Response {
  return json(200, { key, revision: index, index, prev: null }, servedBy, headers);
}

/** A read's answer for `key` with `value`. */
export function getAnswer(key: string, value: string, servedBy: string): Response {
  return json(200, { key, value, revision: 7, createRevision: 7, version: 1, index: 9 }, servedBy);
}

/** A node that serves everything as the leader would (puts, deletes, gets), under member id `id`. */
export function leaderHandler(id: string): Handler {
  let index = 10;
  return (e) => {
    const key = decodeURIComponent(e.url.pathname.slice("/v1/kv/".length));
    if (e.method === "PUT") return putAnswer(key, ++index, id);
    if (e.method === "DELETE") return json(200, { key, revision: ++index, index, prev: null, deleted: false }, id);
    return getAnswer(key, "v", id);
  };
}

/** A follower that redirects every request asking `redirect=true` to `leaderUrl`, and forwards others to `forward`. */
export function followerHandler(id: string, leaderUrl: string, forward?: Handler): Handler {
  return (e) => {
    if (e.url.searchParams.get("redirect") === "true") return redirectTo(e, leaderUrl, id);
    if (forward !== undefined) return forward(e);
    return apiError(503, "no_leader", id, { definite: true });
  };
}

/** A sleep that resolves at once and records each wait. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  };
}

/** An answer that never comes: rejects with the signal's reason once the request is aborted. */
export function never(exchange: Exchange): Promise<Response> {
  return new Promise((_, reject) => {
    if (exchange.signal.aborted) reject(exchange.signal.reason);
    exchange.signal.addEventListener("abort", () => reject(exchange.signal.reason), { once: true });
  });
}
