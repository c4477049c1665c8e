/**
 * The percent-encoding of request URLs. Hono decodes a path or query value whose encoding is
 * malformed (`%`, `%G1`) or not UTF-8 (`%FF`) by keeping the undecodable text as written, so
 * `/v1/kv/%FF` would address the key `%FF`, the same key as `/v1/kv/%25FF`. The API refuses such
 * URLs instead: what a client meant by them cannot be known.
 */
import type { MiddlewareHandler } from "hono";
import { PEER_PATH } from "../../schemas/peer_frame.ts";
import type { AppEnv } from "./http_context.ts";
import { apiError, isWriteMethod } from "./http_errors.ts";

/** Where a URL's encoding is broken: `path` or `query`, or null when it decodes. */
export function malformedUrlPart(url: string): "path" | "query" | null {
  const parsed = new URL(url);
  if (!decodes(parsed.pathname)) return "path";
  const query = parsed.search.slice(1);
  if (query === "") return null;
  for (const pair of query.split("&")) {
    if (!decodes(pair.replaceAll("+", " "))) return "query";
  }
  return null;
}

/** True iff `text` is well-formed percent-encoded UTF-8. */
function decodes(text: string): boolean {
  if (!text.includes("%")) return true;
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Middleware: a request whose path or query is not well-formed percent-encoded UTF-8 answers 400
 * `validation_failed` (definite on writes). The peer endpoint answers its own dials.
 */
export function refuseMalformedUrl(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.path === PEER_PATH) return next();
    const part = malformedUrlPart(c.req.url);
    if (part === null) return next();
    const message = `Cannot ${c.req.method} ${c.req.path}: the ${part} is not valid percent-encoded UTF-8 (encode it like encodeURIComponent does)`;
    const details = { target: part, issues: [{ path: "", message: "invalid percent-encoding or UTF-8" }] };
    return apiError(c, "validation_failed", message, { details, definite: isWriteMethod(c.req.method) || undefined });
  };
}
