/**
 * `GET /ui`: the live dashboard (members, leader, indexes, admin actions), open like `/docs`: the
 * page needs no token, its API calls carry the one the user types in. Its files (the page, the
 * committed bundle and the style sheet) are served as they are, listed in `static_assets.ts` (so the
 * single executable embeds them); this file adds the headers they are served with.
 */
import type { MiddlewareHandler } from "hono";
import type { ApiApp, AppEnv } from "../src/http/http_context.ts";

/** The dashboard's address. */
export const UI_PATH = "/ui";
/** Where the page loads its script and style sheet from (ui/index.html names these paths). */
export const UI_ASSETS_PATH = "/ui/assets";

/**
 * The page loads only same-origin files and calls only this node's API; nothing inline runs, and
 * no other site may frame it.
 */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Headers of every answer under `/ui`: the policy, no type sniffing, no referrer. */
export const UI_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": UI_CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/**
 * Adds the dashboard's headers to every answer under `/ui`, and sends `/ui/` to `/ui` (register
 * before the files' routes).
 */
export function registerUiPage(app: ApiApp): void {
  const withHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(UI_HEADERS)) c.res.headers.set(name, value);
  };
  app.use(UI_PATH, withHeaders);
  app.use(`${UI_PATH}/*`, withHeaders);
  app.get(`${UI_PATH}/`, (c) => c.redirect(UI_PATH, 308));
}
