import { describe, expect, it } from "bun:test";
import { fixture } from "./helpers.ts";

/** Every `src` and `href` attribute of `html`. */
function assetUrls(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
}

describe("GET /docs", () => {
  it("GET /docs answers the Swagger UI page with only local asset URLs", async () => {
    const { app } = fixture();
    const res = await app.request("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    const html = await res.text();
    expect(html).toContain('<div id="swagger-ui">');
    const urls = assetUrls(html);
    expect(urls.length).toBe(7);
    for (const url of urls) expect(url.startsWith("/docs/assets/")).toBe(true);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it("every asset of /docs is served with its content type", async () => {
    const { app } = fixture();
    const html = await (await app.request("/docs")).text();
    const expected: Record<string, string> = { css: "text/css", js: "text/javascript", png: "image/png" };
    for (const url of assetUrls(html)) {
      const res = await app.request(url);
      expect({ url, status: res.status }).toEqual({ url, status: 200 });
      const ext = url.split(".").at(-1) ?? "";
      expect(res.headers.get("content-type")).toContain(expected[ext]);
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(100);
    }
  });

  it("GET /docs/assets/swagger-ui-bundle.js is the real bundle from the installed package", async () => {
    const { app } = fixture();
    const body = await (await app.request("/docs/assets/swagger-ui-bundle.js")).text();
    expect(body).toContain("SwaggerUIBundle");
    expect(body.length).toBeGreaterThan(500_000);
  });

  it("the initializer points the UI at /openapi.json and turns off the remote validator", async () => {
    const { app } = fixture();
    const body = await (await app.request("/docs/assets/swagger-initializer.js")).text();
    expect(body).toContain('url: "/openapi.json"');
    expect(body).toContain("validatorUrl: null");
    expect(body).not.toContain("petstore");
  });

  it("GET /docs/assets/{file} answers 404 in the envelope for files outside the list", async () => {
    const { app } = fixture();
    for (const file of ["package.json", "index.html", "..%2Fpackage.json", "swagger-ui.js.map"]) {
      const res = await app.request(`/docs/assets/${file}`);
      expect(res.status).toBe(404);
      expect((await res.json()).error.code).toBe("not_found_route");
    }
  });
});
