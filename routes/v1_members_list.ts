/** `GET /v1/cluster/members`: every member, with its role and replication state. */
import { createRoute, type z } from "@hono/zod-openapi";
import { errorResponses, leaderRedirectResponse } from "../schemas/api_errors.ts";
import { MembersQuerySchema, MembersSchema } from "../schemas/api_members.ts";
import { requireLeader } from "../src/http/forward.ts";
import type { ApiApp } from "../src/http/http_context.ts";

/** The route definition. */
export const listMembersRoute = createRoute({
  operationId: "listMembers",
  method: "get",
  path: "/v1/cluster/members",
  tags: ["cluster"],
  summary: "List the members",
  description:
    "Every member of the latest configuration: id, URL, role, whether it leads, and as the leader sees it, " +
    "its match index, lag behind the commit index, last contact and whether it is reachable. A follower " +
    "forwards the request to the leader (or redirects with `redirect=true`); `consistency=stale` answers " +
    "from this node's own view.",
  middleware: [requireLeader("read")] as const,
  request: { query: MembersQuerySchema },
  responses: {
    200: { description: "The members", content: { "application/json": { schema: MembersSchema } } },
    307: leaderRedirectResponse,
    ...errorResponses(400, 500, 502, 503, 504),
  },
});

/** Body of a successful answer. */
export type ListMembersResponse = z.infer<typeof MembersSchema>;

/** Adds the route to `app`. */
export function registerListMembers(app: ApiApp): void {
  app.openapi(listMembersRoute, (c) => {
    const body: ListMembersResponse = { members: [...c.get("service").members()] };
    return c.json(body, 200);
  });
}
