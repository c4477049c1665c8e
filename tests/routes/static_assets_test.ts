import { describe, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import { STATIC_ASSETS } from "../../routes/static_assets.ts";
import {
  CONTENT_TYPES,
  listStaticAssets,
  readStaticAsset,
  sourceFileOf,
  staticAssetsEmbedded,
} from "../../src/http/static_assets.ts";
import { fixture } from "./helpers.ts";

describe("static assets", () => {
  it("listStaticAssets() refuses a path listed twice and a path without a leading slash", () => {
    const line = { path: "/a.css", specifier: "swagger-ui-dist/index.css", contentType: CONTENT_TYPES.css };
    expect(() => listStaticAssets(import.meta.url, [line, line])).toThrow("listed twice");
    expect(() => listStaticAssets(import.meta.url, [{ ...line, path: "a.css" }])).toThrow("must start with '/'");
    expect(listStaticAssets(import.meta.url, [line])[0]).toEqual({ ...line, base: import.meta.url });
  });

  it("sourceFileOf() resolves a package file and a file relative to the listing module", () => {
    const [pkg, relative] = listStaticAssets(import.meta.url, [
      { path: "/p", specifier: "swagger-ui-dist/index.css", contentType: CONTENT_TYPES.css },
      { path: "/r", specifier: "./helpers.ts", contentType: CONTENT_TYPES.js },
    ]);
    expect(sourceFileOf(pkg)).toMatch(/node_modules\/swagger-ui-dist\/index\.css$/);
    expect(sourceFileOf(relative)).toMatch(/tests\/routes\/helpers\.ts$/);
  });

  it("readStaticAsset() reads the source file when nothing is embedded, and a missing file fails every time", async () => {
    expect(staticAssetsEmbedded()).toBe(false);
    const [present, missing] = listStaticAssets(import.meta.url, [
      { path: "/present", specifier: "./helpers.ts", contentType: CONTENT_TYPES.js },
      { path: "/missing", specifier: "./no_such_file.js", contentType: CONTENT_TYPES.js },
    ]);
    const bytes = await readStaticAsset(present);
    expect(new TextDecoder().decode(bytes)).toBe(readFileSync(sourceFileOf(present), "utf8"));
    expect(await readStaticAsset(present)).toBe(bytes);
    for (let attempt = 0; attempt < 2; attempt++) {
      expect(
        await readStaticAsset(missing).then(
          () => "read",
          () => "failed",
        ),
      ).toBe("failed");
    }
  });

  it("every listed file exists, and the app serves each at its path with its content type and bytes", async () => {
    const { app } = fixture();
    expect(STATIC_ASSETS.length).toBeGreaterThan(0);
    for (const asset of STATIC_ASSETS) {
      const res = await app.request(asset.path);
      expect({ path: asset.path, status: res.status }).toEqual({ path: asset.path, status: 200 });
      expect(res.headers.get("content-type")).toBe(asset.contentType);
      const expected = readFileSync(sourceFileOf(asset));
      expect(Buffer.from(await res.arrayBuffer()).equals(expected)).toBe(true);
    }
  });

  it("pages are revalidated on every load; scripts, styles and icons are kept an hour unless their line says otherwise", async () => {
    const { app } = fixture();
    for (const asset of STATIC_ASSETS) {
      const res = await app.request(asset.path);
      await res.arrayBuffer();
      const usual = asset.contentType.startsWith("text/html") ? "no-cache" : "public, max-age=3600";
      const expected = asset.cacheControl ?? usual;
      expect({ path: asset.path, cache: res.headers.get("cache-control") }).toEqual({
        path: asset.path,
        cache: expected,
      });
    }
  });
});
