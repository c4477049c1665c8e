/**
 * `GET /docs/assets/swagger-initializer.js`: the script that points the Swagger UI at
 * `/openapi.json`. The UI's own files under the same path are listed in `static_assets.ts`.
 */
import type { ApiApp } from "../src/http/http_context.ts";
import { CONTENT_TYPES } from "../src/http/static_assets.ts";

/** Where the docs page loads its files from. */
export const DOCS_ASSETS_PATH = "/docs/assets";

/** Our initializer (the package's own one loads the petstore example). */
const INITIALIZER = `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout",
  });
};
`;

/** Adds the route to `app`. */
export function registerDocsAsset(app: ApiApp): void {
  app.get(`${DOCS_ASSETS_PATH}/swagger-initializer.js`, (c) =>
    c.body(INITIALIZER, 200, { "content-type": CONTENT_TYPES.js, "cache-control": "public, max-age=3600" }),
  );
}
