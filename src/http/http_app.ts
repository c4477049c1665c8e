/**
 * The HTTP API of a node: an OpenAPIHono app over a {@link NodeService}. Runtime-neutral (serve its
 * `fetch` with Bun.serve or Deno.serve); every failure answers with the one JSON error envelope.
 */

import { type Hook, OpenAPIHono } from "@hono/zod-openapi";
import type { Context, ErrorHandler } from "hono";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import { matchedRoutes } from "hono/route";
import type { ApiErrorCode } from "../../schemas/api_errors.ts";
import { createLogger, type Logger } from "../server/logger.ts";
import { METRICS_CONTENT_TYPE } from "../server/metrics.ts";
import type { NodeService } from "../server/service.ts";
import type { PeerVia } from "../transport/peer_via.ts";
import { type ApiAuth, type AuthFailure, authorize } from "./api_auth.ts";
import { concurrencyLimit, DEFAULT_MAX_CONCURRENT_REQUESTS } from "./concurrency_limit.ts";
import { type ErrorReport, rateLimitedErrorReports } from "./error_reports.ts";
import { type FetchFunction, type ForwardTimeouts, LeaderRouter } from "./forward.ts";
import { type ApiApp, type AppEnv, SERVED_BY_HEADER } from "./http_context.ts";
import { apiError, isWriteMethod } from "./http_errors.ts";
import { notFoundHandler } from "./not_found.ts";
import { type OpenApiDocument, type OpenApiServer, openApiDocument } from "./openapi_document.ts";
import { RequestBodyAborted, readBody } from "./request_body.ts";
import { refuseMalformedUrl } from "./url_encoding.ts";

/**
 * Largest request body accepted, in bytes: a put carries a value and an expected value of up to
 * 1 MiB of UTF-8 each, and JSON escaping can grow each up to six-fold.
 */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

export { SERVED_BY_HEADER };

/**
 * The routes an app serves: the API operations (they make the OpenAPI document) and the docs pages.
 * The routes/ folder provides them; this module never imports it.
 */
export interface RouteSet {
  /** Adds every API operation. */
  readonly api: (app: ApiApp) => void;
  /** Adds the pages that are not API operations (the docs UI and the dashboard). */
  readonly docs: (app: ApiApp) => void;
}

/** What the app measures and serves at `/metrics` (the node's metrics). */
export interface RequestMetrics {
  /** An API request for `route` (the route pattern) answered `status` after `seconds`. */
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /** A `/v1` request was refused by the token check, for `why`. */
  observeAuthFailure(why: AuthFailure): void;
  /** Every metric in the Prometheus text format. */
  render(): string;
}

/** Options of {@link createApiApp}. */
export interface HttpAppOptions {
  /**
   * Who may call `/v1`: the node's tokens (admin, and optionally read-only), or {@link OPEN_API}
   * (no token needed: an explicit insecure choice). Health probes and the docs need no token.
   */
  readonly auth: ApiAuth;
  /** Sends forwarded requests to the leader; default: the global `fetch`. */
  readonly fetch?: FetchFunction;
  /** Sends forwarded requests a resend cannot harm (see `LeaderRouterOptions`); default: the global `fetch`. */
  readonly pooledFetch?: FetchFunction;
  /** Leaders reached through another address than their member URL (`--peer-via`); default none. */
  readonly peerVia?: PeerVia;
  /**
   * How long to wait for the leader's answer to a forwarded request, by what the request waits for
   * on the leader; default: the default request and membership timeouts plus a margin (forward.ts).
   */
  readonly forwardTimeouts?: Partial<ForwardTimeouts>;
  /** The document's `servers`; default: this node's advertised URL. */
  readonly servers?: readonly OpenApiServer[];
  /**
   * Where the app logs: one debug line per request whose client went away mid-body, and reports of
   * unexpected exceptions, a few per second in full and then a count; default: info and above to stderr.
   */
  readonly logger?: Logger;
  /** Reports every unexpected exception (answered as 500 `internal`) instead of the logger. */
  readonly onInternalError?: ErrorReport;
  /**
   * Origins whose browser pages may call the API (CORS): exact origins like `https://app.example`, or
   * `*` for any. Default: none (browsers then allow only same-origin calls).
   */
  readonly corsOrigins?: readonly string[];
  /** When set, API requests are measured and `GET /metrics` serves what the node measures. */
  readonly metrics?: RequestMetrics;
  /** `/v1` requests served at once; more are answered 503 `overloaded` (default {@link DEFAULT_MAX_CONCURRENT_REQUESTS}). */
  readonly maxConcurrentRequests?: number;
}

/**
 * The route pattern a request matched, for metrics: the last matched route handler's, even when a
 * middleware answered first (a refused token, the concurrency limit, an oversized body), so refused
 * requests count under the route they asked for; `unmatched` when no route matched (a bounded label).
 */
function routeLabel(c: Context): string {
  const routes = matchedRoutes(c);
  const isRoute = (r: { method: string; path: string }) => r.method !== "ALL" && r.path !== "/*" && r.path !== "*"; // Middleware is registered for ALL.
  const answered = routes[c.req.routeIndex];
  if (answered !== undefined && isRoute(answered)) return answered.path;
  for (let i = routes.length - 1; i >= 0; i--) if (isRoute(routes[i])) return routes[i].path;
  return "unmatched";
}

/** The API app of `service` serving `routes`: leader forwarding, auth, the OpenAPI document and error envelopes. */
export function createApiApp(service: NodeService, routes: RouteSet, options: HttpAppOptions): ApiApp {
  const app = newApiApp();
  const leaderRouter = new LeaderRouter(service, {
    fetch: options.fetch,
    pooledFetch: options.pooledFetch,
    timeouts: options.forwardTimeouts,
    via: options.peerVia,
  });
  const metrics = options.metrics;
  const checkToken = authorize(options.auth, (why) => metrics?.observeAuthFailure(why));
  app.use(async (c, next) => {
    c.set("service", service);
    c.set("leaderRouter", leaderRouter);
    c.set("forwardWait", "request");
    c.set("idempotencyKeys", false);
    await next();
    if (!c.res.headers.has(SERVED_BY_HEADER)) c.res.headers.set(SERVED_BY_HEADER, service.self.id);
  });
  const origins = options.corsOrigins ?? [];
  if (origins.length > 0) {
    app.use(
      cors({
        origin: origins.includes("*") ? "*" : [...origins],
        allowMethods: ["GET", "PUT", "POST", "DELETE", "OPTIONS"],
        allowHeaders: ["content-type", "authorization", "idempotency-key"],
        exposeHeaders: [
          "x-raft-index",
          "x-raft-term",
          "x-raft-served-by",
          "x-raft-leader",
          "retry-after",
          "location",
          "idempotent-replayed",
        ],
        maxAge: 600,
      }),
    );
  }
  if (metrics !== undefined) {
    app.use(async (c, next) => {
      const started = performance.now();
      await next();
      metrics.observeRequest(c.req.method, routeLabel(c), c.res.status, (performance.now() - started) / 1000);
    });
    app.get("/metrics", (c) => c.body(metrics.render(), 200, { "content-type": METRICS_CONTENT_TYPE }));
  }
  // The token first: a request without a valid one is refused before its body is read.
  app.use("/v1/*", checkToken);
  app.use("/v1/*", refuseMalformedUrl());
  app.use("/v1/*", concurrencyLimit(options.maxConcurrentRequests ?? DEFAULT_MAX_CONCURRENT_REQUESTS));
  app.use("/v1/*", readBody(MAX_BODY_BYTES));
  routes.api(app);
  // The relative server first: the docs page then calls the node at whatever address it was opened
  // with (127.0.0.1 or localhost alike), never cross-origin.
  const servers = options.servers ?? [
    { url: "/", description: "The node that served this document" },
    { url: service.self.url, description: `This node (${service.self.id}) at its advertised URL` },
  ];
  let doc: OpenApiDocument | undefined;
  app.get("/openapi.json", (c) => {
    doc ??= openApiDocument(app, { servers, tokens: options.auth.mode === "tokens" });
    return c.json(doc, 200);
  });
  routes.docs(app);
  const logger = options.logger ?? createLogger(service.self.id, "info");
  app.notFound(notFoundHandler(app));
  app.onError(onError(logger, options.onInternalError ?? rateLimitedErrorReports(logger)));
  return app;
}

/** Options of {@link buildApiDocument}. */
export interface BuildOpenApiDocumentOptions {
  /** Document the bearer tokens on `/v1` operations (a node with tokens); default true. */
  readonly tokens?: boolean;
  /** The document's `servers`; default: a node on the default local address. */
  readonly servers?: readonly OpenApiServer[];
}

/** The OpenAPI document of `routes`, built without a running node (for dumps and client generation). */
export function buildApiDocument(routes: RouteSet, options: BuildOpenApiDocumentOptions = {}): OpenApiDocument {
  const app = newApiApp();
  routes.api(app);
  const servers = options.servers ?? [{ url: "http://127.0.0.1:7001", description: "A node on the default address" }];
  return openApiDocument(app, { servers, tokens: options.tokens ?? true });
}

/** An empty API app whose validation failures answer 400 `validation_failed`. */
function newApiApp(): ApiApp {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

const TARGETS: Readonly<Record<string, string>> = {
  json: "body",
  query: "query",
  param: "path",
  header: "headers",
  cookie: "cookies",
  form: "form",
};

/** The `defaultHook` of every OpenAPIHono instance: Zod issues → 400 in the envelope. */
const validationHook: Hook<unknown, AppEnv, string, Response | undefined> = (result, c) => {
  if (result.success) return undefined;
  const where = TARGETS[result.target] ?? result.target;
  const issues = result.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
  const shown = issues.slice(0, 5).map((i) => (i.path === "" ? i.message : `${i.path}: ${i.message}`));
  if (issues.length > shown.length) shown.push(`and ${issues.length - shown.length} more`);
  const message = `Invalid request ${where}: ${shown.join("; ")}`;
  const definite = isWriteMethod(c.req.method) ? true : undefined;
  return apiError(c, "validation_failed", message, { details: { target: where, issues }, definite });
};

/**
 * Framework exceptions keep their status in the envelope; a client that went away mid-body is a
 * debug line and a 400 (nobody reads it); anything else is reported and a 500 without a stack.
 */
function onError(logger: Logger, report: ErrorReport): ErrorHandler<AppEnv> {
  return (err, c) => {
    if (err instanceof RequestBodyAborted) {
      logger.debug(`${err.message}${err.cause instanceof Error ? ` (${err.cause.name}: ${err.cause.message})` : ""}`);
      const definite = isWriteMethod(c.req.method) ? true : undefined;
      return apiError(c, "invalid_request", err.message, { definite });
    }
    if (err instanceof HTTPException) {
      if (err.res !== undefined) return err.getResponse();
      // A request rejected before it reached the service certainly had no effect.
      const definite = err.status < 500 && isWriteMethod(c.req.method) ? true : undefined;
      return apiError(c, exceptionCode(err.status), exceptionMessage(c, err), { definite });
    }
    report(err, c.req.raw);
    // Nobody knows how far a write got before the exception: it may have been proposed.
    const definite = isWriteMethod(c.req.method) ? false : undefined;
    return apiError(c, "internal", `Internal error while serving ${c.req.method} ${c.req.path}`, { definite });
  };
}

/** A specific message for a framework exception (its own text is often generic). */
function exceptionMessage(c: Context, err: HTTPException): string {
  if (err.status === 415)
    return `Cannot ${c.req.method} ${c.req.path}: send the body as JSON with 'content-type: application/json'`;
  return err.message || `Cannot ${c.req.method} ${c.req.path}: HTTP ${err.status}`;
}

/** The error code of a framework exception's status. */
function exceptionCode(status: number): ApiErrorCode {
  if (status === 401) return "unauthorized";
  if (status === 404) return "not_found_route";
  if (status === 405) return "method_not_allowed";
  if (status === 413) return "payload_too_large";
  if (status === 415) return "unsupported_media_type";
  return status >= 500 ? "internal" : "validation_failed";
}
