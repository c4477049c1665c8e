/** `DELETE /v1/cluster/members/{id}`: removes a member through joint consensus. */
import { createRoute, type z } from "@hono/zod-openapi";
import { errorResponses, leaderRedirectResponse } from "../schemas/api_errors.ts";
import { MemberParamsSchema, MembershipChangeSchema, RemoveMemberQuerySchema } from "../schemas/api_members.ts";
import { answerServiceError, requireLeader } from "../src/http/forward.ts";
import type { ApiApp } from "../src/http/http_context.ts";
import { refuseBody } from "../src/http/request_body.ts";

/** The route definition. */
export const removeMemberRoute = createRoute({
  operationId: "removeMember",
  method: "delete",
  path: "/v1/cluster/members/{id}",
  tags: ["cluster"],
  summary: "Remove a member",
  description:
    "Removes the member (a voter through joint consensus) and answers once the final configuration is " +
    "committed. Removing the leader works: it steps down once the new configuration commits, and the others " +
    "elect a leader. Refused with 409 `quorum_at_risk` when the voters left would include fewer reachable ones " +
    "than a quorum, unless `force=true`. The request takes no body: one is refused with 400 `validation_failed` (nothing changes).",
  middleware: [
    refuseBody("a removal takes no body; the member is named in the path and ?force=true goes in the query string"),
    requireLeader("write", "membership"),
  ] as const,
  request: { params: MemberParamsSchema, query: RemoveMemberQuerySchema },
  responses: {
    200: { description: "Removed", content: { "application/json": { schema: MembershipChangeSchema } } },
    307: leaderRedirectResponse,
    ...errorResponses(400, 404, 409, 413, 500, 502, 503, 504),
  },
});

/** Body of a successful answer. */
export type RemoveMemberResponse = z.infer<typeof MembershipChangeSchema>;

/** Adds the route to `app`. */
export function registerRemoveMember(app: ApiApp): void {
  app.openapi(removeMemberRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { force } = c.req.valid("query");
    const result = await c.get("service").removeMember(id, { force: force === "true" });
    if (!result.ok) return answerServiceError(c, result, "write");
    const body: RemoveMemberResponse = { changed: result.changed, members: [...result.members] };
    return c.json(body, 200);
  });
}
