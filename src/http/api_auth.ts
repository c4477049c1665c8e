/**
 * Who may call the `/v1` API (the peer endpoint `/v1/raft` aside: the cluster token guards it). A node either has tokens — an admin token for everything and,
 * optionally, a read-only token for reads — or was started explicitly without any (insecure).
 * Requests carry `authorization: Bearer <token>`; a missing or wrong token answers 401
 * `unauthorized`, a read-only token on a write or an admin-only read answers 403 `forbidden`, both
 * in the error envelope. Neither is ever logged; the app counts them (see {@link AuthFailure}).
 */
import type { Context, MiddlewareHandler } from "hono";
import { PEER_PATH } from "../../schemas/peer_frame.ts";
import { sameBytes } from "../text/same_bytes.ts";
import { utf8Bytes } from "../text/utf8.ts";
import type { ApiContext, AppEnv } from "./http_context.ts";
import { apiError, isWriteMethod } from "./http_errors.ts";

/** The tokens a node checks, or `open`: no token needed (an explicit insecure choice). */
export type ApiAuth =
  | { readonly mode: "tokens"; readonly adminToken: string; readonly readToken?: string }
  | { readonly mode: "open" };

/** No token needed (a node started with `--insecure-no-auth true`, and tests that say so). */
export const OPEN_API: ApiAuth = { mode: "open" };

/** What a request may do: everything (`admin`, or any request of an open node) or only read. */
export type Access = "admin" | "read";

/** Why a request was refused: no header, not a bearer header, an unknown token, or a read-only token on an admin operation. */
export type AuthFailure = "missing" | "malformed" | "wrong_token" | "read_only";

/** Name of the bearer security scheme in the OpenAPI document. */
export const BEARER_SCHEME = "bearerToken";

/** The `security` of an operation any token may call (reads). */
export const READ_SECURITY = [{ [BEARER_SCHEME]: [] as string[] }];

/** The `security` of an operation only the admin token may call (writes, admin-only reads). */
export const ADMIN_SECURITY = [{ [BEARER_SCHEME]: ["admin"] }];

/** The `security` of an operation that needs no token (health probes). */
export const NO_SECURITY: Array<Record<string, string[]>> = [];

/** Checks `auth` and rejects tokens that cannot be told apart or are empty (a configuration error). */
export function checkApiAuth(auth: ApiAuth): void {
  if (auth.mode === "open") return;
  if (auth.adminToken === "")
    throw new Error("Cannot require an empty admin token: use OPEN_API to serve without tokens");
  if (auth.readToken === "") throw new Error("Cannot accept an empty read-only token: omit readToken instead");
  if (auth.readToken === auth.adminToken) throw new Error("The read-only token must differ from the admin token");
}

/**
 * The `/v1` middleware: sets `c.get("access")` from the bearer token, and refuses a request without a
 * valid token (401) or a write with the read-only token (403) before its body is read. `onFailure`
 * counts each refusal.
 */
export function authorize(auth: ApiAuth, onFailure: (why: AuthFailure) => void = () => {}): MiddlewareHandler<AppEnv> {
  checkApiAuth(auth);
  if (auth.mode === "open") {
    return async (c, next) => {
      c.set("access", "admin");
      c.set("onAuthFailure", onFailure);
      await next();
    };
  }
  const admin = utf8Bytes(auth.adminToken);
  // The peer endpoint has its own check (the cluster token, see the transport's peer_endpoint.ts).
  const read = auth.readToken === undefined ? undefined : utf8Bytes(auth.readToken);
  return async (c, next) => {
    if (c.req.path === PEER_PATH) return await next();
    const header = c.req.header("authorization");
    const presented = header === undefined ? undefined : bearerToken(header);
    const bytes = presented === undefined ? undefined : utf8Bytes(presented);
    const access: Access | undefined =
      bytes === undefined
        ? undefined
        : sameBytes(bytes, admin)
          ? "admin"
          : read !== undefined && sameBytes(bytes, read)
            ? "read"
            : undefined;
    if (access === undefined) {
      const why: AuthFailure = header === undefined ? "missing" : presented === undefined ? "malformed" : "wrong_token";
      onFailure(why);
      return unauthorized(c, why);
    }
    if (access === "read" && isWriteMethod(c.req.method)) {
      onFailure("read_only");
      return forbidden(c);
    }
    c.set("access", access);
    c.set("onAuthFailure", onFailure);
    await next();
  };
}

/**
 * Route middleware of a read only the admin token may make (a snapshot download holds every key):
 * 403 for the read-only token. Pair it with {@link ADMIN_SECURITY} in the route.
 */
export const requireAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.get("access") !== "admin") {
    c.get("onAuthFailure")("read_only");
    return forbidden(c);
  }
  await next();
};

/** The token of an `authorization: Bearer <token>` header (scheme case-insensitive), else undefined. */
function bearerToken(header: string): string | undefined {
  const match = /^Bearer +([A-Za-z0-9._~+/=-]+) *$/i.exec(header);
  return match === null ? undefined : match[1];
}

/** Constant-time comparison (the time taken tells nothing about how much of a token matched). */

const HOW = "send 'authorization: Bearer <token>' with the node's admin token, or its read-only token for reads";

/** 401 in the envelope, with `www-authenticate`. */
function unauthorized(c: Context<AppEnv>, why: Exclude<AuthFailure, "read_only">): Response {
  const problem =
    why === "missing"
      ? "no token was sent"
      : why === "malformed"
        ? "the authorization header is not 'Bearer <token>'"
        : "the token is not one of this node's";
  return apiError(c as ApiContext, "unauthorized", `Cannot ${c.req.method} ${c.req.path}: ${problem}; ${HOW}`, {
    definite: isWriteMethod(c.req.method) ? true : undefined,
    headers: { "www-authenticate": 'Bearer realm="raftbare-ts"' },
  });
}

/** 403 in the envelope: the read-only token on an admin operation. */
function forbidden(c: Context<AppEnv>): Response {
  return apiError(
    c as ApiContext,
    "forbidden",
    `Cannot ${c.req.method} ${c.req.path} with the read-only token: this operation needs the admin token`,
    { definite: isWriteMethod(c.req.method) ? true : undefined },
  );
}
