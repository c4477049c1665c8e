/**
 * Builds the npm form of the core package: `packages/core/src/*.ts` → `packages/core/dist/*.js`
 * and `*.d.ts` with tsc (packages/core/tsconfig.build.json), runnable on plain Node 20. Relative
 * `./x.ts` imports become `./x.js` in both (tsc's `rewriteRelativeImportExtensions` does the
 * JavaScript; its declaration output keeps `.ts`, so the build rewrites those), and the output is
 * checked before the script reports success. `dist/` is not committed; `npm pack` in
 * packages/core runs this script first (its `prepack`).
 *
 * Usage: bun scripts/build_core.ts
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));
/** The core package folder. */
export const CORE_PACKAGE_DIR: string = join(REPO_ROOT, "packages", "core");

/** What a build produced. */
export interface CoreBuild {
  /** The output folder (`packages/core/dist`). */
  readonly outDir: string;
  /** The names of the built files, sorted: one `.js` and one `.d.ts` per source module. */
  readonly files: readonly string[];
}

/** How long tsc may take before the build gives up. */
const TSC_TIME_LIMIT_MS = 120_000;

/** A relative import or re-export specifier ending in `.ts` (but not `.d.ts`), in emitted code. */
const TS_SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])(\.{1,2}\/[^"'\n]*?)(?<!\.d)\.ts\2/g;

/** `text` with each relative `./x.ts` import specifier turned into `./x.js`. */
export function rewriteTsSpecifiers(text: string): string {
  return text.replace(
    TS_SPECIFIER,
    (_all, lead: string, quote: string, stem: string) => `${lead}${quote}${stem}.js${quote}`,
  );
}

/** The relative `.ts` import specifiers left in `text` (a correct build leaves none). */
export function leftoverTsSpecifiers(text: string): string[] {
  return [...text.matchAll(TS_SPECIFIER)].map((m) => `${m[3]}.ts`);
}

/** The module names (without `.ts`) of the package's sources. */
function sourceModules(packageDir: string): string[] {
  return readdirSync(join(packageDir, "src"))
    .filter((name) => name.endsWith(".ts") && !name.endsWith(".d.ts"))
    .map((name) => name.slice(0, -".ts".length))
    .sort();
}

/** Runs tsc on the package's build config; throws with tsc's output if it fails. */
function runTsc(packageDir: string): void {
  const tsc = join(REPO_ROOT, "node_modules", ".bin", "tsc");
  const result = spawnSync(tsc, ["-p", join(packageDir, "tsconfig.build.json")], {
    encoding: "utf8",
    timeout: TSC_TIME_LIMIT_MS,
  });
  if (result.error !== undefined) throw new Error(`Cannot run tsc (${tsc}): ${result.error.message}`);
  if (result.status !== 0) throw new Error(`tsc failed (exit ${result.status}):\n${result.stdout}${result.stderr}`);
}

/** Problems with the built output: missing or unexpected files, `.ts` specifiers left behind. */
function checkOutput(outDir: string, modules: readonly string[]): string[] {
  const expected = modules.flatMap((m) => [`${m}.d.ts`, `${m}.js`]).sort();
  const actual = readdirSync(outDir).sort();
  const problems: string[] = [];
  for (const name of expected) if (!actual.includes(name)) problems.push(`missing ${name}`);
  for (const name of actual) if (!expected.includes(name)) problems.push(`unexpected ${name}`);
  for (const name of actual.filter((n) => expected.includes(n))) {
    for (const spec of leftoverTsSpecifiers(readFileSync(join(outDir, name), "utf8"))) {
      problems.push(`${name} still imports ${spec}`);
    }
  }
  return problems;
}

/** Builds `packageDir` (default: the core package) into its `dist/` from scratch and checks the result. */
export function buildCore(packageDir: string = CORE_PACKAGE_DIR): CoreBuild {
  const outDir = join(packageDir, "dist");
  rmSync(outDir, { recursive: true, force: true });
  runTsc(packageDir);
  if (!existsSync(outDir)) throw new Error(`tsc wrote nothing to ${outDir}`);
  for (const name of readdirSync(outDir).filter((n) => n.endsWith(".d.ts"))) {
    const path = join(outDir, name);
    writeFileSync(path, rewriteTsSpecifiers(readFileSync(path, "utf8")));
  }
  const problems = checkOutput(outDir, sourceModules(packageDir));
  if (problems.length > 0) throw new Error(`The core build is wrong:\n  ${problems.join("\n  ")}`);
  return { outDir, files: readdirSync(outDir).sort() };
}

if (import.meta.main) {
  try {
    const build = buildCore();
    console.log(`built ${build.files.length} files into packages/core/dist`);
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
}
