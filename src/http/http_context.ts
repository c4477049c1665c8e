/** The Hono environment shared by the HTTP app, its routes and its middleware. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { IDEMPOTENT_REPLAYED_HEADER } from "../../schemas/idempotency_key.ts";
import type { MemberInfo, NodeService } from "../server/service.ts";
import type { Access, AuthFailure } from "./api_auth.ts";
import type { RequestKind } from "./http_errors.ts";

/** Decides what a node that is not the leader does with a request that needs the leader (see forward.ts). */
export interface LeaderRouting {
  /** Answers a request this node cannot serve itself, given the leader it knows (or null). */
  route(c: ApiContext, leader: MemberInfo | null, kind: RequestKind): Promise<Response> | Response;
}

/**
 * What the leader's answer to a request may wait for: `request` for writes and linearizable reads
 * (bounded by the node's request timeout), `membership` for membership changes and leadership
 * transfers (bounded by the membership change timeout).
 */
export type ForwardWait = "request" | "membership";

/** Per-request variables that `createHttpApp` sets before any route runs. */
export interface AppVariables {
  /** The node the routes act on. */
  service: NodeService;
  /** Forwards or redirects requests that need the leader. */
  leaderRouter: LeaderRouting;
  /** What the request's bearer token allows (see api_auth.ts); `admin` on a node without tokens. */
  access: Access;
  /**
   * What the route's answer may wait for on the leader (`request` unless the route's
   * `requireLeader` says otherwise); sets how long a forwarded request waits for the leader.
   */
  forwardWait: ForwardWait;
  /**
   * True on routes that honour `Idempotency-Key` (key-value writes): a follower forwards such a
   * write with a key (the client's, or one it makes) so that a resend is answered as a replay.
   */
  idempotencyKeys: boolean;
  /** Counts a refusal of the token check (a route's own check, such as an admin-only read, included). */
  onAuthFailure: (why: AuthFailure) => void;
}

/**
 * The Hono environment of the API app. Read variables with `c.get(name)`: Hono's `c.var` builds a
 * new object of every variable on each access, which showed in profiles of the request path.
 */
export interface AppEnv {
  Variables: AppVariables;
}

/** The API app type that every `registerX(app)` takes. */
export type ApiApp = OpenAPIHono<AppEnv>;

/** A request context of the API app. */
export type ApiContext = Context<AppEnv>;

/** Header with the applied log index a response reflects. */
export const INDEX_HEADER = "x-raft-index";
/** Header with the node's current term. */
export const TERM_HEADER = "x-raft-term";

/** Header naming the node that produced a response (the leader's, when forwarded). */
export const SERVED_BY_HEADER = "x-raft-served-by";

/** Sets `x-raft-served-by` when `result` is another node's answer (the leader's, for a write forwarded over the link). */
export function setServedByHeader(c: ApiContext, result: { readonly servedBy?: string }): void {
  if (result.servedBy !== undefined) c.header(SERVED_BY_HEADER, result.servedBy);
}

/** Sets `Idempotent-Replayed: true` when `result` repeats an earlier write's answer (an idempotency key seen before). */
export function setReplayedHeader(c: ApiContext, result: { readonly replayed?: boolean }): void {
  if (result.replayed === true) c.header(IDEMPOTENT_REPLAYED_HEADER, "true");
}

/**
 * Sets `x-raft-index` to the index of `result`, `x-raft-term` to the node's current term, and
 * `x-raft-served-by` when `result` is another node's answer.
 */
export function setResultHeaders(c: ApiContext, result: { readonly index: number; readonly servedBy?: string }): void {
  setRaftHeaders(c, result.index);
  setServedByHeader(c, result);
}

/** Sets `x-raft-index` to `index` and `x-raft-term` to the node's current term. */
export function setRaftHeaders(c: ApiContext, index: number): void {
  c.header(INDEX_HEADER, String(index));
  c.header(TERM_HEADER, String(c.get("service").currentTerm()));
}
