/** `POST /v1/cluster/leader`: hands leadership to a named voter, or the most caught-up one. */
import { createRoute, type z } from "@hono/zod-openapi";
import { errorResponses, leaderRedirectResponse } from "../schemas/api_errors.ts";
import { LeaderChangeSchema, MembershipQuerySchema, TransferBodySchema } from "../schemas/api_members.ts";
import { answerServiceError, requireLeader } from "../src/http/forward.ts";
import type { ApiApp } from "../src/http/http_context.ts";

/** The route definition. */
export const transferLeaderRoute = createRoute({
  operationId: "transferLeader",
  method: "post",
  path: "/v1/cluster/leader",
  tags: ["cluster"],
  summary: "Transfer leadership",
  description:
    "The leader brings the target voter up to date and hands leadership to it (writes are refused with " +
    "503 `leader_transferring` meanwhile, for at most an election timeout). Answers once a new leader is " +
    "known, or 504 `timeout` if the transfer did not finish. Without `to`, the most caught-up voter is chosen.",
  middleware: [requireLeader("write", "membership")] as const,
  request: {
    query: MembershipQuerySchema,
    body: { required: true, content: { "application/json": { schema: TransferBodySchema } } },
  },
  responses: {
    200: { description: "The new leader", content: { "application/json": { schema: LeaderChangeSchema } } },
    307: leaderRedirectResponse,
    ...errorResponses(400, 404, 413, 415, 500, 502, 503, 504),
  },
});

/** Body of a successful answer. */
export type TransferLeaderResponse = z.infer<typeof LeaderChangeSchema>;

/** Adds the route to `app`. */
export function registerTransferLeader(app: ApiApp): void {
  app.openapi(transferLeaderRoute, async (c) => {
    const { to } = c.req.valid("json");
    const result = await c.get("service").transferLeader(to);
    if (!result.ok) return answerServiceError(c, result, "write");
    const body: TransferLeaderResponse = { leader: result.leader, term: result.term };
    return c.json(body, 200);
  });
}
