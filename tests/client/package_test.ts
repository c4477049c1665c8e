/**
 * The client as a package: its package.json and deno.json agree with each other and with the
 * project (openapi-fetch pinned as in the root package.json), its sources import nothing but each
 * other and openapi-fetch, `npm pack ./client` (the README's command; its prepack builds) ships the
 * build, the README and the license only, and `deno publish --dry-run` accepts it for JSR.
 */
import { describe, expect, it } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packInto } from "../../scripts/pack/npm.ts";
import { REPO_ROOT } from "../helpers/process_cluster.ts";
import { slowIt } from "../helpers/slow_test.ts";
import { runChild, runtimeBin } from "./child_run.ts";
import { repoText } from "./readme_blocks.ts";

/** Deadline of a build or a pack on a loaded machine. */
const PACK_TEST_MS = 180_000;

/** The parsed JSON file `path` (relative to the repository root). */
// biome-ignore lint/suspicious/noExplicitAny: package manifests are read field by field.
function jsonFile(path: string): any {
  return JSON.parse(repoText(path));
}

describe("the client package", () => {
  it("declares its name, version, exports, files and the project's openapi-fetch", () => {
    const pkg = jsonFile("client/package.json");
    const root = jsonFile("package.json");
    const deno = jsonFile("client/deno.json");
    expect({ name: pkg.name, type: pkg.type, license: pkg.license }).toEqual({
      name: "raftbare-ts-client",
      type: "module",
      license: "MIT",
    });
    expect(pkg.exports["."]).toEqual({ types: "./dist/mod.d.ts", import: "./dist/mod.js", default: "./dist/mod.js" });
    expect(pkg.files).toEqual(["dist", "README.md"]);
    expect(pkg.dependencies).toEqual({ "openapi-fetch": root.devDependencies["openapi-fetch"] });
    expect({ name: deno.name, version: deno.version, exports: deno.exports }).toEqual({
      name: "@raftbare-ts/client",
      version: pkg.version,
      exports: "./src/mod.ts",
    });
    expect(deno.imports["openapi-fetch"]).toBe(`npm:openapi-fetch@${root.devDependencies["openapi-fetch"]}`);
    expect(jsonFile("deno.json").workspace).toContain("./client");
  });

  it("imports nothing but its own modules and openapi-fetch", () => {
    const sources = readdirSync(join(REPO_ROOT, "client", "src")).filter((f) => f.endsWith(".ts"));
    expect(sources).toContain("mod.ts");
    for (const file of sources) {
      const text = repoText(`client/src/${file}`);
      const specifiers = [...text.matchAll(/^(?:import|export)[^"']*?from\s+["']([^"']+)["']/gm)].map((m) => m[1]);
      for (const specifier of specifiers) {
        expect({ file, specifier, ok: /^\.\/[a-z_]+\.ts$/.test(specifier) || specifier === "openapi-fetch" }).toEqual({
          file,
          specifier,
          ok: true,
        });
      }
      expect({ file, runtimeGlobals: /\b(Bun|Deno|process|Buffer|require)\s*[.(]/.test(text) }).toEqual({
        file,
        runtimeGlobals: false,
      });
    }
  });

  slowIt(
    "packs the build, the README and the license only (npm pack ./client)",
    async () => {
      const modules = readdirSync(join(REPO_ROOT, "client", "src")).map((f) => f.replace(/\.ts$/, ""));
      const build = await runChild(runtimeBin("bun"), ["scripts/build_client.ts"]);
      expect(`${build.code} ${build.stdout.trim()}`).toBe(
        `0 client/dist: ${2 * modules.length} files (${modules.length} modules), no node: imports`,
      );
      const dir = mkdtempSync(join(tmpdir(), "raftbare-pack-"));
      try {
        // `npm pack ./client`, run inside the package as scripts/pack does (its prepack builds again).
        const packed = await packInto(join(REPO_ROOT, "client"), dir);
        expect(packed.filename).toBe("raftbare-ts-client-0.1.0.tgz");
        expect(readdirSync(dir)).toEqual([packed.filename]);
        const paths = packed.files.map((f) => f.path).sort();
        expect(paths.filter((p) => !p.startsWith("dist/"))).toEqual(["LICENSE", "README.md", "package.json"]);
        const expected = modules.flatMap((m) => [`dist/${m}.d.ts`, `dist/${m}.js`]).sort();
        expect(paths.filter((p) => p.startsWith("dist/"))).toEqual(expected);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    { timeoutMs: PACK_TEST_MS },
  );

  slowIt(
    "passes JSR's publish checks (deno publish --dry-run), slow types included",
    async () => {
      const args = ["publish", "--dry-run", "--allow-dirty"];
      const run = await runChild(runtimeBin("deno"), args, { cwd: join(REPO_ROOT, "client") });
      expect(`${run.code} ${run.stderr.includes("Dry run complete") || run.stdout.includes("Dry run complete")}`).toBe(
        "0 true",
      );
      expect(`${run.stdout}${run.stderr}`).toContain("@raftbare-ts/client@0.1.0");
    },
    { timeoutMs: PACK_TEST_MS },
  );
});
