/** `GET /v1/snapshot`: downloads this node's latest snapshot file, a self-contained backup. */
import { createRoute } from "@hono/zod-openapi";
import { errorResponse, errorResponses } from "../schemas/api_errors.ts";
import {
  SNAPSHOT_INDEX_HEADER,
  SNAPSHOT_SHA256_HEADER,
  SNAPSHOT_SIZE_HEADER,
  SNAPSHOT_TERM_HEADER,
  snapshotDownloadHeaders,
} from "../schemas/api_snapshot.ts";
import { ADMIN_SECURITY, requireAdmin } from "../src/http/api_auth.ts";
import type { ApiApp } from "../src/http/http_context.ts";
import { serviceErrorResponse } from "../src/http/http_errors.ts";

/** The route definition. */
export const downloadSnapshotRoute = createRoute({
  operationId: "downloadSnapshot",
  method: "get",
  path: "/v1/snapshot",
  tags: ["snapshot"],
  summary: "Download the latest snapshot (a backup)",
  description:
    "Streams the latest snapshot file of the node that receives the request (never forwarded). The file is a " +
    "self-describing backup: magic `RBSN`, format version, the log position it covers, the cluster configuration " +
    "there and the state machine's data, closed by a CRC-32 (the format is in docs/storage.md). Restore it into a " +
    "new single-node cluster with `npm run restore`. It holds every key: this read needs the admin token (the read-only token gets 403)." +
    " A node without a snapshot answers 404 `not_found` (take one with `POST /v1/snapshot`).",
  middleware: [requireAdmin] as const,
  security: ADMIN_SECURITY,
  responses: {
    200: {
      description: "The snapshot file",
      headers: snapshotDownloadHeaders,
      content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
    },
    404: errorResponse("The node has no snapshot yet (`not_found`)"),
    ...errorResponses(400, 405, 500, 503),
  },
});

/** Adds the route to `app`. */
export function registerDownloadSnapshot(app: ApiApp): void {
  app.openapi(downloadSnapshotRoute, async (c) => {
    const result = await c.get("service").downloadSnapshot();
    if (!result.ok) return serviceErrorResponse(c, result, "read");
    return c.body(result.body, 200, {
      "content-type": "application/octet-stream",
      "content-length": String(result.bytes),
      "content-disposition": `attachment; filename="snapshot-${result.index}-${result.term}.snap"`,
      [SNAPSHOT_INDEX_HEADER]: String(result.index),
      [SNAPSHOT_TERM_HEADER]: String(result.term),
      [SNAPSHOT_SIZE_HEADER]: String(result.bytes),
      [SNAPSHOT_SHA256_HEADER]: result.sha256,
    });
  });
}
