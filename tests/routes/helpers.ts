/** Shared helpers of the route tests: an app over a fake node, JSON requests and a recording fetch. */
import { expect } from "bun:test";
import { createHttpApp } from "../../routes/mod.ts";
import { OPEN_API } from "../../src/http/api_auth.ts";
import type { FetchFunction } from "../../src/http/forward.ts";
import type { HttpAppOptions } from "../../src/http/http_app.ts";
import type { ApiApp } from "../../src/http/http_context.ts";
import { FakeNodeService, type FakeServiceOptions } from "../helpers/fake_service.ts";

/** An app and the fake node behind it. */
export interface Fixture {
  readonly app: ApiApp;
  readonly service: FakeNodeService;
}

/**
 * A fresh app over a fresh fake node (a one-node cluster led by `n1` unless told otherwise). It
 * needs no token unless `auth` says otherwise (auth_test.ts covers the tokens). A `fetch` given
 * without a `pooledFetch` sends every forwarded request.
 */
export function fixture(options: FakeServiceOptions & Partial<HttpAppOptions> = {}): Fixture {
  const service = new FakeNodeService(options);
  const pooledFetch = options.pooledFetch ?? options.fetch;
  const app = createHttpApp(service, { onInternalError: () => {}, auth: OPEN_API, ...options, pooledFetch });
  return { app, service };
}

/** A decoded answer. */
export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON fields.
  readonly body: any;
}

/** Sends a request (a non-string body is sent as JSON) and decodes a JSON answer. */
export async function send(
  app: ApiApp,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    init.headers = { "content-type": "application/json", ...headers };
  }
  const res = await app.request(path, init);
  const text = await res.text();
  const isJson = res.headers.get("content-type")?.includes("json") ?? false;
  return { status: res.status, headers: res.headers, body: isJson && text !== "" ? JSON.parse(text) : text };
}

/** Asserts the error envelope with `status` and `code`, and returns its `error` object. */
// biome-ignore lint/suspicious/noExplicitAny: the envelope's details are arbitrary JSON.
export function expectError(answer: Answer, status: number, code: string): any {
  expect({ status: answer.status, code: answer.body?.error?.code }).toEqual({ status, code });
  expect(typeof answer.body.error.message).toBe("string");
  expect(answer.body.error.message.length).toBeGreaterThan(0);
  expect(Object.keys(answer.body)).toEqual(["error"]);
  return answer.body.error;
}

/** A request a {@link RecordingFetch} received. */
export interface RecordedRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body: string | undefined;
  readonly signal: AbortSignal | undefined;
}

/** A fetch that records each request and answers with `respond` (default: 200 `{"ok":true}`). */
export class RecordingFetch {
  readonly requests: RecordedRequest[] = [];
  respond: (request: RecordedRequest) => Promise<Response> | Response;

  /** A recording fetch answering with `respond`. */
  constructor(respond?: (request: RecordedRequest) => Promise<Response> | Response) {
    this.respond = respond ?? (() => Response.json({ ok: true }, { status: 200 }));
  }

  /** The function to inject as the app's `fetch`. */
  readonly fetch: FetchFunction = async (url, init) => {
    const body = init.body === undefined || init.body === null ? undefined : String(init.body);
    const signal = init.signal ?? undefined;
    const request = { url, method: init.method ?? "GET", headers: new Headers(init.headers), body, signal };
    this.requests.push(request);
    return this.respond(request);
  };
}

/** The leader used by forwarding tests. */
export const LEADER = { id: "n2", url: "http://10.0.0.2:7001" };
