/**
 * What every call of the client resolves with: a success with the value and who served it, or a
 * typed {@link ClientError}. HTTP and API failures never throw; only programming errors do.
 */
import type { ApiErrorCode, Member } from "./values.ts";

/**
 * Failures the client itself observes: `network` (the request could not be sent or its answer not
 * read), `timeout` without a status (the per-attempt deadline passed), `invalid_response` (an answer
 * that is not what the API sends), `aborted` (the caller's signal aborted the call).
 */
export type ClientSideErrorCode = "network" | "timeout" | "invalid_response" | "aborted";

/** The API's error code (a newer server may send one this client does not list), or a client-side one. */
export type ClientErrorCode = ApiErrorCode | ClientSideErrorCode;

/** A failed call. */
export interface ClientError {
  /** The API's error code, or `network`, `timeout`, `invalid_response` or `aborted`. */
  readonly code: ClientErrorCode;
  /** What went wrong, in a sentence. */
  readonly message: string;
  /**
   * True only when the call certainly did not take effect and never will (every attempt was
   * refused before it was proposed); false when a write may have been applied. Reads: always true.
   */
  readonly definite: boolean;
  /** The HTTP status of the last answer, if one arrived. */
  readonly status?: number;
  /** The leader the last answer named (an error's `details.leader`, or a redirect's target), or null. */
  readonly leader?: Member | null;
  /** The node that produced the last answer (`x-raft-served-by`), or null. */
  readonly servedBy?: string | null;
  /** The error envelope's `details`, as the API sent them. */
  readonly details?: unknown;
  /** How many attempts the call made (redirects followed within an attempt do not count). */
  readonly attempts: number;
  /** True when the answer replayed the first result of the same idempotency key (`Idempotent-Replayed: true`). */
  readonly replayed?: boolean;
}

/** A successful call. */
export interface ClientSuccess<T> {
  readonly ok: true;
  /** What the API answered. */
  readonly value: T;
  /** The node that produced the answer (`x-raft-served-by`: the leader when a follower forwarded it), or null. */
  readonly servedBy: string | null;
  /** The leader's member id as the client knows it after this call, or null. */
  readonly leader: string | null;
  /** True when the answer replayed the first result of the write's idempotency key. */
  readonly replayed: boolean;
}

/** A failed call. */
export interface ClientFailure {
  readonly ok: false;
  readonly error: ClientError;
}

/** What every call of the client resolves with. */
export type ClientResult<T> = ClientSuccess<T> | ClientFailure;
