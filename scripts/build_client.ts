/**
 * Builds the client package: `tsc -p client/tsconfig.build.json` into a fresh `client/dist`
 * (JavaScript with `.js` imports, and `.d.ts` declarations), then checks the output: every source
 * module has its pair of files and nothing imports a `node:` module.
 *
 *   bun scripts/build_client.ts
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The repository root. */
const ROOT = fileURLToPath(new URL("../", import.meta.url));
/** The client package. */
export const CLIENT_DIR = join(ROOT, "client");
/** Where the build goes. */
export const CLIENT_DIST = join(CLIENT_DIR, "dist");

/** An import of a `node:` module in emitted JavaScript or declarations. */
const NODE_IMPORT = /\bfrom\s+["']node:|\bimport\s*\(\s*["']node:|\brequire\s*\(\s*["']node:/;

/** Runs tsc on the build configuration; throws with its output when it fails. */
function compile(): void {
  const tsc = join(ROOT, "node_modules", ".bin", "tsc");
  const result = spawnSync(tsc, ["-p", join(CLIENT_DIR, "tsconfig.build.json")], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 300_000,
  });
  if (result.status !== 0) {
    throw new Error(`tsc failed (status ${result.status}):\n${result.stdout}${result.stderr}${result.error ?? ""}`);
  }
}

/** Throws unless every `client/src/*.ts` module has its `.js` and `.d.ts` and no output imports `node:`. */
function checkOutput(): string[] {
  const modules = readdirSync(join(CLIENT_DIR, "src")).filter((f) => f.endsWith(".ts"));
  if (!modules.includes("mod.ts")) throw new Error("client/src/mod.ts is missing");
  const files: string[] = [];
  for (const module of modules) {
    const base = module.slice(0, -".ts".length);
    for (const out of [`${base}.js`, `${base}.d.ts`]) {
      const path = join(CLIENT_DIST, out);
      if (!existsSync(path)) throw new Error(`the build did not produce client/dist/${out}`);
      const text = readFileSync(path, "utf8");
      if (NODE_IMPORT.test(text)) throw new Error(`client/dist/${out} imports a node: module`);
      if (out.endsWith(".js") && /from\s+["']\.{1,2}\/[^"']*\.ts["']/.test(text)) {
        throw new Error(`client/dist/${out} still imports a .ts file`);
      }
      files.push(out);
    }
  }
  return files;
}

/** Builds `client/dist` from scratch; resolves with the files it checked. */
export function buildClient(): string[] {
  rmSync(CLIENT_DIST, { recursive: true, force: true });
  compile();
  return checkOutput();
}

if (import.meta.main) {
  try {
    const files = buildClient();
    console.log(`client/dist: ${files.length} files (${files.length / 2} modules), no node: imports`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
