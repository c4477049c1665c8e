/**
 * The `Idempotency-Key` request header of writes (IETF draft-ietf-httpapi-idempotency-key-header):
 * its value is a Structured Field string, `"…"` with `\"` and `\\` escapes; a bare token is accepted
 * too, for hand-typed requests. The key itself is 1..128 printable ASCII characters.
 */
import { z } from "@hono/zod-openapi";
import { IDEMPOTENCY_WINDOW, IdempotencyKeySchema, MAX_IDEMPOTENCY_KEY_LENGTH } from "./kv_command.ts";

/** The header's name as it travels (HTTP header names are case-insensitive). */
export const IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";
/** Set to `true` on the answer to a repeated write: it is the first write's result, nothing changed now. */
export const IDEMPOTENT_REPLAYED_HEADER = "Idempotent-Replayed";

/** What a bare (unquoted) key may hold. */
const BARE_KEY = /^[A-Za-z0-9._~:+/=-]+$/;

/**
 * The key a header value carries, or null when the value is neither a well-formed sf-string nor a
 * bare token, or its key is empty, too long or not printable ASCII.
 */
export function parseIdempotencyKey(value: string): string | null {
  const key = value.startsWith('"') ? parseSfString(value) : BARE_KEY.test(value) ? value : null;
  return key !== null && IdempotencyKeySchema.safeParse(key).success ? key : null;
}

/** `key` as a header value: a Structured Field string (quoted, `"` and `\` escaped). */
export function formatIdempotencyKey(key: string): string {
  return `"${key.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** The content of a Structured Field string (RFC 8941 §3.3.3), or null if `value` is not exactly one. */
function parseSfString(value: string): string | null {
  let out = "";
  for (let i = 1; i < value.length; i++) {
    const c = value[i];
    if (c === "\\") {
      const next = value[++i];
      if (next !== '"' && next !== "\\") return null;
      out += next;
    } else if (c === '"') {
      return i === value.length - 1 ? out : null;
    } else {
      const code = c.charCodeAt(0);
      if (code < 0x20 || code > 0x7e) return null;
      out += c;
    }
  }
  return null;
}

/** The optional header on `PUT` and `DELETE /v1/kv/{key}`, parsed to the key. */
export const IdempotencyKeyHeaderSchema = z
  .string()
  .transform((value, ctx) => {
    const key = parseIdempotencyKey(value.trim());
    if (key !== null) return key;
    ctx.addIssue({
      code: "custom",
      message: `${IDEMPOTENCY_KEY_HEADER} must be a quoted string (e.g. "8e03978e-40d5-43e8-bc93-6894a57f9324") of 1..${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters, or a bare token of letters, digits and ._~:+/=-`,
    });
    return z.NEVER;
  })
  .optional()
  .openapi({
    type: "string",
    param: { in: "header" },
    description:
      "Makes the write exactly-once: the first write with a key is applied; a later one with the same key and the same request " +
      `answers the first one's result (status and body, with \`${IDEMPOTENT_REPLAYED_HEADER}: true\`) and changes nothing, and with a different ` +
      "request it answers 422 `idempotency_key_reused`. " +
      `Keys are remembered, on every node alike, for ${IDEMPOTENCY_WINDOW} log entries after their write ` +
      "(and, within that, while the remembered answers fit their memory bound, oldest forgotten first), so a write that timed out can be " +
      "retried with the same key. A Structured Field string as in the IETF Idempotency-Key draft; a bare token is accepted too.",
    example: '"8e03978e-40d5-43e8-bc93-6894a57f9324"',
  });

/** The request headers of a write. */
export const WriteHeadersSchema = z.object({ "idempotency-key": IdempotencyKeyHeaderSchema });
