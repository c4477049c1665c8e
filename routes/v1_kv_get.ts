/** `GET /v1/kv/{key}`: reads one key at the requested consistency. */
import { createRoute, type z } from "@hono/zod-openapi";
import { errorResponses, leaderRedirectResponse } from "../schemas/api_errors.ts";
import { GetQuerySchema, GetResultSchema, KeyParamsSchema } from "../schemas/api_kv.ts";
import { answerServiceError, requireLeader } from "../src/http/forward.ts";
import { type ApiApp, setResultHeaders } from "../src/http/http_context.ts";
import { apiError } from "../src/http/http_errors.ts";

/** The route definition. */
export const getKeyRoute = createRoute({
  operationId: "getKey",
  method: "get",
  path: "/v1/kv/{key}",
  tags: ["kv"],
  summary: "Read a key",
  description:
    "Reads the key with its revision metadata. A `linearizable` read on a follower is served by the follower " +
    "once it has applied the read index the leader confirmed with a quorum (or forwarded to the leader when its " +
    "link to the leader is down); `leader` reads are served by the leader (a follower forwards them); with " +
    "`redirect=true` a follower redirects both to the leader. `stale` reads are served locally. " +
    "A missing key is 404 `not_found` with the read index in `details.index`.",
  middleware: [requireLeader("read", "request", { followerReads: true })] as const,
  request: { params: KeyParamsSchema, query: GetQuerySchema },
  responses: {
    200: {
      description: "The key and the index the read reflects",
      content: { "application/json": { schema: GetResultSchema } },
    },
    307: leaderRedirectResponse,
    ...errorResponses(400, 404, 500, 502, 503, 504),
  },
});

/** Body of a successful answer. */
export type GetKeyResponse = z.infer<typeof GetResultSchema>;

/** Adds the route to `app`. */
export function registerGetKey(app: ApiApp): void {
  app.openapi(getKeyRoute, async (c) => {
    const { key } = c.req.valid("param");
    const { consistency } = c.req.valid("query");
    const result = await c.get("service").get(key, consistency);
    if (!result.ok) return answerServiceError(c, result, "read");
    setResultHeaders(c, result);
    if (result.kv === null) {
      return apiError(c, "not_found", `Key '${key}' does not exist`, { details: { key, index: result.index } });
    }
    const body: GetKeyResponse = { ...result.kv, index: result.index };
    return c.json(body, 200);
  });
}
