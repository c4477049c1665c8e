// The pack check (scripts/check_pack.ts): its rules on made-up listings, then real `npm pack` runs
// on the core package (which must pass) and on a package that ships a test and a TypeScript source.
import { describe, expect, it } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkPack, parseRuleOptions, registeredRules } from "../../scripts/check_pack.ts";
import { globToRegExp, matchesAny } from "../../scripts/pack/glob.ts";
import { type PackListing, parsePackJson } from "../../scripts/pack/npm.ts";
import { PACKAGE_RULES } from "../../scripts/pack/package_rules.ts";
import { entryTargets, joinPath, type PackRules, packProblems } from "../../scripts/pack/rules.ts";
import { runProcess } from "../../scripts/pack/run_process.ts";
import { REPO_ROOT } from "../helpers/process_cluster.ts";
import { slowIt } from "../helpers/slow_test.ts";

const RULES: PackRules = {
  require: ["dist/mod.js", "dist/mod.d.ts"],
  only: ["dist/*.js", "dist/*.d.ts", "dist/*.map"],
  allowTs: [],
  maxUnpackedBytes: 10_000,
  maxPackedBytes: 5_000,
  maxFiles: 10,
  noDependencies: true,
};

const MANIFEST = JSON.stringify({
  name: "p",
  version: "1.0.0",
  license: "MIT",
  exports: { ".": { types: "./dist/mod.d.ts", default: "./dist/mod.js" } },
});

/** A listing of `files` (path → text), as npm would report it. */
function listing(files: Record<string, string>): PackListing {
  const entries = Object.entries(files).map(([path, text]) => ({ path, size: text.length }));
  const unpackedSize = entries.reduce((sum, f) => sum + f.size, 0);
  return { name: "p", version: "1.0.0", filename: "p-1.0.0.tgz", size: 100, unpackedSize, files: entries };
}

/** The problems of a package made of `files`, with a LICENSE at the top of its folder. */
function problemsOf(files: Record<string, string>, rules: PackRules = RULES): string[] {
  return packProblems(listing(files), rules, {
    read: (path) => files[path] ?? "",
    topLevelNames: ["LICENSE", "package.json", "README.md", "dist", "src"],
    machinePaths: ["/home/builder/checkout"],
  });
}

const GOOD = {
  "package.json": MANIFEST,
  "README.md": "# p",
  LICENSE: "MIT",
  "dist/mod.js": 'export * from "./a.js";\n',
  "dist/mod.d.ts": 'export * from "./a.js";\n',
  "dist/a.js": "export const a = 1;\n",
};

describe("pack rules", () => {
  it("globToRegExp() matches * within a segment and ** across segments", () => {
    expect(globToRegExp("dist/*.js").test("dist/a.js")).toBe(true);
    expect(globToRegExp("dist/*.js").test("dist/x/a.js")).toBe(false);
    expect(globToRegExp("dist/**/*.js").test("dist/a.js")).toBe(true);
    expect(globToRegExp("dist/**/*.js").test("dist/x/y/a.js")).toBe(true);
    expect(globToRegExp("dist/*.js").test("dist/a.jsx")).toBe(false);
    expect(globToRegExp("a.b").test("axb")).toBe(false);
    expect(matchesAny("README.md", ["LICENSE*", "README*"])).toBe(true);
  });

  it("a package of built files, package.json, README and LICENSE passes", () => {
    expect(problemsOf(GOOD)).toEqual([]);
  });

  it("packProblems() names tests, data, TypeScript sources and files outside the allowed set", () => {
    const problems = problemsOf({
      ...GOOD,
      "dist/node_test.js": "",
      "tests/a.js": "",
      "data/n1/log.seg": "",
      "src/mod.ts": "",
      "notes.txt": "",
    });
    expect(problems).toContain("dist/node_test.js is a test");
    expect(problems).toContain("tests/a.js is a test");
    expect(problems).toContain("data/n1/log.seg is data, a log, an archive or a secret");
    expect(problems).toContain("src/mod.ts is a TypeScript source (ship the built .js and .d.ts)");
    expect(problems).toContain("notes.txt is not one of the allowed files");
    expect(
      problemsOf({ ...GOOD, "dist/extra.ts": "" }, { ...RULES, only: ["dist/*"], allowTs: ["dist/extra.ts"] }),
    ).toEqual([]);
  });

  it("packProblems() wants package.json, a README, the folder's LICENSE and every required file", () => {
    const { LICENSE: _l, "README.md": _r, "dist/mod.d.ts": _d, ...rest } = GOOD;
    const problems = problemsOf(rest);
    expect(problems).toContain("no README is packed");
    expect(problems).toContain("LICENSE exists but is not packed");
    expect(problems).toContain("no packed file matches dist/mod.d.ts");
    expect(problems).toContain("package.json names dist/mod.d.ts, which is not packed");
  });

  it("packProblems() refuses source maps and text that point at this machine", () => {
    const problems = problemsOf({
      ...GOOD,
      "dist/a.js": "export const a = 1;\n//# sourceMappingURL=a.js.map\n",
      "dist/a.js.map": JSON.stringify({ version: 3, sources: ["/home/builder/checkout/src/a.ts"] }),
      "dist/b.js": "//# sourceMappingURL=data:application/json;base64,e30=\n",
      "dist/c.js": "//# sourceMappingURL=c.js.map\n",
      "dist/mod.d.ts": 'export * from "/home/builder/checkout/src/a.ts";\n',
    });
    expect(problems).toContain("dist/a.js.map names the source /home/builder/checkout/src/a.ts");
    expect(problems).toContain("dist/b.js carries an inline source map");
    expect(problems).toContain("dist/c.js points at c.js.map, which is not packed");
    expect(problems).toContain("dist/mod.d.ts mentions the local path /home/builder/checkout");
    expect(problems).toContain("dist/a.js.map mentions the local path /home/builder/checkout");
  });

  it("a source map whose sources are packed beside it passes; one naming unpacked sources does not", () => {
    const map = (sources: string[]) => JSON.stringify({ version: 3, sources });
    const base = { ...GOOD, "dist/a.js": "//# sourceMappingURL=a.js.map\n", "dist/a.d.ts": "" };
    expect(problemsOf({ ...base, "dist/a.js.map": map(["a.d.ts"]) })).toEqual([]);
    expect(problemsOf({ ...base, "dist/a.js.map": map(["../src/a.ts"]) })).toEqual([
      "dist/a.js.map names ../src/a.ts, which is not packed",
    ]);
  });

  it("packProblems() checks the manifest: private, dependencies, missing fields", () => {
    const manifest = JSON.stringify({ name: "p", private: true, main: "dist/mod.js", dependencies: { zod: "4" } });
    const problems = problemsOf({ ...GOOD, "package.json": manifest });
    expect(problems).toContain('package.json says "private": true');
    expect(problems).toContain("package.json has no version");
    expect(problems).toContain("package.json has no license");
    expect(problems).toContain("package.json has dependencies");
    expect(problemsOf({ ...GOOD, "package.json": manifest }, { ...RULES, noDependencies: false })).not.toContain(
      "package.json has dependencies",
    );
  });

  it("packProblems() enforces the size and file-count bounds", () => {
    const big = { ...GOOD, "dist/big.js": "x".repeat(20_000) };
    expect(problemsOf(big)).toContain(`unpacked size ${listing(big).unpackedSize} B exceeds the bound of 10000 B`);
    expect(problemsOf(GOOD, { ...RULES, maxPackedBytes: 99 })).toEqual([
      "tarball size 100 B exceeds the bound of 99 B",
    ]);
    expect(problemsOf(GOOD, { ...RULES, maxFiles: 5 })).toEqual(["6 files exceed the bound of 5"]);
  });

  it("entryTargets() collects main, types and the exports map, skipping patterns", () => {
    const manifest = {
      main: "./dist/mod.js",
      types: "./dist/mod.d.ts",
      exports: { ".": { types: "./dist/mod.d.ts", default: "./dist/mod.js" }, "./*": "./dist/*.js" },
    };
    expect(entryTargets(manifest)).toEqual(["dist/mod.d.ts", "dist/mod.js"]);
    expect(joinPath("dist/x", "../a.ts")).toBe("dist/a.ts");
    expect(joinPath("dist", "../../a.ts")).toBe("../a.ts");
  });

  it("parsePackJson() reads the listing after what a prepack script printed", () => {
    const json = JSON.stringify([{ name: "p", version: "1.0.0", filename: "p.tgz", files: [] }], null, 2);
    expect(parsePackJson(`built 38 files\n[ not json\n${json}\n`).name).toBe("p");
    expect(parsePackJson(`${json}\n`).filename).toBe("p.tgz");
    expect(() => parsePackJson("npm error code E404\n")).toThrow("no JSON listing");
  });

  it("parseRuleOptions() adds to the lists, replaces bounds and refuses bad options", () => {
    const rules = parseRuleOptions(["--only", "lib/*.js", "--max-files", "3", "--no-dependencies"], RULES);
    expect(rules).toEqual({ ...RULES, only: [...RULES.only, "lib/*.js"], maxFiles: 3, noDependencies: true });
    expect(parseRuleOptions(["--max-files", "many"], RULES)).toBe("--max-files needs a positive integer, got many");
    expect(parseRuleOptions(["--only"], RULES)).toBe("--only needs a value");
    expect(parseRuleOptions(["--everything"], RULES)).toBe("unknown option --everything");
    expect(registeredRules(join(REPO_ROOT, "packages", "core"))).toBe(PACKAGE_RULES["packages/core"]);
  });
});

describe("npm pack", () => {
  slowIt(
    "CI's command passes for every registered package, and the core packs only what a user needs",
    async () => {
      const bun = join(REPO_ROOT, "node_modules", ".bin", "bun");
      const run = await runProcess(bun, ["scripts/check_pack.ts", "--all"], { cwd: REPO_ROOT });
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: "" });
      for (const folder of Object.keys(PACKAGE_RULES)) expect(run.stdout).toContain(`(${folder}):`);
      expect(run.stdout.match(/^pack check passed$/gm)?.length).toBe(Object.keys(PACKAGE_RULES).length);

      const core = await checkPack(join(REPO_ROOT, "packages", "core"), PACKAGE_RULES["packages/core"]);
      expect(core.problems).toEqual([]);
      const paths = core.listing.files.map((f) => f.path);
      for (const path of ["package.json", "README.md", "LICENSE", "dist/mod.js", "dist/mod.d.ts"]) {
        expect(paths).toContain(path);
      }
      const others = paths.filter(
        (p) => !p.startsWith("dist/") && !["package.json", "README.md", "LICENSE"].includes(p),
      );
      expect(others).toEqual([]);
    },
    { timeoutMs: 240_000 },
  );

  it(".ci/run checks the packs after tsc and biome and before the tests, and fails CI when the check fails", () => {
    const ci = readFileSync(join(REPO_ROOT, ".ci", "run"), "utf8");
    const at = (text: string) => {
      const i = ci.indexOf(text);
      expect({ text, found: i >= 0 }).toEqual({ text, found: true });
      return i;
    };
    const pack = at("bun scripts/check_pack.ts --all || status=1");
    expect(at("biome check . || status=1")).toBeLessThan(pack);
    expect(at("tsc --noEmit -p . || status=1")).toBeLessThan(pack);
    expect(pack).toBeLessThan(at("npm test -- "));
  });

  slowIt(
    "the check fails, through the command line, for a package that ships a test and a TypeScript source",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "raftbare-pack-"));
      try {
        mkdirSync(join(dir, "lib"));
        const manifest = { name: "bad-pack", version: "1.0.0", license: "MIT", main: "lib/index.js", files: ["lib"] };
        writeFileSync(join(dir, "package.json"), JSON.stringify(manifest));
        writeFileSync(join(dir, "README.md"), "# bad-pack\n");
        writeFileSync(join(dir, "lib", "index.js"), "export const x = 1;\n");
        writeFileSync(join(dir, "lib", "index_test.js"), "export {};\n");
        writeFileSync(join(dir, "lib", "index.ts"), "export const x: number = 1;\n");
        const bun = join(REPO_ROOT, "node_modules", ".bin", "bun");
        const run = await runProcess(bun, ["scripts/check_pack.ts", dir, "--only", "lib/*.js"], { cwd: REPO_ROOT });
        expect(run.status).toBe(1);
        expect(run.stderr).toContain("problem: lib/index_test.js is a test");
        expect(run.stderr).toContain("problem: lib/index.ts is a TypeScript source");
        expect(run.stdout).toContain("pack check failed: 3 problems");
        const usage = await runProcess(bun, ["scripts/check_pack.ts", dir], { cwd: REPO_ROOT });
        expect(usage.status).toBe(2);
        expect(usage.stderr).toContain("has no registered rules; give at least one --only GLOB");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    { timeoutMs: 120_000 },
  );
});
