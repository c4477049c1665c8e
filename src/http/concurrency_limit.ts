/**
 * A bound on the `/v1` requests a node serves at once: past it, a request is answered at once with
 * 503 `overloaded` (`definite: true`: nothing was done) instead of queueing without limit. Peer
 * links (`/v1/raft`, long-lived WebSockets) are not counted.
 */
import type { MiddlewareHandler } from "hono";
import { PEER_PATH } from "../../schemas/peer_frame.ts";
import type { AppEnv } from "./http_context.ts";
import { apiError } from "./http_errors.ts";

/** Requests a node serves at once by default. */
export const DEFAULT_MAX_CONCURRENT_REQUESTS = 1024;

/** Middleware: at most `limit` requests in progress; the others get 503 `overloaded`. */
export function concurrencyLimit(limit: number): MiddlewareHandler<AppEnv> {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new Error(`Cannot limit concurrent requests to ${limit}`);
  let inProgress = 0;
  return async (c, next) => {
    if (c.req.path === PEER_PATH) return next();
    if (inProgress >= limit) {
      c.header("retry-after", "1");
      const message = `this node is serving ${limit} requests already, its limit; retry shortly`;
      return apiError(c, "overloaded", message, { definite: true, details: { limit } });
    }
    inProgress++;
    try {
      await next();
    } finally {
      inProgress--;
    }
  };
}
