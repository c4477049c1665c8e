/** `POST /v1/snapshot`: snapshots this node's state now and compacts its log (local to the node that receives it). */
import { createRoute, type z } from "@hono/zod-openapi";
import { errorResponse, errorResponses } from "../schemas/api_errors.ts";
import { SnapshotInfoSchema } from "../schemas/api_snapshot.ts";
import type { ApiApp } from "../src/http/http_context.ts";
import { serviceErrorResponse } from "../src/http/http_errors.ts";
import { refuseBody } from "../src/http/request_body.ts";

/** The route definition. */
export const takeSnapshotRoute = createRoute({
  operationId: "takeSnapshot",
  method: "post",
  path: "/v1/snapshot",
  tags: ["snapshot"],
  summary: "Take a snapshot now",
  description:
    "Snapshots the state machine of the node that receives the request at its applied index, stores it durably " +
    "and compacts the log up to it. A local operation on any node (never forwarded): each node snapshots its own " +
    "state. When nothing was applied since the latest snapshot, answers that snapshot. A node that has applied " +
    "nothing yet answers 409 `nothing_to_snapshot`. The request takes no body: one is refused with 400 `validation_failed` " +
    "(no snapshot is taken).",
  middleware: [refuseBody("taking a snapshot takes no body and no options")] as const,
  responses: {
    200: {
      description: "The snapshot now on this node (new, or the latest one when nothing changed)",
      content: { "application/json": { schema: SnapshotInfoSchema } },
    },
    409: errorResponse("The node has applied nothing it could snapshot (`nothing_to_snapshot`)"),
    ...errorResponses(400, 405, 413, 500, 503),
  },
});

/** Body of a successful answer. */
export type TakeSnapshotResponse = z.infer<typeof SnapshotInfoSchema>;

/** Adds the route to `app`. */
export function registerTakeSnapshot(app: ApiApp): void {
  app.openapi(takeSnapshotRoute, async (c) => {
    const result = await c.get("service").takeSnapshot();
    if (!result.ok) return serviceErrorResponse(c, result, "write");
    const body: TakeSnapshotResponse = { index: result.index, term: result.term, bytes: result.bytes };
    return c.json(body, 200);
  });
}
