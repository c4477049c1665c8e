/** JSON over real HTTP for tests against node processes: one request, one decoded answer, a timeout. */

/** A decoded HTTP answer. */
export interface JsonAnswer {
  readonly status: number;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON fields.
  readonly body: any;
  /** The raw body text (for error messages). */
  readonly text: string;
}

/** Options of {@link httpJson}. */
export interface HttpJsonOptions {
  /** Sent as JSON when defined. */
  readonly body?: unknown;
  /** Abort the request after this many milliseconds (default 10 000). */
  readonly timeoutMs?: number;
  /** Extra request headers. */
  readonly headers?: Record<string, string>;
  /** Sends the request (say, one that trusts a test CA); default the global fetch. */
  readonly fetch?: (url: string, init: RequestInit) => Promise<Response>;
}

/** The bearer token each node's origin (`http://127.0.0.1:7001`) wants, as a configured client keeps it. */
const bearerTokens = new Map<string, string>();

/**
 * From now on, {@link httpJson} sends `authorization: Bearer <token>` to `baseUrl`'s origin unless
 * the request sets its own `authorization` header (an empty one sends none). A cluster of node
 * processes registers its admin token this way; `forgetBearerToken` undoes it.
 */
export function useBearerToken(baseUrl: string, token: string): void {
  bearerTokens.set(new URL(baseUrl).origin, token);
}

/** Stops sending a token to `baseUrl`'s origin. */
export function forgetBearerToken(baseUrl: string): void {
  bearerTokens.delete(new URL(baseUrl).origin);
}

/** The `authorization` header {@link httpJson} sends to `url`: the registered token, if any. */
export function bearerHeaders(url: string): Record<string, string> {
  const token = bearerTokens.get(new URL(url).origin);
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}

/**
 * Sends `method` `url` and decodes the answer: JSON when the answer says so, else the text.
 * Redirects are not followed. Rejects on network errors and timeouts (the message names the request).
 */
export async function httpJson(method: string, url: string, options: HttpJsonOptions = {}): Promise<JsonAnswer> {
  const headers: Record<string, string> = { ...bearerHeaders(url), ...options.headers };
  if (headers.authorization === "") delete headers.authorization;
  const init: RequestInit = { method, headers, redirect: "manual" };
  if (options.body !== undefined) {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(options.body);
  }
  init.signal = AbortSignal.timeout(options.timeoutMs ?? 10_000);
  let res: Response;
  let text: string;
  try {
    res = await (options.fetch ? options.fetch(url, init) : fetch(url, init));
    text = await res.text();
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new Error(`${method} ${url} failed: ${reason}`);
  }
  const isJson = res.headers.get("content-type")?.includes("json") ?? false;
  return { status: res.status, headers: res.headers, body: isJson && text !== "" ? JSON.parse(text) : text, text };
}

/** A one-line description of an answer, for assertion messages. */
export function describeAnswer(answer: JsonAnswer): string {
  return `${answer.status} ${answer.text.length > 500 ? `${answer.text.slice(0, 500)}…` : answer.text}`;
}
