/** `POST /v1/cluster/members`: adds a node as a learner, promoted to voter once caught up. */
import { createRoute, type z } from "@hono/zod-openapi";
import { errorResponses, leaderRedirectResponse } from "../schemas/api_errors.ts";
import { AddMemberBodySchema, MembershipChangeSchema, MembershipQuerySchema } from "../schemas/api_members.ts";
import { answerServiceError, requireLeader } from "../src/http/forward.ts";
import type { ApiApp } from "../src/http/http_context.ts";

/** The route definition. */
export const addMemberRoute = createRoute({
  operationId: "addMember",
  method: "post",
  path: "/v1/cluster/members",
  tags: ["cluster"],
  summary: "Add a member",
  description:
    "Adds the node as a learner: it receives the log (or a snapshot) and does not vote. Unless `learner` is " +
    "true, the leader promotes it to voter through joint consensus once it is caught up. Answers once the " +
    "change is committed: 201 when it was added, 200 when it already was a member at this URL (idempotent). " +
    "The same id at another URL is 409 `member_conflict`.",
  middleware: [requireLeader("write", "membership")] as const,
  request: {
    query: MembershipQuerySchema,
    body: { required: true, content: { "application/json": { schema: AddMemberBodySchema } } },
  },
  responses: {
    200: { description: "Already a member", content: { "application/json": { schema: MembershipChangeSchema } } },
    201: { description: "Added", content: { "application/json": { schema: MembershipChangeSchema } } },
    307: leaderRedirectResponse,
    ...errorResponses(400, 409, 413, 415, 500, 502, 503, 504),
  },
});

/** Body of a successful answer. */
export type AddMemberResponse = z.infer<typeof MembershipChangeSchema>;

/** Adds the route to `app`. */
export function registerAddMember(app: ApiApp): void {
  app.openapi(addMemberRoute, async (c) => {
    const { id, url, learner } = c.req.valid("json");
    const result = await c.get("service").addMember({ id, url }, { learner });
    if (!result.ok) return answerServiceError(c, result, "write");
    const body: AddMemberResponse = { changed: result.changed, members: [...result.members] };
    return c.json(body, result.changed ? 201 : 200);
  });
}
