/** `POST /v1/cluster`: bootstraps a new cluster whose first configuration is the given members. */
import { createRoute, type z } from "@hono/zod-openapi";
import { BootstrapBodySchema, BootstrapResultSchema } from "../schemas/api_cluster.ts";
import { errorResponses } from "../schemas/api_errors.ts";
import type { ApiApp } from "../src/http/http_context.ts";
import { apiError, serviceErrorResponse } from "../src/http/http_errors.ts";

/** The route definition. */
export const bootstrapClusterRoute = createRoute({
  operationId: "bootstrapCluster",
  method: "post",
  path: "/v1/cluster",
  tags: ["cluster"],
  summary: "Bootstrap a new cluster",
  description:
    "Creates a new cluster on this node with `members` as its voters. Call it on one node only; the other " +
    "members join when this node's leader contacts them. This node must be one of the members. " +
    "A node that is already part of a cluster answers 409 `already_bootstrapped`.",
  request: { body: { required: true, content: { "application/json": { schema: BootstrapBodySchema } } } },
  responses: {
    201: { description: "The cluster is created", content: { "application/json": { schema: BootstrapResultSchema } } },
    ...errorResponses(400, 409, 413, 415, 500, 503, 504),
  },
});

/** Body of a successful answer. */
export type BootstrapClusterResponse = z.infer<typeof BootstrapResultSchema>;

/** Adds the route to `app`. */
export function registerBootstrapCluster(app: ApiApp): void {
  app.openapi(bootstrapClusterRoute, async (c) => {
    const { members } = c.req.valid("json");
    const self = c.get("service").self;
    if (!members.some((m) => m.id === self.id)) {
      const ids = members.map((m) => m.id).join(", ");
      const message = `Cannot bootstrap a cluster without this node: '${self.id}' is not among the members (${ids})`;
      return apiError(c, "invalid_request", message, { definite: true, details: { self } });
    }
    const result = await c.get("service").bootstrap(members);
    if (!result.ok) return serviceErrorResponse(c, result, "write");
    const body: BootstrapClusterResponse = { members: result.members.map((m) => ({ id: m.id, url: m.url })) };
    return c.json(body, 201);
  });
}
