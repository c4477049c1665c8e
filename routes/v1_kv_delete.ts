/** `DELETE /v1/kv/{key}`: deletes one key, optionally compare-and-delete (leader only; followers forward). */
import { createRoute, type z } from "@hono/zod-openapi";
import { errorResponses, leaderRedirectResponse } from "../schemas/api_errors.ts";
import { DeleteQuerySchema, DeleteResultSchema, KeyParamsSchema } from "../schemas/api_kv.ts";
import { WriteHeadersSchema } from "../schemas/idempotency_key.ts";
import { answerServiceError, requireLeader } from "../src/http/forward.ts";
import { type ApiApp, setReplayedHeader, setResultHeaders } from "../src/http/http_context.ts";
import { refuseBody } from "../src/http/request_body.ts";

/** The route definition. */
export const deleteKeyRoute = createRoute({
  operationId: "deleteKey",
  method: "delete",
  path: "/v1/kv/{key}",
  tags: ["kv"],
  summary: "Delete a key",
  description:
    "Deletes the key once a quorum has the delete in its log; deleting a missing key succeeds with `deleted: false`. " +
    "With `expectRevision` or `expectValue` in the query string it is a compare-and-delete (409 `compare_failed` on a mismatch). " +
    "With an `Idempotency-Key` header the delete is exactly-once (see the header). " +
    "The request takes no body: one is refused with 400 `validation_failed` (nothing is deleted).",
  middleware: [
    refuseBody("a delete takes no body; send its conditions in the query string (?expectRevision=…&expectValue=…)"),
    requireLeader("write", "request", { idempotencyKeys: true }),
  ] as const,
  request: { params: KeyParamsSchema, query: DeleteQuerySchema, headers: WriteHeadersSchema },
  responses: {
    200: {
      description: "The delete is committed and applied",
      content: { "application/json": { schema: DeleteResultSchema } },
    },
    307: leaderRedirectResponse,
    ...errorResponses(400, 409, 413, 422, 500, 502, 503, 504),
  },
});

/** Body of a successful answer. */
export type DeleteKeyResponse = z.infer<typeof DeleteResultSchema>;

/** Adds the route to `app`. */
export function registerDeleteKey(app: ApiApp): void {
  app.openapi(deleteKeyRoute, async (c) => {
    const { key } = c.req.valid("param");
    const { redirect: _redirect, ...conditions } = c.req.valid("query");
    const { "idempotency-key": idempotencyKey } = c.req.valid("header");
    const options = idempotencyKey === undefined ? conditions : { ...conditions, idempotencyKey };
    const result = await c.get("service").delete(key, options);
    setReplayedHeader(c, result);
    if (!result.ok) return answerServiceError(c, result, "write");
    setResultHeaders(c, result);
    const body: DeleteKeyResponse = {
      key,
      deleted: result.prev !== null,
      revision: result.revision,
      index: result.index,
      prev: result.prev,
    };
    return c.json(body, 200);
  });
}
