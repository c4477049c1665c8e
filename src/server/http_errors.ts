/**
 * Error answers of the HTTP API: every failure leaves as the one envelope
 * `{ error: { code, message, details?, definite? } }` with the status its code maps to.
 */
import type { Context, TypedResponse } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ApiErrorBody, ApiErrorCode } from "../../schemas/api_errors.ts";
import type { ServiceError } from "./service.ts";

/** Whether a request reads or writes; error answers to writes say whether they are definite. */
export type RequestKind = "read" | "write";

/** The HTTP status of each error code (exhaustive: a new code does not compile until mapped). */
export function errorStatus(code: ApiErrorCode): ContentfulStatusCode {
  switch (code) {
    case "validation_failed":
    case "invalid_request":
    case "invalid_handshake":
      return 400;
    case "unauthorized":
      return 401;
    case "not_found":
    case "not_found_route":
      return 404;
    case "method_not_allowed":
      return 405;
    case "compare_failed":
    case "already_bootstrapped":
      return 409;
    case "payload_too_large":
      return 413;
    case "unsupported_media_type":
      return 415;
    case "upgrade_required":
      return 426;
    case "internal":
      return 500;
    case "leader_unreachable":
      return 502;
    case "not_leader":
    case "no_leader":
    case "overloaded":
    case "shutting_down":
      return 503;
    case "timeout":
      return 504;
    default: {
      const unmapped: never = code;
      throw new Error(`Cannot map error code ${String(unmapped)} to an HTTP status`);
    }
  }
}

/** Optional parts of an error answer. */
export interface ApiErrorInit {
  readonly details?: Record<string, unknown>;
  readonly definite?: boolean;
  /** Extra response headers (e.g. `allow`, `www-authenticate`). */
  readonly headers?: Record<string, string>;
}

/**
 * An error answer. Its body is always the envelope; it is typed so that a route handler may return
 * it for any error status the route declares (the status follows from the code at run time).
 */
export type ErrorResponse = Response & TypedResponse<never, never, "json">;

/** Answers with the error envelope and the status of `code`. */
export function apiError(c: Context, code: ApiErrorCode, message: string, init: ApiErrorInit = {}): ErrorResponse {
  const error: ApiErrorBody["error"] = { code, message };
  if (init.details !== undefined) error.details = init.details;
  if (init.definite !== undefined) error.definite = init.definite;
  const status = errorStatus(code);
  const headers: Record<string, string> = { ...init.headers };
  if (status === 503) headers["retry-after"] = "1";
  return c.json({ error }, status, headers) as Response as ErrorResponse;
}

/** True for methods that change state (their error answers carry `definite`). */
export function isWriteMethod(method: string): boolean {
  return method !== "GET" && method !== "HEAD" && method !== "OPTIONS";
}

/**
 * `definite` of a failed write: what the service said, and false when it said nothing — `true`
 * is a promise that the write never takes effect, made only where the service knows it.
 */
function writeDefinite(err: ServiceError): boolean {
  if (err.code === "timeout") return false;
  return err.definite ?? false;
}

/** Answers a failed service call (other than a forwardable `not_leader`) with the envelope. */
export function serviceErrorResponse(c: Context, err: ServiceError, kind: RequestKind): ErrorResponse {
  const details = err.leader ? { ...err.details, leader: err.leader } : err.details;
  const definite = kind === "write" ? writeDefinite(err) : undefined;
  return apiError(c, err.code, err.message, { details, definite });
}
