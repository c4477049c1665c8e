/**
 * `GET /docs/assets/{file}`: the Swagger UI files, read from the installed swagger-ui-dist package
 * (never a CDN, so the docs work offline), plus the initializer that points the UI at `/openapi.json`.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { ApiApp } from "../src/http/http_context.ts";
import { apiError } from "../src/http/http_errors.ts";

/** Where the docs page loads its files from. */
export const DOCS_ASSETS_PATH = "/docs/assets";

const CSS = "text/css; charset=utf-8";
const JS = "text/javascript; charset=utf-8";

/** The files served from swagger-ui-dist, with their content types. */
const PACKAGE_FILES: Readonly<Record<string, string>> = {
  "swagger-ui.css": CSS,
  "index.css": CSS,
  "swagger-ui-bundle.js": JS,
  "swagger-ui-standalone-preset.js": JS,
  "favicon-32x32.png": "image/png",
  "favicon-16x16.png": "image/png",
};

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

const cache = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();

/** The swagger-ui-dist package directory (resolved like any dependency, relative to this file). */
function packageDir(): string {
  return dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
}

/** The bytes of one package file, read once and then kept in memory. */
function packageFile(name: string): Promise<Uint8Array<ArrayBuffer>> {
  let bytes = cache.get(name);
  if (bytes === undefined) {
    bytes = readFile(join(packageDir(), name)).then((b) => new Uint8Array(b));
    bytes.catch(() => cache.delete(name));
    cache.set(name, bytes);
  }
  return bytes;
}

/** Adds the route to `app`. */
export function registerDocsAsset(app: ApiApp): void {
  app.get(`${DOCS_ASSETS_PATH}/:file`, async (c) => {
    const file = c.req.param("file");
    c.header("cache-control", "public, max-age=3600");
    if (file === "swagger-initializer.js") return c.body(INITIALIZER, 200, { "content-type": JS });
    const type = Object.hasOwn(PACKAGE_FILES, file) ? PACKAGE_FILES[file] : undefined;
    if (type === undefined) return apiError(c, "not_found_route", `No docs asset named '${file}'`);
    return c.body(await packageFile(file), 200, { "content-type": type });
  });
}
