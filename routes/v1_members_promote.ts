/** `POST /v1/cluster/members/{id}/promote`: makes a caught-up learner a voter. */
import { createRoute, type z } from "@hono/zod-openapi";
import { errorResponses, leaderRedirectResponse } from "../schemas/api_errors.ts";
import { MemberParamsSchema, MembershipChangeSchema, MembershipQuerySchema } from "../schemas/api_members.ts";
import { answerServiceError, requireLeader } from "../src/http/forward.ts";
import type { ApiApp } from "../src/http/http_context.ts";
import { refuseBody } from "../src/http/request_body.ts";

/** The route definition. */
export const promoteMemberRoute = createRoute({
  operationId: "promoteMember",
  method: "post",
  path: "/v1/cluster/members/{id}/promote",
  tags: ["cluster"],
  summary: "Promote a learner to voter",
  description:
    "Makes the learner a voter through joint consensus and answers once the final configuration is " +
    "committed. Refused with 409 `learner_behind` while it lags behind the commit index, and with 409 " +
    "`change_in_progress` while another change is not finished. Promoting a voter changes nothing (200). " +
    "The request takes no body: one is refused with 400 `validation_failed` (nothing changes).",
  middleware: [
    refuseBody("a promotion takes no body; the learner is named in the path"),
    requireLeader("write", "membership"),
  ] as const,
  request: { params: MemberParamsSchema, query: MembershipQuerySchema },
  responses: {
    200: { description: "Promoted", content: { "application/json": { schema: MembershipChangeSchema } } },
    307: leaderRedirectResponse,
    ...errorResponses(400, 404, 409, 413, 500, 502, 503, 504),
  },
});

/** Body of a successful answer. */
export type PromoteMemberResponse = z.infer<typeof MembershipChangeSchema>;

/** Adds the route to `app`. */
export function registerPromoteMember(app: ApiApp): void {
  app.openapi(promoteMemberRoute, async (c) => {
    const { id } = c.req.valid("param");
    const result = await c.get("service").promoteMember(id);
    if (!result.ok) return answerServiceError(c, result, "write");
    const body: PromoteMemberResponse = { changed: result.changed, members: [...result.members] };
    return c.json(body, 200);
  });
}
