/**
 * Zod schema of the body of a key-value snapshot (the JSON inside the checksummed envelope that
 * `src/kv/snapshot.ts` writes). Cross-field rules (key order, revision bounds) are checked after
 * parsing, by the snapshot decoder.
 */
import { z } from "zod";
import { IdempotencyKeySchema, KvKeySchema, KvValueSchema } from "./kv_command.ts";

const LogIndexSchema = z.number().int().nonnegative();
const PositiveSchema = z.number().int().positive();

/** One stored key as a compact tuple: key, value, revision, createRevision, version. */
export const KvSnapshotEntrySchema = z.tuple([
  KvKeySchema,
  KvValueSchema,
  PositiveSchema,
  PositiveSchema,
  PositiveSchema,
]);

/** The body of format version 2: the applied index and every key in ascending order. */
export const KvSnapshotBodyV2Schema = z.strictObject({
  appliedIndex: LogIndexSchema,
  entries: z.array(KvSnapshotEntrySchema),
});

/** A remembered result: `["ok", revision, prev]` or `["compare_failed", current]` (entries as tuples or null). */
export const KvSnapshotResultSchema = z.union([
  z.tuple([z.literal("ok"), LogIndexSchema, KvSnapshotEntrySchema.nullable()]),
  z.tuple([z.literal("compare_failed"), KvSnapshotEntrySchema.nullable()]),
]);

/** One remembered idempotency key: key, first index, fingerprint, result. */
export const KvSnapshotIdempotencySchema = z.tuple([
  IdempotencyKeySchema,
  PositiveSchema,
  z.string().max(64),
  KvSnapshotResultSchema,
]);

/**
 * The snapshot body (format version 3): version 2's fields and the idempotency table, in log order.
 */
export const KvSnapshotBodySchema = KvSnapshotBodyV2Schema.extend({
  idempotency: z.array(KvSnapshotIdempotencySchema),
});

/**
 * The body of format version 1, which also carried an address book; it is read and the address
 * book ignored (members' addresses now travel in the Raft configuration).
 */
export const KvSnapshotBodyV1Schema = KvSnapshotBodyV2Schema.extend({ members: z.array(z.unknown()) });

/** A parsed snapshot body (version 3). */
export type KvSnapshotBody = z.infer<typeof KvSnapshotBodySchema>;
/** A parsed version 1 or 2 body (no idempotency table). */
export type KvSnapshotBodyV2 = z.infer<typeof KvSnapshotBodyV2Schema>;
/** A stored entry tuple. */
export type KvSnapshotEntry = z.infer<typeof KvSnapshotEntrySchema>;
