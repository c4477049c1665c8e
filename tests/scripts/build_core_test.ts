// scripts/build_core.ts: the rewrite of `.ts` specifiers, and a real build whose JavaScript
// exports what the TypeScript entry exports and imports only `.js` siblings.
import { describe, expect, it } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import * as source from "../../packages/core/src/mod.ts";
import { buildCore, CORE_PACKAGE_DIR, leftoverTsSpecifiers, rewriteTsSpecifiers } from "../../scripts/build_core.ts";
import { slowIt } from "../helpers/slow_test.ts";

describe("build_core", () => {
  it("rewriteTsSpecifiers() turns relative .ts imports into .js and leaves the rest", () => {
    const dts = [
      'export { type Action, Actions } from "./action.ts";',
      "import type { NodeId } from '../ids.ts';",
      'export type X = import("./x.ts").X;',
      'import "./side_effect.ts";',
      'export * from "./types.d.ts";',
      'import { z } from "zod.ts";',
      'const s = "a.ts";',
    ].join("\n");
    expect(rewriteTsSpecifiers(dts)).toBe(
      [
        'export { type Action, Actions } from "./action.js";',
        "import type { NodeId } from '../ids.js';",
        'export type X = import("./x.js").X;',
        'import "./side_effect.js";',
        'export * from "./types.d.ts";',
        'import { z } from "zod.ts";',
        'const s = "a.ts";',
      ].join("\n"),
    );
    expect(leftoverTsSpecifiers(dts)).toEqual(["./action.ts", "../ids.ts", "./x.ts", "./side_effect.ts"]);
    expect(leftoverTsSpecifiers(rewriteTsSpecifiers(dts))).toEqual([]);
  });

  slowIt(
    "buildCore() emits one .js and one .d.ts per module, and the built entry exports what the sources do",
    async () => {
      const build = buildCore();
      const modules = readdirSync(join(CORE_PACKAGE_DIR, "src")).filter((n) => n.endsWith(".ts"));
      expect(build.files.length).toBe(2 * modules.length);
      for (const name of modules) {
        const stem = name.slice(0, -".ts".length);
        expect(build.files).toContain(`${stem}.js`);
        expect(build.files).toContain(`${stem}.d.ts`);
      }
      for (const name of build.files) {
        const text = readFileSync(join(build.outDir, name), "utf8");
        expect({ name, leftover: leftoverTsSpecifiers(text) }).toEqual({ name, leftover: [] });
        expect({ name, map: text.includes("sourceMappingURL") }).toEqual({ name, map: false });
      }
      const built = await import(pathToFileURL(join(build.outDir, "mod.js")).href);
      expect(Object.keys(built).sort()).toEqual(Object.keys(source).sort());
      expect(built.NodeId.of("n1")).toBe("n1");
      expect(built.RaftNode).not.toBe(source.RaftNode); // The built copy, not the sources.
    },
    { timeoutMs: 120_000 },
  );
});
