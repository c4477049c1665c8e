/**
 * Error answers of the HTTP API: every failure leaves as the one envelope
 * `{ error: { code, message, details?, definite? } }` with the status its code maps to.
 */
import type { Context, TypedResponse } from "hono";
import { type ApiErrorCode, errorEnvelope, errorStatus } from "../../schemas/api_errors.ts";
import type { ServiceError } from "../server/service.ts";

/** Whether a request reads or writes; error answers to writes say whether they are definite. */
export type RequestKind = "read" | "write";

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
  const status = errorStatus(code);
  const headers: Record<string, string> = { ...init.headers };
  if (status === 503) headers["retry-after"] = "1";
  return c.json(errorEnvelope(code, message, init), status, headers) as Response as ErrorResponse;
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
