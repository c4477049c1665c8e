/** `GET /openapi.json`: the OpenAPI 3.1 document of this API. */
import type { ApiApp } from "../src/server/http_context.ts";

/** The OpenAPI document type this API produces. */
export type OpenApiDocument = ReturnType<ApiApp["getOpenAPI31Document"]>;

/** Adds the route to `app`; `document` builds the document (the caller caches it). */
export function registerOpenApiJson(app: ApiApp, document: () => OpenApiDocument): void {
  app.get("/openapi.json", (c) => c.json(document(), 200));
}
