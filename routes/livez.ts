/** `GET /livez`: the process is up and answering HTTP. */
import { createRoute, type z } from "@hono/zod-openapi";
import { LivezSchema } from "../schemas/api_cluster.ts";
import { errorResponses } from "../schemas/api_errors.ts";
import type { ApiApp } from "../src/http/http_context.ts";

/** The route definition. */
export const livezRoute = createRoute({
  operationId: "livez",
  method: "get",
  path: "/livez",
  tags: ["health"],
  summary: "Check that the process is alive",
  description: "Always 200 while the process serves HTTP; use it as a liveness probe.",
  responses: {
    200: { description: "Alive", content: { "application/json": { schema: LivezSchema } } },
    ...errorResponses(405, 500),
  },
});

/** Body of a successful answer. */
export type LivezResponse = z.infer<typeof LivezSchema>;

/** Adds the route to `app`. */
export function registerLivez(app: ApiApp): void {
  app.openapi(livezRoute, (c) => c.json({ live: true } satisfies LivezResponse, 200));
}
