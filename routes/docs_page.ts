/** `GET /docs`: the Swagger UI page for `/openapi.json`, with every file served by this node. */
import type { ApiApp } from "../src/http/http_context.ts";
import { DOCS_ASSETS_PATH } from "./docs_asset.ts";

/** The HTML of the docs page; it loads only same-origin files. */
export const DOCS_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>raftbare-ts node API</title>
    <link rel="stylesheet" type="text/css" href="${DOCS_ASSETS_PATH}/swagger-ui.css">
    <link rel="stylesheet" type="text/css" href="${DOCS_ASSETS_PATH}/index.css">
    <link rel="icon" type="image/png" href="${DOCS_ASSETS_PATH}/favicon-32x32.png" sizes="32x32">
    <link rel="icon" type="image/png" href="${DOCS_ASSETS_PATH}/favicon-16x16.png" sizes="16x16">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${DOCS_ASSETS_PATH}/swagger-ui-bundle.js" charset="utf-8"></script>
    <script src="${DOCS_ASSETS_PATH}/swagger-ui-standalone-preset.js" charset="utf-8"></script>
    <script src="${DOCS_ASSETS_PATH}/swagger-initializer.js" charset="utf-8"></script>
  </body>
</html>
`;

/** Adds the route to `app` (it is not an API operation, so it is not in the OpenAPI document). */
export function registerDocsPage(app: ApiApp): void {
  app.get("/docs", (c) => c.html(DOCS_HTML, 200));
}
