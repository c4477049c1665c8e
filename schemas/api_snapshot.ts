/** Zod schemas and header names of the snapshot routes: `POST /v1/snapshot` and `GET /v1/snapshot`. */
import { z } from "@hono/zod-openapi";

/** Header of a snapshot download: the index of the last entry the snapshot covers. */
export const SNAPSHOT_INDEX_HEADER = "x-raft-snapshot-index";
/** Header of a snapshot download: the term of that entry. */
export const SNAPSHOT_TERM_HEADER = "x-raft-snapshot-term";
/** Header of a snapshot download: the SHA-256 of the whole body, 64 lower-case hex digits (`sha256sum` prints it). */
export const SNAPSHOT_SHA256_HEADER = "x-raft-snapshot-sha256";
/**
 * Header of a snapshot download: the body's length in bytes. Always sent, because Bun's server
 * drops a handler's `content-length` on a streamed body and sends it chunked (Deno keeps it).
 */
export const SNAPSHOT_SIZE_HEADER = "x-raft-snapshot-size";

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
  [SNAPSHOT_SHA256_HEADER]: {
    description:
      "The SHA-256 of the whole body, as 64 lower-case hex digits (compare with `sha256sum`). The file also carries its own CRC-32, which a restore checks",
    schema: { type: "string" as const, pattern: "^[0-9a-f]{64}$" },
  },
  [SNAPSHOT_SIZE_HEADER]: {
    description:
      "The body's length in bytes (`content-length` says the same where the runtime keeps it: Deno does, Bun sends the stream chunked)",
    schema: { type: "integer" as const },
  },
};
