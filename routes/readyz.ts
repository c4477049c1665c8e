/** `GET /readyz`: the node is part of a cluster and knows its leader. */
import { createRoute, type z } from "@hono/zod-openapi";
import { ReadyzSchema } from "../schemas/api_cluster.ts";
import { errorResponses } from "../schemas/api_errors.ts";
import type { ApiApp } from "../src/http/http_context.ts";
import type { NodeService } from "../src/server/service.ts";

/** The route definition. */
export const readyzRoute = createRoute({
  operationId: "readyz",
  method: "get",
  path: "/readyz",
  tags: ["health"],
  summary: "Check that the node can serve requests",
  description:
    "200 when this node is a member of a cluster and knows the leader, else 503; both carry the individual checks. " +
    "Use it as a readiness probe.",
  responses: {
    200: { description: "Ready", content: { "application/json": { schema: ReadyzSchema } } },
    503: {
      description: "Not ready (see the failed checks)",
      content: { "application/json": { schema: ReadyzSchema } },
    },
    ...errorResponses(405, 500),
  },
});

/** Body of an answer (200 and 503 alike). */
export type ReadyzResponse = z.infer<typeof ReadyzSchema>;

/** The readiness checks of `service`, in a fixed order. */
function readinessChecks(service: NodeService): ReadyzResponse["checks"] {
  const self = service.self;
  const member = service.status().members.some((m) => m.id === self.id);
  const leader = service.leader();
  return [
    { name: "cluster", ok: member, message: member ? `${self.id} is a member` : `${self.id} is not part of a cluster` },
    { name: "leader", ok: leader !== null, message: leader ? `the leader is ${leader.id}` : "no leader is known" },
  ];
}

/** Adds the route to `app`. */
export function registerReadyz(app: ApiApp): void {
  app.openapi(readyzRoute, (c) => {
    const checks = readinessChecks(c.var.service);
    const ready = checks.every((check) => check.ok);
    return ready ? c.json({ ready, checks }, 200) : c.json({ ready, checks }, 503);
  });
}
