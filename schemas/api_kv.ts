/**
 * Zod schemas of the key-value routes of the HTTP API (`/v1/kv`): path, query, bodies and results.
 * Keys and values reuse the log command's limits, so the API rejects exactly what apply would.
 */
import { z } from "@hono/zod-openapi";
import { KvKeySchema, KvValueSchema, MAX_KEY_BYTES } from "./kv_command.ts";

/** Largest revision or index a client may send (a log index is a safe integer). */
const MAX_INDEX = Number.MAX_SAFE_INTEGER;

/** A non-negative integer in a query string, documented as an integer. */
function queryInteger(min: number, max: number) {
  return z
    .string()
    .regex(/^\d{1,16}$/, "expected a non-negative integer")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .openapi({ type: "integer", minimum: min, maximum: max });
}

/** A log index or revision in a response. */
const IndexSchema = z.number().int().nonnegative();

/**
 * How a key travels in a URL, for error messages: one path segment, so a '/' inside it is
 * percent-encoded, and never '.' or '..', which URLs resolve as steps of the path.
 */
export const KEY_PATH_RULE = `keys are single path segments of 1..${MAX_KEY_BYTES} UTF-8 bytes: send a '/' inside a key as %2F; the keys '.' and '..' cannot be addressed (URLs resolve them as steps of the path)`;

/** The `{key}` path parameter (URL-decoded). */
export const KeyParamsSchema = z.object({
  key: KvKeySchema.refine((key) => key !== "." && key !== "..", {
    error: (issue) => `the key '${String(issue.input)}' cannot be addressed: ${KEY_PATH_RULE}`,
  }).openapi({
    param: { name: "key", in: "path" },
    description: `The key, 1..${MAX_KEY_BYTES} bytes of UTF-8, percent-encoded like encodeURIComponent does: a '/' inside a key travels as %2F (the keys '.' and '..' cannot be addressed).`,
    example: "app/config",
  }),
});

/** How fresh a read must be. */
export const ConsistencySchema = z
  .enum(["linearizable", "leader", "stale"])
  .default("linearizable")
  .openapi({
    description:
      "`linearizable` (default): the leader confirms its leadership with a quorum first; `leader`: served by the leader without that check; " +
      "`stale`: served by any node from its local state, possibly behind.",
  });

/** `?redirect=true` answers 307 to the leader instead of forwarding the request. */
export const RedirectSchema = z.enum(["true", "false"]).optional().openapi({
  description:
    "On a follower: `true` answers 307 with the leader's URL in `Location` instead of forwarding the request.",
});

/** One key with its metadata; revisions are log indexes. */
export const KvEntrySchema = z
  .object({
    key: z.string().openapi({ example: "app/config" }),
    value: z.string().openapi({ example: "on" }),
    revision: IndexSchema.openapi({ description: "Log index of the last change of the key", example: 42 }),
    createRevision: IndexSchema.openapi({ description: "Log index at which the key was created", example: 17 }),
    version: z.number().int().positive().openapi({ description: "Number of changes since creation", example: 3 }),
  })
  .openapi("KvEntry");

/** Query of `GET /v1/kv/{key}`. */
export const GetQuerySchema = z.strictObject({ consistency: ConsistencySchema, redirect: RedirectSchema });

/** Body of `GET /v1/kv/{key}`. */
export const GetResultSchema = KvEntrySchema.extend({
  index: IndexSchema.openapi({ description: "The applied log index the read reflects", example: 45 }),
}).openapi("KvGetResult");

/** Query of `PUT /v1/kv/{key}`. */
export const PutQuerySchema = z.strictObject({ redirect: RedirectSchema });

/** Body of `PUT /v1/kv/{key}`: the value, optionally compare-and-set. */
export const PutBodySchema = z
  .strictObject({
    value: KvValueSchema.openapi({ description: "The new value (at most 1 MiB of UTF-8)", example: "on" }),
    expectValue: KvValueSchema.optional().openapi({ description: "Write only if the current value equals this" }),
    expectRevision: z.number().int().min(0).max(MAX_INDEX).optional().openapi({
      description: "Write only if the key's current revision equals this; 0 means the key must not exist",
    }),
  })
  .openapi("KvPutRequest");

/** The result of a write: where it landed and what it replaced. */
const WriteFields = {
  key: z.string().openapi({ example: "app/config" }),
  revision: IndexSchema.openapi({ description: "The key's revision after the write", example: 46 }),
  index: IndexSchema.openapi({ description: "Log index of the write", example: 46 }),
  prev: z.union([KvEntrySchema, z.null()]).openapi({ description: "The entry before the write, or null" }),
};

/** Body of a successful `PUT /v1/kv/{key}`. */
export const PutResultSchema = z.object(WriteFields).openapi("KvPutResult");

/** Query of `DELETE /v1/kv/{key}`: optional compare-and-delete. */
export const DeleteQuerySchema = z.strictObject({
  expectRevision: queryInteger(0, MAX_INDEX)
    .optional()
    .openapi({ description: "Delete only if the key's current revision equals this" }),
  expectValue: z.string().optional().openapi({ description: "Delete only if the current value equals this" }),
  redirect: RedirectSchema,
});

/** Body of a successful `DELETE /v1/kv/{key}`. */
export const DeleteResultSchema = z
  .object({
    ...WriteFields,
    deleted: z.boolean().openapi({ description: "False when the key did not exist" }),
    revision: IndexSchema.openapi({ description: "The delete's log index, or 0 if the key did not exist" }),
  })
  .openapi("KvDeleteResult");

/** Query of `GET /v1/kv`. */
export const ListQuerySchema = z.strictObject({
  prefix: z
    .string()
    .max(MAX_KEY_BYTES)
    .default("")
    .openapi({ description: "Only keys that start with this", example: "app/" }),
  limit: queryInteger(1, 1000)
    .optional()
    .openapi({ description: "At most this many keys (default 100)", default: 100 }),
  after: z.string().max(MAX_KEY_BYTES).optional().openapi({
    description: "Page cursor: only keys after this one (pass the previous answer's `next`)",
    example: "app/b",
  }),
  consistency: ConsistencySchema,
  redirect: RedirectSchema,
});

/** Body of `GET /v1/kv`. */
export const ListResultSchema = z
  .object({
    items: z.array(KvEntrySchema).openapi({ description: "Matching keys in key order" }),
    more: z.boolean().openapi({ description: "True when more keys match than `limit`" }),
    next: z
      .union([z.string(), z.null()])
      .openapi({ description: "When `more`: the cursor of the next page (pass it as `after`); else null" }),
    index: IndexSchema.openapi({ description: "The applied log index the listing reflects", example: 45 }),
  })
  .openapi("KvListResult");
