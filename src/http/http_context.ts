/** The Hono environment shared by the HTTP app, its routes and its middleware. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import type { MemberInfo, NodeService } from "../server/service.ts";
import type { RequestKind } from "./http_errors.ts";

/** Decides what a node that is not the leader does with a request that needs the leader (see forward.ts). */
export interface LeaderRouting {
  /** Answers a request this node cannot serve itself, given the leader it knows (or null). */
  route(c: ApiContext, leader: MemberInfo | null, kind: RequestKind): Promise<Response> | Response;
}

/** Per-request variables that `createHttpApp` sets before any route runs. */
export interface AppVariables {
  /** The node the routes act on. */
  service: NodeService;
  /** Forwards or redirects requests that need the leader. */
  leaderRouter: LeaderRouting;
  /** The admin-token check, or null when the node has no admin token (see admin_auth.ts). */
  adminCheck: MiddlewareHandler<AppEnv> | null;
}

/** The Hono environment of the API app. */
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

/** Sets `x-raft-index` to `index` and `x-raft-term` to the node's current term. */
export function setRaftHeaders(c: ApiContext, index: number): void {
  c.header(INDEX_HEADER, String(index));
  c.header(TERM_HEADER, String(c.var.service.status().term));
}
