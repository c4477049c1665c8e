/**
 * Error mapping: every way an attempt can fail — an error envelope, an answer that is not the API's,
 * a dropped connection, a deadline, an aborted call — becomes one {@link AttemptFailure}, and the
 * last one of a call becomes its {@link ClientError}.
 */
import { type ErrorEnvelope, isMember } from "./answers.ts";
import type { ClientError, ClientErrorCode } from "./client_error.ts";
import { isReplayed, servedByOf } from "./headers.ts";
import { isTransient } from "./retry.ts";
import type { Member } from "./values.ts";

/** Whether a call reads or writes: a failed write says whether it may have taken effect. */
export type CallKind = "read" | "write";

/** One failed attempt. */
export interface AttemptFailure {
  readonly code: ClientErrorCode;
  readonly message: string;
  /** This attempt certainly did not take effect (always true for reads). */
  readonly definite: boolean;
  /** Another attempt may succeed. */
  readonly transient: boolean;
  readonly status?: number;
  /** The leader the answer named (`details.leader`), or null. */
  readonly leader: Member | null;
  readonly servedBy: string | null;
  readonly details?: unknown;
  readonly replayed: boolean;
}

/** The failure an error envelope describes. */
export function envelopeFailure(kind: CallKind, response: Response, envelope: ErrorEnvelope): AttemptFailure {
  const { code, message, details, definite } = envelope.error;
  const leader = details !== undefined && isMember(details.leader) ? details.leader : null;
  const failure: AttemptFailure = {
    code: code as ClientErrorCode,
    message,
    // A write the service did not call definite may have been applied; reads never change anything.
    definite: kind === "read" || definite === true,
    transient: isTransient(code as ClientErrorCode),
    status: response.status,
    leader,
    servedBy: servedByOf(response.headers),
    replayed: isReplayed(response.headers),
  };
  return details === undefined ? failure : { ...failure, details };
}

/**
 * An answer that is not what the API sends. Another attempt may help when it looks like a proxy's
 * or a broken answer (5xx, or a 2xx whose body is wrong), not when a 4xx says the request is wrong.
 */
export function invalidResponse(kind: CallKind, response: Response, why: string): AttemptFailure {
  const status = response.status;
  return {
    code: "invalid_response",
    message: `Invalid answer (HTTP ${status}): ${why}`,
    definite: kind === "read",
    transient: status >= 500 || (status >= 200 && status < 300),
    status,
    leader: null,
    servedBy: servedByOf(response.headers),
    replayed: isReplayed(response.headers),
  };
}

/** How a fetch that threw ended. */
export interface ThrownFacts {
  /** The attempt's own deadline passed. */
  readonly timedOut: boolean;
  /** The caller's signal aborted. */
  readonly callerAborted: boolean;
  /** The answer's headers had arrived when it threw (the body was cut off or was not JSON). */
  readonly response: Response | undefined;
  readonly timeoutMs: number;
}

/** The failure of an attempt whose fetch (or the reading of its answer) threw. */
export function thrownFailure(kind: CallKind, what: string, err: unknown, facts: ThrownFacts): AttemptFailure {
  const base = {
    definite: kind === "read",
    leader: null,
    status: facts.response?.status,
    servedBy: facts.response === undefined ? null : servedByOf(facts.response.headers),
    replayed: false,
  };
  if (facts.callerAborted) {
    return { ...base, code: "aborted", message: `${what} was aborted by the caller`, transient: false };
  }
  if (facts.timedOut) {
    const message = `${what} got no answer within ${facts.timeoutMs} ms`;
    return { ...base, code: "timeout", message, transient: true };
  }
  if (facts.response !== undefined && err instanceof SyntaxError) {
    return invalidResponse(kind, facts.response, `the body is not JSON (${err.message})`);
  }
  return { ...base, code: "network", message: `${what} failed: ${describeError(err)}`, transient: true };
}

/**
 * The error of a failed call from its last attempt: definite only if every attempt was (an
 * earlier attempt that may have been applied makes the whole write indefinite).
 */
export function clientError(last: AttemptFailure, attempts: number, allDefinite: boolean): ClientError {
  const error: ClientError = {
    code: last.code,
    message: last.message,
    definite: last.definite && allDefinite,
    leader: last.leader,
    servedBy: last.servedBy,
    attempts,
  };
  const extra: { status?: number; details?: unknown; replayed?: boolean } = {};
  if (last.status !== undefined) extra.status = last.status;
  if (last.details !== undefined) extra.details = last.details;
  if (last.replayed) extra.replayed = true;
  return { ...error, ...extra };
}

/** The messages of `err` and its causes (runtimes hide the useful part in `cause`). */
export function describeError(err: unknown): string {
  const messages: string[] = [];
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e !== undefined && e !== null; depth++) {
    const message = e instanceof Error ? `${e.message}` : String(e);
    if (message !== "" && !messages.includes(message)) messages.push(message);
    if (!(e instanceof Error)) break;
    e = (e as Error).cause;
  }
  return messages.length === 0 ? "unknown error" : messages.join(": ");
}
