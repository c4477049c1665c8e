/** `GET /v1/status`: this node's role, term, indexes, members, options and (on the leader) follower progress. */
import { createRoute, type z } from "@hono/zod-openapi";
import { NodeStatusSchema } from "../schemas/api_cluster.ts";
import { errorResponses } from "../schemas/api_errors.ts";
import { type ApiApp, INDEX_HEADER, TERM_HEADER } from "../src/http/http_context.ts";
import type { NodeStatus } from "../src/server/service.ts";

/** The route definition. */
export const getStatusRoute = createRoute({
  operationId: "getStatus",
  method: "get",
  path: "/v1/status",
  tags: ["cluster"],
  summary: "Show this node's status",
  description:
    "This node's view: role, term, the leader it knows, log indexes, the latest member configuration, the Raft options in force and, on the leader, each follower's replication progress. Never forwarded.",
  responses: {
    200: { description: "The node's status", content: { "application/json": { schema: NodeStatusSchema } } },
    ...errorResponses(400, 405, 500),
  },
});

/** Body of a successful answer. */
export type GetStatusResponse = z.infer<typeof NodeStatusSchema>;

/** Adds the route to `app`. */
export function registerGetStatus(app: ApiApp): void {
  app.openapi(getStatusRoute, (c) => {
    const status = c.get("service").status();
    c.header(INDEX_HEADER, String(status.appliedIndex));
    c.header(TERM_HEADER, String(status.term));
    return c.json(statusBody(status), 200);
  });
}

/** The documented fields of `status` and nothing else (the runtime may carry more). */
function statusBody(status: NodeStatus): GetStatusResponse {
  const { id, url, role, term, commitIndex, appliedIndex, lastIndex, snapshotIndex, runtime } = status;
  return {
    ...{ id, url, role, term, commitIndex, appliedIndex, lastIndex, snapshotIndex },
    leader: status.leader && { id: status.leader.id, url: status.leader.url },
    members: status.members.map((m) => ({ id: m.id, url: m.url, role: m.role })),
    progress: status.progress.map((p) => ({
      ...{ id: p.id, voter: p.voter, matchIndex: p.matchIndex, nextIndex: p.nextIndex, inflight: p.inflight },
      ...{ state: p.state, ticksSinceContact: p.ticksSinceContact, lastContactMs: p.lastContactMs },
    })),
    options: { preVote: status.options.preVote, checkQuorum: status.options.checkQuorum },
    runtime: { name: runtime.name, version: runtime.version },
  };
}
