import { describe, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildOpenApiDocument } from "../../routes/mod.ts";
import { STATIC_ASSETS } from "../../routes/static_assets.ts";
import { UI_CONTENT_SECURITY_POLICY } from "../../routes/ui_page.ts";
import { expectError, fixture } from "./helpers.ts";

const TOKENS = { mode: "tokens", adminToken: "admin-token-0123456789", readToken: "read-token-0123456789" } as const;
const UI_FILES = ["/ui", "/ui/assets/app.js", "/ui/assets/dashboard.css"];

/** A committed file of the repository. */
function repoFile(path: string): string {
  return readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), "utf8");
}

/** Every `src` and `href` attribute of `html`. */
function assetUrls(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
}

describe("GET /ui", () => {
  it("GET /ui answers the dashboard page, which loads only its own two files", async () => {
    const { app } = fixture();
    const res = await app.request("/ui");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await res.text();
    expect(html).toBe(repoFile("ui/index.html"));
    expect(html).toContain('<table id="members">');
    expect(assetUrls(html)).toEqual(["/ui/assets/dashboard.css", "/ui/assets/app.js"]);
  });

  it("the page, the committed bundle and the style sheet are static assets (the single executable embeds them)", async () => {
    const { app } = fixture();
    const listed = STATIC_ASSETS.filter((a) => a.path.startsWith("/ui"));
    expect(listed.map((a) => a.path)).toEqual(UI_FILES);
    const js = await app.request("/ui/assets/app.js");
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await js.text()).toBe(repoFile("ui/dist/app.js"));
    const css = await app.request("/ui/assets/dashboard.css");
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(await css.text()).toBe(repoFile("ui/dashboard.css"));
  });

  it("every file under /ui is served with a policy that allows only this origin, and revalidated on each load", async () => {
    const { app } = fixture();
    for (const path of UI_FILES) {
      const res = await app.request(path);
      await res.arrayBuffer();
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      expect(res.headers.get("content-security-policy")).toBe(UI_CONTENT_SECURITY_POLICY);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
      expect(res.headers.get("cache-control")).toBe("no-cache");
    }
    expect(UI_CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(UI_CONTENT_SECURITY_POLICY).toContain("connect-src 'self'");
    expect(UI_CONTENT_SECURITY_POLICY).not.toContain("unsafe");
    const docs = await app.request("/docs");
    expect(docs.headers.get("content-security-policy")).toBeNull(); // Only the dashboard's answers.
  });

  it("the page and its files need no token on a node with tokens (its API calls carry one)", async () => {
    const { app } = fixture({ auth: TOKENS });
    for (const path of UI_FILES)
      expect({ path, status: (await app.request(path)).status }).toEqual({ path, status: 200 });
    expect((await app.request("/v1/status")).status).toBe(401);
  });

  it("/ui/ redirects to /ui, and any other name under /ui answers 404 in the envelope", async () => {
    const { app } = fixture();
    const slash = await app.request("/ui/");
    expect([slash.status, slash.headers.get("location")]).toEqual([308, "/ui"]);
    for (const path of [
      "/ui/assets/index.html",
      "/ui/assets/app.js.map",
      "/ui/assets/main.ts",
      "/ui/app.js",
      "/ui/x",
    ]) {
      const res = await app.request(path);
      expectError({ status: res.status, headers: res.headers, body: await res.json() }, 404, "not_found_route");
    }
  });

  it("the dashboard is not an API operation: the OpenAPI document does not list it (like /docs)", () => {
    const paths = Object.keys(buildOpenApiDocument().paths ?? {});
    expect(paths.length).toBeGreaterThan(10);
    expect(paths.filter((p) => p.startsWith("/ui") || p.startsWith("/docs"))).toEqual([]);
  });
});
