/** `PUT /v1/kv/{key}`: writes one key, optionally compare-and-set (leader only; followers forward). */
import { createRoute, type z } from "@hono/zod-openapi";
import { errorResponses, leaderRedirectResponse } from "../schemas/api_errors.ts";
import { KeyParamsSchema, PutBodySchema, PutQuerySchema, PutResultSchema } from "../schemas/api_kv.ts";
import { WriteHeadersSchema } from "../schemas/idempotency_key.ts";
import { answerServiceError, requireLeader } from "../src/http/forward.ts";
import { type ApiApp, setReplayedHeader, setResultHeaders } from "../src/http/http_context.ts";

/** The route definition. */
export const putKeyRoute = createRoute({
  operationId: "putKey",
  method: "put",
  path: "/v1/kv/{key}",
  tags: ["kv"],
  summary: "Write a key",
  description:
    "Writes `value` to the key once a quorum has it in its log. With `expectRevision` (0 = the key must not exist) " +
    "or `expectValue` the write is a compare-and-set and fails with 409 `compare_failed`, whose `details.current` " +
    "is the entry as it is (or null). With an `Idempotency-Key` header the write is exactly-once (see the header). On a follower the request is forwarded to the leader (or redirected with `redirect=true`).",
  middleware: [requireLeader("write", "request", { idempotencyKeys: true })] as const,
  request: {
    params: KeyParamsSchema,
    query: PutQuerySchema,
    headers: WriteHeadersSchema,
    body: { required: true, content: { "application/json": { schema: PutBodySchema } } },
  },
  responses: {
    200: {
      description: "The write is committed and applied",
      content: { "application/json": { schema: PutResultSchema } },
    },
    307: leaderRedirectResponse,
    ...errorResponses(400, 409, 413, 415, 422, 500, 502, 503, 504),
  },
});

/** Body of a successful answer. */
export type PutKeyResponse = z.infer<typeof PutResultSchema>;

/** Adds the route to `app`. */
export function registerPutKey(app: ApiApp): void {
  app.openapi(putKeyRoute, async (c) => {
    const { key } = c.req.valid("param");
    // Absent conditions stay absent (the schema adds no undefined keys).
    const { value, ...conditions } = c.req.valid("json");
    const { "idempotency-key": idempotencyKey } = c.req.valid("header");
    const options = idempotencyKey === undefined ? conditions : { ...conditions, idempotencyKey };
    const result = await c.get("service").put(key, value, options);
    setReplayedHeader(c, result);
    if (!result.ok) return answerServiceError(c, result, "write");
    setResultHeaders(c, result);
    const body: PutKeyResponse = { key, revision: result.revision, index: result.index, prev: result.prev };
    return c.json(body, 200);
  });
}
