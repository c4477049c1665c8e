/**
 * The request body of a write: bounded, UTF-8, and read once, in full, before any route or forward
 * sees it. A body announced (Content-Length) as larger than the limit is refused before a byte of it
 * is read; a chunked body is counted while it arrives. Every body the API takes is JSON, which is
 * UTF-8 text: a body that is not valid UTF-8 is refused rather than decoded with replacement
 * characters (which would store U+FFFD where the client sent other bytes). Because the body is read in this one place, a
 * client that goes away mid-body surfaces here, as a {@link RequestBodyAborted}, whatever route
 * would have read it.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "./http_context.ts";
import { apiError, type ErrorResponse, isWriteMethod } from "./http_errors.ts";

/** The client closed or reset the connection before the request body was complete. */
export class RequestBodyAborted extends Error {
  override readonly name = "RequestBodyAborted";

  /** `what` is the request, e.g. `PUT /v1/kv/a`. */
  constructor(what: string, options?: ErrorOptions) {
    super(`Cannot read the body of ${what}: the connection closed before the body was complete`, options);
  }
}

/**
 * The methods of the routes that read a body. Bodies of other methods are never read: no route
 * serves them (they answer 405), and Deno refuses to rebuild a TRACE or TRACK request at all.
 */
const BODY_METHODS: ReadonlySet<string> = new Set(["POST", "PUT", "DELETE"]);

/**
 * Middleware: reads the body of a request that may carry one (POST, PUT or DELETE: no route reads
 * the body of any other method), answers 413 `payload_too_large` past `maxBytes` and 400 `validation_failed` for a
 * body that is not valid UTF-8, and hands the routes a request whose body is in memory. Throws
 * {@link RequestBodyAborted} when the body cannot be read.
 */
export function readBody(maxBytes: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const raw = c.req.raw;
    if (raw.body === null || !BODY_METHODS.has(raw.method)) return next();
    const announced = raw.headers.has("transfer-encoding") ? undefined : raw.headers.get("content-length");
    if (announced != null && Number(announced) > maxBytes) return tooLarge(c, maxBytes);
    const what = `${raw.method} ${c.req.path}`;
    if (announced != null) {
      // The runtime reads at most the announced length, which is within the limit: read it natively,
      // and let the routes take it from the request's body cache (no second request is built).
      const buffer = await c.req.arrayBuffer().catch((error) => {
        throw new RequestBodyAborted(what, { cause: error });
      });
      return isUtf8(new Uint8Array(buffer)) ? next() : notUtf8(c);
    }
    const bytes = await readAll(raw.body, maxBytes, what);
    if (bytes === null) return tooLarge(c, maxBytes);
    if (!isUtf8(bytes)) return notUtf8(c);
    // A fresh request rather than a copy of `raw`: copying would also copy (and, on Deno, arm) its signal.
    c.req.raw = new Request(raw.url, { method: raw.method, headers: raw.headers, body: bytes });
    return next();
  };
}

/**
 * Middleware of an operation that takes no body: a request with a non-empty one answers 400
 * `validation_failed` (definite on writes), with `hint` saying where its input goes instead.
 */
export function refuseBody(hint: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.raw.body === null || (await c.req.arrayBuffer()).byteLength === 0) return next();
    const message = `Cannot ${c.req.method} ${c.req.path}: ${hint}`;
    const details = { target: "body", issues: [{ path: "", message: "expected no body" }] };
    return apiError(c, "validation_failed", message, { details, definite: isWriteMethod(c.req.method) || undefined });
  };
}

/** 413 `payload_too_large` for a body over `maxBytes`; nothing was read, so nothing was done. */
function tooLarge(c: Context, maxBytes: number): ErrorResponse {
  const message = `Cannot ${c.req.method} ${c.req.path}: the body is larger than ${maxBytes} bytes`;
  return apiError(c, "payload_too_large", message, { definite: true });
}

/** 400 `validation_failed` for a body that is not UTF-8; it was never parsed, so nothing was done. */
function notUtf8(c: Context): ErrorResponse {
  const message = `Cannot ${c.req.method} ${c.req.path}: the body is not valid UTF-8 (send JSON as UTF-8 text)`;
  const details = { target: "body", issues: [{ path: "", message: "invalid UTF-8" }] };
  return apiError(c, "validation_failed", message, { details, definite: true });
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** True iff `bytes` are valid UTF-8. */
function isUtf8(bytes: Uint8Array): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Every byte of `body`, or null once it exceeds `maxBytes` (the rest is left unread). */
async function readAll(body: ReadableStream<Uint8Array>, maxBytes: number, what: string): Promise<Bytes | null> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let step: Awaited<ReturnType<typeof reader.read>>;
    try {
      step = await reader.read();
    } catch (error) {
      throw new RequestBodyAborted(what, { cause: error });
    }
    if (step.done) return concat(chunks, size);
    size += step.value.byteLength;
    if (size > maxBytes) {
      reader.cancel().catch(() => undefined); // The answer is 413 whatever happens to the rest.
      return null;
    }
    chunks.push(step.value);
  }
}

/** Bytes in an ArrayBuffer of their own (what a request body accepts). */
type Bytes = Uint8Array<ArrayBuffer>;

function concat(chunks: readonly Uint8Array[], size: number): Bytes {
  if (chunks.length === 1 && chunks[0].buffer instanceof ArrayBuffer) return chunks[0] as Bytes;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
