/**
 * `GET` of every file the node serves as it is, one line per file: the URL path, where the file
 * comes from (a package file, or a path relative to this folder such as `./ui/app.js`) and its
 * content type. The lines work unchanged under `bun src/main.ts`, `deno run src/main.ts` and in the
 * single executable, which embeds every file listed here (`scripts/build_binary.ts` reads this list).
 */
import type { ApiApp } from "../src/http/http_context.ts";
import { CONTENT_TYPES, listStaticAssets, readStaticAsset, type StaticAsset } from "../src/http/static_assets.ts";
import { DOCS_ASSETS_PATH } from "./docs_asset.ts";
import { UI_ASSETS_PATH, UI_PATH } from "./ui_page.ts";

const { css, html, js, png } = CONTENT_TYPES;

/** Every file served as it is (never from a CDN, so the pages work offline). */
export const STATIC_ASSETS: readonly StaticAsset[] = listStaticAssets(import.meta.url, [
  { path: `${DOCS_ASSETS_PATH}/swagger-ui.css`, specifier: "swagger-ui-dist/swagger-ui.css", contentType: css },
  { path: `${DOCS_ASSETS_PATH}/index.css`, specifier: "swagger-ui-dist/index.css", contentType: css },
  {
    path: `${DOCS_ASSETS_PATH}/swagger-ui-bundle.js`,
    specifier: "swagger-ui-dist/swagger-ui-bundle.js",
    contentType: js,
  },
  {
    path: `${DOCS_ASSETS_PATH}/swagger-ui-standalone-preset.js`,
    specifier: "swagger-ui-dist/swagger-ui-standalone-preset.js",
    contentType: js,
  },
  { path: `${DOCS_ASSETS_PATH}/favicon-32x32.png`, specifier: "swagger-ui-dist/favicon-32x32.png", contentType: png },
  { path: `${DOCS_ASSETS_PATH}/favicon-16x16.png`, specifier: "swagger-ui-dist/favicon-16x16.png", contentType: png },
  // The dashboard (its headers: ui_page.ts); checked on every load, so a new page never runs an old script.
  { path: UI_PATH, specifier: "../ui/index.html", contentType: html, cacheControl: "no-cache" },
  { path: `${UI_ASSETS_PATH}/app.js`, specifier: "../ui/dist/app.js", contentType: js, cacheControl: "no-cache" },
  {
    path: `${UI_ASSETS_PATH}/dashboard.css`,
    specifier: "../ui/dashboard.css",
    contentType: css,
    cacheControl: "no-cache",
  },
]);

/** How long browsers may keep a file: as its line says, else pages are checked every time, scripts, styles and icons kept an hour. */
function cacheControl(asset: StaticAsset): string {
  if (asset.cacheControl !== undefined) return asset.cacheControl;
  return asset.contentType.startsWith("text/html") ? "no-cache" : "public, max-age=3600";
}

/** Adds one `GET` route per file of {@link STATIC_ASSETS} to `app` (not API operations). */
export function registerStaticAssets(app: ApiApp): void {
  for (const asset of STATIC_ASSETS) {
    app.get(asset.path, async (c) => {
      const bytes = await readStaticAsset(asset);
      return c.body(bytes, 200, { "content-type": asset.contentType, "cache-control": cacheControl(asset) });
    });
  }
}
