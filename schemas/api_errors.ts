/**
 * The one JSON error envelope of the HTTP API, `{ error: { code, message, details?, definite? } }`,
 * and the OpenAPI response objects that every route spreads into its `responses`.
 */
import { z } from "@hono/zod-openapi";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Every error code the HTTP API answers with; `errorStatus()` maps each to one HTTP status. */
export const ApiErrorCodeSchema = z
  .enum([
    "not_leader",
    "no_leader",
    "storage_unavailable",
    "leader_unreachable",
    "timeout",
    "overloaded",
    "leader_transferring",
    "compare_failed",
    "idempotency_key_reused",
    "already_bootstrapped",
    "member_conflict",
    "learner_behind",
    "change_in_progress",
    "quorum_at_risk",
    "nothing_to_snapshot",
    "not_found",
    "invalid_request",
    "shutting_down",
    "internal",
    "validation_failed",
    "unauthorized",
    "forbidden",
    "not_found_route",
    "method_not_allowed",
    "unsupported_media_type",
    "payload_too_large",
    "invalid_handshake",
    "upgrade_required",
  ])
  .openapi("ErrorCode", {
    description:
      "What went wrong. Whether a failed write may still take effect is told by `definite`, not by the code: " +
      "`no_leader`, `not_leader`, `overloaded` and `leader_transferring` come before anything was proposed (`definite: true`), while after " +
      "`timeout`, `leader_unreachable` (a follower forwarded the write and the leader did not answer) and " +
      "`shutting_down` the write may or may not have taken effect (`definite: false`). " +
      "`overloaded` also answers a leader whose uncommitted entries reached their limit (no quorum keeps up); " +
      "`leader_transferring` a leader that is handing leadership to another node (for at most an election timeout). " +
      "`storage_unavailable` (503) answers a node whose storage failed (a full disk, say) and that knows no other leader: it " +
      "retries reopening its storage, and other nodes keep serving; `definite: true` unless the write was in flight when it failed. " +
      "`member_conflict`, `learner_behind`, `change_in_progress` and `quorum_at_risk` refuse a membership change " +
      "before anything was proposed (`definite: true`). " +
      "`idempotency_key_reused` (422) answers a write whose `Idempotency-Key` came with a different request before (it did not take effect, `definite: true`). " +
      "`nothing_to_snapshot` answers `POST /v1/snapshot` on a node that has applied nothing yet. " +
      "`unauthorized` (401) answers a `/v1` request without a valid bearer token, `forbidden` (403) the read-only token on " +
      "an operation that needs the admin token. " +
      "`invalid_handshake` and `upgrade_required` answer only node-to-node connections at `/v1/raft`.",
  });

/** An error code of the HTTP API. */
export type ApiErrorCode = z.infer<typeof ApiErrorCodeSchema>;

/** The error envelope of every non-2xx JSON response. */
export const ApiErrorSchema = z
  .object({
    error: z.object({
      code: ApiErrorCodeSchema,
      message: z.string().openapi({ example: "Cannot write key 'a': no leader is known right now" }),
      details: z
        .record(z.string(), z.unknown())
        .optional()
        .openapi({ description: "Machine-readable context, e.g. the current entry after `compare_failed`." }),
      definite: z.boolean().optional().openapi({
        description:
          "On writes: true when the write certainly did not and will not take effect; false when it may have (retry only if idempotent).",
      }),
    }),
  })
  .openapi("Error");

/** The error envelope as a TypeScript value. */
export type ApiErrorBody = z.infer<typeof ApiErrorSchema>;

/** The HTTP status of each error code (exhaustive: a new code does not compile until mapped). */
export function errorStatus(code: ApiErrorCode): ContentfulStatusCode {
  switch (code) {
    case "validation_failed":
    case "invalid_request":
    case "invalid_handshake":
      return 400;
    case "unauthorized":
      return 401;
    case "forbidden":
      return 403;
    case "not_found":
    case "not_found_route":
      return 404;
    case "method_not_allowed":
      return 405;
    case "compare_failed":
    case "already_bootstrapped":
    case "member_conflict":
    case "learner_behind":
    case "change_in_progress":
    case "quorum_at_risk":
    case "nothing_to_snapshot":
      return 409;
    case "payload_too_large":
      return 413;
    case "idempotency_key_reused":
      return 422;
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
    case "storage_unavailable":
    case "overloaded":
    case "leader_transferring":
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

/** The envelope `{ error: { code, message, details?, definite? } }` (the one shape of every error answer). */
export function errorEnvelope(
  code: ApiErrorCode,
  message: string,
  init: { readonly details?: Record<string, unknown>; readonly definite?: boolean } = {},
): ApiErrorBody {
  const error: ApiErrorBody["error"] = { code, message };
  if (init.details !== undefined) error.details = init.details;
  if (init.definite !== undefined) error.definite = init.definite;
  return { error };
}

/** The answers of the bearer-token check, which the OpenAPI document adds to every secured operation. */
export const AUTH_ERROR_DESCRIPTIONS = {
  401: "No valid bearer token was sent (`unauthorized`; a node started with `--insecure-no-auth true` requires none)",
  403: "The read-only token was sent to an operation that needs the admin token (`forbidden`)",
} as const;

const ERROR_DESCRIPTIONS = {
  400: "The request is invalid (`validation_failed`, `invalid_request`)",
  404: "The key does not exist (`not_found`); details carry the read index",
  405: "The path exists but not with this method",
  409: "A compare-and-set did not match (`compare_failed`, details carry the current entry) or the node is already in a cluster (`already_bootstrapped`)",
  413: "The request body is larger than the node accepts (`payload_too_large`)",
  415: "The body is not JSON (send `content-type: application/json`)",
  422: "The `Idempotency-Key` came with a different request before (`idempotency_key_reused`); this write did not take effect",
  500: "A bug or a storage failure (`internal`)",
  502: "A follower forwarded the request and the leader did not answer (`leader_unreachable`); for writes `definite: false`",
  503: "No leader is known, the node's storage failed, the node is overloaded, handing leadership over or stopping (`no_leader`, `storage_unavailable`, `not_leader`, `overloaded`, `leader_transferring`, `shutting_down`)",
  504: "The request timed out; for writes `definite: false`, so the write may have taken effect (`timeout`)",
} as const;

/** An HTTP status that the API may answer with the error envelope. */
export type ErrorStatus = keyof typeof ERROR_DESCRIPTIONS;

/** One OpenAPI response object with the error envelope. */
export function errorResponse(description: string) {
  return { description, content: { "application/json": { schema: ApiErrorSchema } } };
}

/** OpenAPI response objects with the error envelope for these statuses, to spread into `responses`. */
export function errorResponses<S extends ErrorStatus>(...statuses: S[]) {
  const out = {} as Record<S, ReturnType<typeof errorResponse>>;
  for (const status of statuses) out[status] = errorResponse(ERROR_DESCRIPTIONS[status]);
  return out;
}

/** OpenAPI response object of the 307 a follower answers with `?redirect=true`. */
export const leaderRedirectResponse = {
  description: "This node is not the leader and `redirect=true` was given: repeat the request at `Location`",
  headers: {
    location: { description: "The same path and query on the leader", schema: { type: "string" as const } },
    "x-raft-leader": { description: "The leader's member id", schema: { type: "string" as const } },
  },
};
