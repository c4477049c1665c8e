/**
 * Zod schema of the body of a key-value snapshot (the JSON inside the checksummed envelope that
 * `src/kv/snapshot.ts` writes). Cross-field rules (key order, revision bounds) are checked after
 * parsing, by the snapshot decoder.
 */
import { z } from "zod";
import { KvKeySchema, KvValueSchema } from "./kv_command.ts";

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

/** The snapshot body (format version 2): the applied index and every key in ascending order. */
export const KvSnapshotBodySchema = z.strictObject({
  appliedIndex: LogIndexSchema,
  entries: z.array(KvSnapshotEntrySchema),
});

/**
 * The body of format version 1, which also carried an address book; it is read and the address
 * book ignored (members' addresses now travel in the Raft configuration).
 */
export const KvSnapshotBodyV1Schema = KvSnapshotBodySchema.extend({ members: z.array(z.unknown()) });

/** A parsed snapshot body. */
export type KvSnapshotBody = z.infer<typeof KvSnapshotBodySchema>;
