/**
 * The admin token: when a node has one, every mutating `/v1` request needs
 * `authorization: Bearer <token>`, and so does every read that a route marks as admin-only (a
 * snapshot download holds all the data). Failures answer 401 `unauthorized` in the envelope.
 */
import type { Context, MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import type { AppEnv } from "./http_context.ts";
import { apiError, isWriteMethod } from "./http_errors.ts";
import { ADMIN_TOKEN_SCHEME } from "./openapi_document.ts";

/** The bearer check of `token` (for any method); failures answer 401 in the envelope. */
export function bearerCheck(token: string): MiddlewareHandler<AppEnv> {
  const deny = (why: string) => ({
    message: (c: Context) =>
      apiError(c, "unauthorized", `Cannot ${c.req.method} ${c.req.path}: ${why}`, {
        definite: isWriteMethod(c.req.method) ? true : undefined,
        headers: { "www-authenticate": 'Bearer realm="raftbare-ts"' },
      }),
  });
  return bearerAuth<AppEnv>({
    token,
    noAuthenticationHeader: deny("send the admin token as 'authorization: Bearer <token>'"),
    invalidAuthenticationHeader: deny("the authorization header is not 'Bearer <token>'"),
    invalidToken: deny("the admin token is wrong"),
  });
}

/** Runs `check` on mutating requests only (reads pass, unless their route adds {@link requireAdminToken}). */
export function mutatingOnly(check: MiddlewareHandler<AppEnv>): MiddlewareHandler<AppEnv> {
  return (c, next) => (isWriteMethod(c.req.method) ? check(c, next) : next());
}

/**
 * Route middleware of an admin-only read: the node's bearer check when it has an admin token
 * (`c.var.adminCheck`), nothing otherwise. Pair it with {@link ADMIN_ONLY_SECURITY} in the route.
 */
export const requireAdminToken: MiddlewareHandler<AppEnv> = (c, next) => {
  const check = c.var.adminCheck;
  return check === null ? next() : check(c, next);
};

/**
 * The `security` of an admin-only read's route: the OpenAPI document keeps it (and adds the
 * scheme) when the node has an admin token, and drops it otherwise.
 */
export const ADMIN_ONLY_SECURITY = [{ [ADMIN_TOKEN_SCHEME]: [] as string[] }];
