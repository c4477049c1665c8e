/**
 * `GET /readyz`: the node is part of a cluster, knows a leader that heard from a quorum recently,
 * its storage is writable, and it has applied what is committed. `?verbose` answers one line per
 * check, like etcd and Kubernetes.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { ReadyzSchema } from "../schemas/api_cluster.ts";
import { errorResponses } from "../schemas/api_errors.ts";
import type { ApiApp } from "../src/http/http_context.ts";
import type { NodeService } from "../src/server/service.ts";

/** Committed entries a node may still have to apply and be ready. */
export const MAX_APPLY_LAG = 1000;

/** The route definition. */
export const readyzRoute = createRoute({
  operationId: "readyz",
  method: "get",
  path: "/readyz",
  tags: ["health"],
  summary: "Check that the node can serve requests",
  description:
    "200 when this node is a member of a cluster, knows a leader that heard from a quorum within an election " +
    "timeout (the leader checks its followers; a follower that hears from its leader relies on check-quorum), " +
    `its storage is writable, and it is at most ${MAX_APPLY_LAG} committed entries behind in applying them; ` +
    "else 503. Both carry the individual checks; `?verbose` answers them as text lines (`[+]name ok`, " +
    "`[-]name failed: …`). Use it as a readiness probe.",
  request: { query: z.strictObject({ verbose: z.string().optional().openapi({ description: "Answer text lines" }) }) },
  responses: {
    200: {
      description: "Ready",
      content: { "application/json": { schema: ReadyzSchema }, "text/plain": { schema: z.string() } },
    },
    503: {
      description: "Not ready (see the failed checks)",
      content: { "application/json": { schema: ReadyzSchema }, "text/plain": { schema: z.string() } },
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
  const facts = service.readiness();
  const quorum =
    facts.leaderQuorum === null
      ? { ok: leader !== null, message: leader ? `following ${leader.id}` : "no leader is known" }
      : {
          ok: facts.leaderQuorum,
          message: facts.leaderQuorum
            ? "a quorum answered within an election timeout"
            : "no quorum answered within an election timeout",
        };
  const caughtUp = facts.applyLag <= MAX_APPLY_LAG;
  return [
    { name: "cluster", ok: member, message: member ? `${self.id} is a member` : `${self.id} is not part of a cluster` },
    { name: "leader", ok: leader !== null, message: leader ? `the leader is ${leader.id}` : "no leader is known" },
    { name: "quorum", ...quorum },
    {
      name: "storage",
      ok: facts.storageWritable,
      message: facts.storageWritable
        ? "writable"
        : (facts.storageFailure ?? "the storage failed or the node is stopping"),
    },
    {
      name: "caught_up",
      ok: caughtUp,
      message: `${facts.applyLag} committed entries not applied yet${caughtUp ? "" : ` (more than ${MAX_APPLY_LAG})`}`,
    },
  ];
}

/** Adds the route to `app`. */
export function registerReadyz(app: ApiApp): void {
  app.openapi(readyzRoute, (c) => {
    const checks = readinessChecks(c.get("service"));
    const ready = checks.every((check) => check.ok);
    if (c.req.valid("query").verbose !== undefined) {
      const lines = checks.map((check) =>
        check.ok ? `[+]${check.name} ok` : `[-]${check.name} failed: ${check.message}`,
      );
      const text = `${lines.join("\n")}\nreadyz check ${ready ? "passed" : "failed"}\n`;
      return c.text(text, ready ? 200 : 503);
    }
    return ready ? c.json({ ready, checks }, 200) : c.json({ ready, checks }, 503);
  });
}
