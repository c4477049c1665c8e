/** Zod schemas and header names of the snapshot routes: `POST /v1/snapshot` and `GET /v1/snapshot`. */
import { z } from "@hono/zod-openapi";

/** Header of a snapshot download: the index of the last entry the snapshot covers. */
export const SNAPSHOT_INDEX_HEADER = "x-raft-snapshot-index";
/** Header of a snapshot download: the term of that entry. */
export const SNAPSHOT_TERM_HEADER = "x-raft-snapshot-term";
/** Header of a snapshot download: the CRC-32 (IEEE) of the whole body, 8 lower-case hex digits. */
export const SNAPSHOT_CRC32_HEADER = "x-raft-snapshot-crc32";

/** Body of a successful `POST /v1/snapshot`. */
export const SnapshotInfoSchema = z
  .object({
    index: z
      .number()
      .int()
      .positive()
      .openapi({ description: "The index of the last log entry the snapshot covers", example: 1042 }),
    term: z.number().int().nonnegative().openapi({ description: "The term of that entry", example: 3 }),
    bytes: z
      .number()
      .int()
      .positive()
      .openapi({ description: "The length of the snapshot file (what `GET /v1/snapshot` sends)", example: 48213 }),
  })
  .openapi("SnapshotInfo");

/** The response headers of a snapshot download, as OpenAPI header objects. */
export const snapshotDownloadHeaders = {
  [SNAPSHOT_INDEX_HEADER]: {
    description: "The index of the last log entry the snapshot covers",
    schema: { type: "integer" as const },
  },
  [SNAPSHOT_TERM_HEADER]: { description: "The term of that entry", schema: { type: "integer" as const } },
  [SNAPSHOT_CRC32_HEADER]: {
    description: "The CRC-32 (IEEE 802.3, as zlib's crc32) of the whole body, as 8 lower-case hex digits",
    schema: { type: "string" as const, pattern: "^[0-9a-f]{8}$" },
  },
  "content-length": { description: "The body's length in bytes", schema: { type: "integer" as const } },
};
