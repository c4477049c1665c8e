/**
 * Zod schemas of the key-value commands that travel through the Raft log as opaque JSON payloads.
 * Every node decodes the same bytes with these schemas, so every check here must give the same
 * answer on every runtime: only plain string, number and pattern checks, never a platform parser.
 */
// The same zod instance as "zod", extended with `.openapi()` before any schema here is created:
// the HTTP schemas annotate these, and zod 4 schemas created before the extension cannot be.
import { z } from "@hono/zod-openapi";

/** Longest key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;
/** Longest value, in UTF-8 bytes (1 MiB). */
export const MAX_VALUE_BYTES = 1024 * 1024;
/** Longest client request id, in UTF-16 code units. */
export const MAX_REQUEST_ID_LENGTH = 256;

/**
 * UTF-8 length of `s`, or -1 if `s` holds a lone surrogate (such a string cannot round-trip
 * through UTF-8, so keys and values must not contain one).
 */
export function utf8ByteLength(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c < 0xd800 || c > 0xdfff) bytes += 3;
    else if (c <= 0xdbff && i + 1 < s.length && isLowSurrogate(s.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else return -1;
  }
  return bytes;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** A string of valid Unicode whose UTF-8 length lies in `min..max`. */
function utf8String(what: string, min: number, max: number) {
  return z.string().superRefine((s, ctx) => {
    const n = utf8ByteLength(s);
    if (n < 0) ctx.addIssue({ code: "custom", message: `${what} must be valid Unicode (it has a lone surrogate)` });
    else if (n < min) ctx.addIssue({ code: "custom", message: `${what} must have at least ${min} byte(s)` });
    else if (n > max) ctx.addIssue({ code: "custom", message: `${what} has ${n} UTF-8 bytes; the limit is ${max}` });
  });
}

/** A key: 1..{@link MAX_KEY_BYTES} bytes of UTF-8. */
export const KvKeySchema = utf8String("key", 1, MAX_KEY_BYTES);
/** A value: 0..{@link MAX_VALUE_BYTES} bytes of UTF-8. */
export const KvValueSchema = utf8String("value", 0, MAX_VALUE_BYTES);
/** A key revision: a log index, or 0 for "no such key". */
export const KvRevisionSchema = z.number().int().nonnegative();

/** An optional client request id; carried along, never interpreted. */
const RequestIdSchema = z.string().max(MAX_REQUEST_ID_LENGTH).optional();

/**
 * How many log entries after its first command an idempotency key is remembered. Part of the
 * replicated state's rules: every node must use the same value.
 */
export const IDEMPOTENCY_WINDOW = 200_000;

/** Longest idempotency key, in characters. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 128;

/**
 * An idempotency key: 1..{@link MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters (space to `~`).
 * A command carrying one is applied once; the same key again answers the first result (see
 * `src/kv/idempotency.ts`).
 */
export const IdempotencyKeySchema = z
  .string()
  .min(1)
  .max(MAX_IDEMPOTENCY_KEY_LENGTH)
  .regex(/^[\x20-\x7e]+$/, "an idempotency key holds printable ASCII characters only");

/** Sets `key` to `value`, if the optional compare-and-set expectations hold. */
export const PutCommandSchema = z.strictObject({
  op: z.literal("put"),
  id: RequestIdSchema,
  idempotencyKey: IdempotencyKeySchema.optional(),
  key: KvKeySchema,
  value: KvValueSchema,
  expectValue: KvValueSchema.optional(),
  expectRevision: KvRevisionSchema.optional(),
});

/** Deletes `key`, if the optional compare-and-set expectations hold. */
export const DeleteCommandSchema = z.strictObject({
  op: z.literal("delete"),
  id: RequestIdSchema,
  idempotencyKey: IdempotencyKeySchema.optional(),
  key: KvKeySchema,
  expectValue: KvValueSchema.optional(),
  expectRevision: KvRevisionSchema.optional(),
});

/** Does nothing; useful to force an entry through the log (a barrier). */
export const NoopCommandSchema = z.strictObject({ op: z.literal("noop"), id: RequestIdSchema });

/**
 * Every key-value command, told apart by `op`. (Members' addresses are not commands: they travel in
 * the Raft configuration. A `members` command in an old log is applied as an invalid no-op.)
 */
export const KvCommandSchema = z.discriminatedUnion("op", [PutCommandSchema, DeleteCommandSchema, NoopCommandSchema]);

/** A decoded key-value command. */
export type KvCommand = z.infer<typeof KvCommandSchema>;
/** A `put` command. */
export type PutCommand = z.infer<typeof PutCommandSchema>;
/** A `delete` command. */
export type DeleteCommand = z.infer<typeof DeleteCommandSchema>;
/** A `noop` command. */
export type NoopCommand = z.infer<typeof NoopCommandSchema>;
