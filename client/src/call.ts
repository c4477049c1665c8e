/**
 * One call of the client, from its first attempt to its result: picks the node, follows 307s to
 * the leader, bounds each attempt with a deadline, maps failures, learns where the leader is, and
 * retries with backoff where that is safe.
 */
import { isErrorEnvelope } from "./answers.ts";
import type { ClientResult, ClientSuccess } from "./client_error.ts";
import type { Endpoints } from "./endpoints.ts";
import {
  type AttemptFailure,
  type CallKind,
  clientError,
  envelopeFailure,
  invalidResponse,
  thrownFailure,
} from "./failure.ts";
import { isReplayed, leaderIdOf, servedByOf } from "./headers.ts";
import type { FetchFunction, ResolvedOptions } from "./options.ts";
import { normalizeEndpoint } from "./options.ts";
import { backoffDelay, isRetrySafe } from "./retry.ts";
import { attemptSignal } from "./signals.ts";

/** Redirects followed within one attempt before it counts as failed (a leader that keeps moving). */
export const MAX_REDIRECTS = 3;

/** What a call's `send` gets for one request. */
export interface SendContext {
  /** The node's base URL. */
  readonly baseUrl: string;
  /** Aborts at the attempt's deadline or when the caller aborts. */
  readonly signal: AbortSignal;
  /** Ask a follower for a 307 to the leader (`?redirect=true`) instead of a forward. */
  readonly redirect: boolean;
  /** Headers to send (the token, the idempotency key). */
  readonly headers: Readonly<Record<string, string>>;
  /** The fetch to send with. */
  readonly fetch: FetchFunction;
}

/** An answer as openapi-fetch resolves it: the parsed body in `data` (2xx) or `error` (else). */
export interface Answer {
  readonly response: Response;
  readonly data?: unknown;
  readonly error?: unknown;
}

/** A decoded answer: the call's value, a reason the answer is not valid, or `error` for an error answer. */
export type Decoded<T> = { readonly value: T } | { readonly invalid: string } | "error";

/** Everything one call needs. */
export interface CallSpec<T> {
  /** The request in words, e.g. `PUT /v1/kv/a`, for messages. */
  readonly what: string;
  readonly kind: CallKind;
  /** Served by the leader only (followers redirect or forward it). */
  readonly needsLeader: boolean;
  /** Repeating the request cannot apply it twice (a write with an idempotency key, or one that sets a target state). */
  readonly idempotent: boolean;
  /** Headers beyond the token (the idempotency key). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Send to this node only (node-local calls); default the leader or the endpoints in turn. */
  readonly endpoint?: string;
  readonly timeoutMs: number;
  readonly attempts: number;
  readonly signal?: AbortSignal;
  /** Sends one request. */
  send(ctx: SendContext): Promise<Answer>;
  /** Turns an answer into the call's value. */
  decode(answer: Answer): Decoded<T>;
}

/** The client state every call shares. */
export interface CallEnv {
  readonly options: ResolvedOptions;
  readonly endpoints: Endpoints;
}

/** How one attempt ended. */
type AttemptOutcome<T> =
  | { readonly ok: true; readonly result: ClientSuccess<T> }
  | { readonly ok: false; readonly failure: AttemptFailure; readonly url: string };

/** Runs `spec` to its result. Never throws for HTTP or network failures. */
export async function runCall<T>(env: CallEnv, spec: CallSpec<T>): Promise<ClientResult<T>> {
  const { options, endpoints } = env;
  let allDefinite = true;
  let last: AttemptFailure | undefined;
  let attempts = 0;
  while (attempts < spec.attempts) {
    if (attempts > 0) await options.sleep(backoffDelay(attempts, options.backoffMs, options.random), spec.signal);
    // Aborted before this attempt was sent: it certainly did nothing (earlier attempts may have).
    if (spec.signal?.aborted === true) {
      last = abortedBeforeSending(spec);
      break;
    }
    attempts++;
    const outcome = await attemptAt(env, spec, spec.endpoint ?? endpoints.target());
    if (outcome.ok) return outcome.result;
    const failure = outcome.failure;
    allDefinite &&= failure.definite;
    last = failure;
    if (spec.endpoint === undefined) learnFromFailure(env, outcome.url, failure);
    const facts = { kind: spec.kind, idempotent: spec.idempotent, definite: failure.definite };
    if (!isRetrySafe({ ...facts, transient: failure.transient })) break;
  }
  if (last === undefined) throw new Error(`assertion failed: ${spec.what} ended without an attempt`);
  return { ok: false, error: clientError(last, attempts, allDefinite) };
}

/** One attempt at `start`, following at most {@link MAX_REDIRECTS} redirects to the leader. */
async function attemptAt<T>(env: CallEnv, spec: CallSpec<T>, start: string): Promise<AttemptOutcome<T>> {
  let url = start;
  for (let hop = 0; ; hop++) {
    const redirect = spec.needsLeader && env.options.routing === "redirect" && !env.endpoints.redirectsOpaque;
    const exchanged = await exchange(env, spec, url, redirect);
    if (!exchanged.ok) return { ok: false, failure: exchanged.failure, url };
    const { answer, request } = exchanged;
    const response = answer.response;
    // A browser hides a manual redirect: nothing happened, so ask again with forwarding.
    if (redirect && response.type === "opaqueredirect") {
      env.endpoints.markRedirectsOpaque();
      if (hop < MAX_REDIRECTS) continue;
    }
    if (!redirect || (response.status !== 307 && response.status !== 308)) return settle(env, spec, url, answer);
    const target = redirectTarget(response, request, url);
    if (typeof target === "string") return { ok: false, failure: invalidResponse(spec.kind, response, target), url };
    if (hop >= MAX_REDIRECTS) return { ok: false, failure: tooManyRedirects(spec, response, target.url), url };
    if (spec.endpoint === undefined) env.endpoints.leaderAt(target.url, target.id);
    url = target.url;
  }
}

/** Sends one request with its own deadline; a throw becomes a failure. */
async function exchange<T>(
  env: CallEnv,
  spec: CallSpec<T>,
  url: string,
  redirect: boolean,
): Promise<{ ok: true; answer: Answer; request: Request } | { ok: false; failure: AttemptFailure }> {
  const attempt = attemptSignal(spec.timeoutMs, spec.signal);
  let request: Request | undefined;
  let response: Response | undefined;
  const fetchOnce: FetchFunction = async (r) => {
    request = r;
    response = await env.options.fetch(r);
    return response;
  };
  const headers: Record<string, string> = { ...spec.headers };
  if (env.options.token !== undefined) headers.authorization = `Bearer ${env.options.token}`;
  let answer: Answer;
  try {
    answer = await spec.send({ baseUrl: url, signal: attempt.signal, redirect, headers, fetch: fetchOnce });
  } catch (err) {
    const facts = { timedOut: attempt.timedOut(), callerAborted: attempt.callerAborted(), response };
    const failure = thrownFailure(spec.kind, `${spec.what} at ${url}`, err, { ...facts, timeoutMs: spec.timeoutMs });
    return { ok: false, failure };
  } finally {
    attempt.dispose();
  }
  if (request === undefined) throw new Error(`assertion failed: ${spec.what} resolved without sending a request`);
  return { ok: true, answer, request };
}

/** The result of an answer that is not a redirect: the value, or the failure it describes. */
function settle<T>(env: CallEnv, spec: CallSpec<T>, url: string, answer: Answer): AttemptOutcome<T> {
  const response = answer.response;
  const decoded = spec.decode(answer);
  if (decoded === "error") {
    const failure = isErrorEnvelope(answer.error)
      ? envelopeFailure(spec.kind, response, answer.error)
      : invalidResponse(spec.kind, response, describeBody(answer.error));
    return { ok: false, failure, url };
  }
  if ("invalid" in decoded) return { ok: false, failure: invalidResponse(spec.kind, response, decoded.invalid), url };
  const servedBy = servedByOf(response.headers);
  if (spec.needsLeader && spec.endpoint === undefined) {
    // Asked with redirect=true, only the leader serves it; else the node may have forwarded it.
    if (env.options.routing === "redirect" && !env.endpoints.redirectsOpaque) env.endpoints.leaderAt(url, servedBy);
    else env.endpoints.forwardedBy(url, servedBy);
  }
  const replayed = isReplayed(response.headers);
  return { ok: true, result: { ok: true, value: decoded.value, servedBy, leader: env.endpoints.leaderId, replayed } };
}

/** Moves the endpoints on after a failure that another node may not have: to the leader it named, else to the next node. */
function learnFromFailure(env: CallEnv, url: string, failure: AttemptFailure): void {
  if (!failure.transient) return;
  const { endpoints } = env;
  const hinted = failure.leader === null ? null : baseUrlOrNull(failure.leader.url);
  // Only a client that follows redirects goes beyond its endpoints: one that forwards may not
  // reach the members' advertised URLs (or, in a browser, may not be allowed to).
  const reachable =
    hinted !== null &&
    ((env.options.routing === "redirect" && !endpoints.redirectsOpaque) || endpoints.urls.includes(hinted));
  if (reachable && hinted !== url && failure.leader !== null) endpoints.leaderAt(hinted, failure.leader.id);
  else endpoints.failedAt(url);
}

/** The leader's base URL and id from a 307, or why the redirect cannot be followed. */
function redirectTarget(
  response: Response,
  request: Request,
  baseUrl: string,
): { url: string; id: string | null } | string {
  const location = response.headers.get("location");
  if (location === null || location === "") return "a redirect without Location";
  let target: URL;
  try {
    target = new URL(location, request.url);
  } catch {
    return `a redirect to an invalid Location: ${location}`;
  }
  if (target.protocol !== "http:" && target.protocol !== "https:") return `a redirect to a non-http URL: ${location}`;
  // Location is the leader's base URL followed by the path we asked for: keep the base.
  const basePath = new URL(baseUrl).pathname.replace(/\/+$/, "");
  const asked = new URL(request.url).pathname.slice(basePath.length);
  const path = target.pathname;
  const base = path.endsWith(asked) ? path.slice(0, path.length - asked.length) : "";
  const url = baseUrlOrNull(`${target.origin}${base}`);
  if (url === null) return `a redirect to an unusable Location: ${location}`;
  return { url, id: leaderIdOf(response.headers) };
}

/** `url` as a normalized base URL, or null if it is not one. */
function baseUrlOrNull(url: string): string | null {
  try {
    return normalizeEndpoint(url);
  } catch {
    return null;
  }
}

/** Redirected again and again: nothing was done anywhere (every 307 is a refusal), so it is definite. */
function tooManyRedirects<T>(spec: CallSpec<T>, response: Response, last: string): AttemptFailure {
  return {
    code: "not_leader",
    message: `${spec.what}: followed ${MAX_REDIRECTS} redirects without reaching the leader (the last to ${last})`,
    definite: true,
    transient: true,
    status: response.status,
    leader: null,
    servedBy: servedByOf(response.headers),
    replayed: false,
  };
}

/** The caller aborted before an attempt was sent. */
function abortedBeforeSending<T>(spec: CallSpec<T>): AttemptFailure {
  const message = `${spec.what} was aborted by the caller`;
  return { code: "aborted", message, definite: true, transient: false, leader: null, servedBy: null, replayed: false };
}

/** Why an error answer's body is not the API's envelope, in a few words. */
function describeBody(body: unknown): string {
  if (body === undefined || body === "") return "an error status with an empty body";
  if (typeof body === "string") return `the body is not the API's error envelope: ${body.slice(0, 200)}`;
  return `JSON that is not the API's error envelope: ${JSON.stringify(body).slice(0, 200)}`;
}
