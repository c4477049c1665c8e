/**
 * The answer to a request no route matches: 405 `method_not_allowed` with `allow` when the path
 * exists with other methods; 400 for a key path without a key; else 404 `not_found_route`, with a
 * hint when the path looks like a key that did not travel as one path segment.
 */
import type { NotFoundHandler } from "hono";
import { KEY_PATH_RULE } from "../../schemas/api_kv.ts";
import type { ApiApp, ApiContext, AppEnv } from "./http_context.ts";
import { apiError, type ErrorResponse, isWriteMethod } from "./http_errors.ts";

/** The path prefix of one key; its methods are those of `/v1/kv/{key}`. */
const KEY_PREFIX = "/v1/kv/";
const KEY_METHODS = new Set(["GET", "HEAD", "PUT", "DELETE"]);

/** The not-found handler of `app` (it reads `app.routes` when called, so later routes count too). */
export function notFoundHandler(app: ApiApp): NotFoundHandler<AppEnv> {
  return (c) => {
    const path = c.req.path;
    const allowed = allowedMethods(app, path);
    if (allowed.length > 0) {
      const message = `Cannot ${c.req.method} ${path}: the path allows ${allowed.join(", ")}`;
      return apiError(c, "method_not_allowed", message, { headers: { allow: allowed.join(", ") } });
    }
    if (path.startsWith(KEY_PREFIX) && path !== KEY_PREFIX)
      return noRoute(c, path, " (send a '/' inside a key as %2F)");
    return (KEY_METHODS.has(c.req.method) ? keyPathAnswer(c, path) : undefined) ?? noRoute(c, path, "");
  };
}

/**
 * The answer for the paths a key request arrives at when the key is empty, '.' or '..' (Bun
 * resolves `/v1/kv/.` to `/v1/kv/` and `/v1/kv/..` to `/v1/` before the app sees the request;
 * Deno passes them on as they are, and the key's schema refuses them), or undefined for any other path.
 */
function keyPathAnswer(c: ApiContext, path: string): ErrorResponse | undefined {
  const definite = isWriteMethod(c.req.method) ? true : undefined;
  if (path === KEY_PREFIX) {
    const list = c.req.method === "GET" || c.req.method === "HEAD" ? " (to list keys, GET /v1/kv)" : "";
    const message = `Cannot ${c.req.method} ${path}: the key is empty${list}; ${KEY_PATH_RULE}`;
    const details = { target: "path", issues: [{ path: "key", message: "the key is empty" }] };
    return apiError(c, "validation_failed", message, { details, definite });
  }
  if (path === "/v1/" || path === "/v1") {
    return noRoute(c, path, ` (a request for /v1/kv/.. arrives as /v1/; ${KEY_PATH_RULE})`, definite);
  }
  return undefined;
}

function noRoute(c: ApiContext, path: string, hint: string, definite?: boolean): ErrorResponse {
  return apiError(c, "not_found_route", `No route for ${c.req.method} ${path}${hint}`, { definite });
}

/** The methods of the routes of `app` whose path pattern matches `path`. */
function allowedMethods(app: ApiApp, path: string): string[] {
  const methods = new Set<string>();
  for (const route of app.routes) {
    if (route.method === "ALL") continue;
    if (routePattern(route.path).test(path)) methods.add(route.method);
  }
  if (methods.has("GET")) methods.add("HEAD");
  return [...methods].sort();
}

/** A regular expression for a Hono path pattern (`:param` is one segment, `*` anything). */
function routePattern(pattern: string): RegExp {
  const source = pattern
    .split("/")
    .map((part) => (part.startsWith(":") ? "[^/]+" : part === "*" ? ".*" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${source}$`);
}
