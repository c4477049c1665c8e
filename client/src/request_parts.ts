/** The parts of a call's request: openapi-fetch's options, the redirect query, conditions, and the key checks. */
import type { SendContext } from "./call.ts";
import type { WriteOptions } from "./call_options.ts";
import type { ClientResult } from "./client_error.ts";

/** The request options every call passes to openapi-fetch. */
export function init(ctx: SendContext) {
  return {
    baseUrl: ctx.baseUrl,
    fetch: ctx.fetch,
    signal: ctx.signal,
    headers: ctx.headers,
    redirect: "manual" as const,
  };
}

/** `{ redirect: "true" }` when the call asks followers for a 307, else nothing. */
export function redirectQuery(ctx: SendContext): { redirect?: "true" } {
  return ctx.redirect ? { redirect: "true" } : {};
}

/** The compare-and-set conditions among `options`, without absent ones. */
export function conditionsOf(options: WriteOptions): { expectRevision?: number; expectValue?: string } {
  const out: { expectRevision?: number; expectValue?: string } = {};
  if (options.expectRevision !== undefined) out.expectRevision = options.expectRevision;
  if (options.expectValue !== undefined) out.expectValue = options.expectValue;
  return out;
}

/** The path of a key, for messages. */
export function keyPath(key: string): string {
  return `/v1/kv/${encodeURIComponent(key)}`;
}

/**
 * A key no request can address (empty, `.` or `..`: URLs resolve those as steps of the path) as a
 * definite `validation_failed` result, sent nowhere; null for a key the service may judge.
 */
export function keyProblem(key: string): ClientResult<never> | null {
  if (typeof key !== "string") throw new TypeError(`a key must be a string, not ${typeof key}`);
  if (key !== "" && key !== "." && key !== "..") return null;
  const message =
    key === ""
      ? "Cannot address the empty key: keys have 1..1024 bytes"
      : `Cannot address the key '${key}': URLs resolve it as a step of the path`;
  return { ok: false, error: { code: "validation_failed", message, definite: true, attempts: 0 } };
}
