/**
 * Zod schema of the body of a key-value snapshot (the JSON inside the checksummed envelope that
 * `src/kv/snapshot.ts` writes). Cross-field rules (key order, revision bounds) are checked after
 * parsing, by the snapshot decoder.
 */
import { z } from "zod";
import { KvKeySchema, KvValueSchema, MemberInfoSchema } from "./kv_command.ts";

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

/** The snapshot body: the applied index, the address book by id and every key in ascending order. */
export const KvSnapshotBodySchema = z.strictObject({
  appliedIndex: LogIndexSchema,
  members: z.array(MemberInfoSchema),
  entries: z.array(KvSnapshotEntrySchema),
});

/** A parsed snapshot body. */
export type KvSnapshotBody = z.infer<typeof KvSnapshotBodySchema>;
