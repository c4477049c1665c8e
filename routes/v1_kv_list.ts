/** `GET /v1/kv`: lists keys with a prefix, in key order. */
import { createRoute, type z } from "@hono/zod-openapi";
import { errorResponses, leaderRedirectResponse } from "../schemas/api_errors.ts";
import { ListQuerySchema, ListResultSchema } from "../schemas/api_kv.ts";
import { answerServiceError, requireLeader } from "../src/http/forward.ts";
import { type ApiApp, setResultHeaders } from "../src/http/http_context.ts";

/** How many keys a listing returns when `limit` is not given. */
export const DEFAULT_LIST_LIMIT = 100;

/** The route definition. */
export const listKeysRoute = createRoute({
  operationId: "listKeys",
  method: "get",
  path: "/v1/kv",
  tags: ["kv"],
  summary: "List keys by prefix",
  description:
    "Lists up to `limit` keys that start with `prefix`, in key order; `more` says whether more matched. " +
    "Consistency and forwarding work as for reading one key.",
  middleware: [requireLeader("read", "request", { followerReads: true })] as const,
  request: { query: ListQuerySchema },
  responses: {
    200: { description: "The matching keys", content: { "application/json": { schema: ListResultSchema } } },
    307: leaderRedirectResponse,
    ...errorResponses(400, 500, 502, 503, 504),
  },
});

/** Body of a successful answer. */
export type ListKeysResponse = z.infer<typeof ListResultSchema>;

/** Adds the route to `app`. */
export function registerListKeys(app: ApiApp): void {
  app.openapi(listKeysRoute, async (c) => {
    const { prefix, limit, consistency, after } = c.req.valid("query");
    const result = await c.get("service").list(prefix, limit ?? DEFAULT_LIST_LIMIT, consistency, after);
    if (!result.ok) return answerServiceError(c, result, "read");
    setResultHeaders(c, result);
    const next = result.more ? (result.items.at(-1)?.key ?? null) : null;
    const body: ListKeysResponse = { items: [...result.items], more: result.more, next, index: result.index };
    return c.json(body, 200);
  });
}
