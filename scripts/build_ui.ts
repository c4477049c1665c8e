/**
 * Bundles the dashboard's TypeScript (ui/src, which imports the client package) into the one
 * committed file the node serves at `/ui/assets/app.js`, with Bun's bundler (offline).
 *
 *   bun scripts/build_ui.ts            write ui/dist/app.js
 *   bun scripts/build_ui.ts --check    exit 1 if ui/dist/app.js differs from a fresh build
 *   bun scripts/build_ui.ts --out <file> [--check]   the same with another file
 *
 * The output is minified without a source map: Bun's readable output names each module by its path
 * relative to the real location of node_modules, which differs between checkouts, and the committed
 * file must be the same wherever it is built.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL("../", import.meta.url));
/** The dashboard's entry module. */
export const UI_ENTRY = join(REPO_ROOT, "ui", "src", "main.ts");
/** The committed bundle. */
export const UI_BUNDLE = join(REPO_ROOT, "ui", "dist", "app.js");

/** The first line of the bundle. */
const BANNER = "// The dashboard's code, bundled from ui/src by scripts/build_ui.ts: do not edit, rebuild.";

/** Whether `text` names a place on the building machine (the bundle must not depend on where it was built). */
function leaksBuildPaths(text: string): string | null {
  for (const needle of [REPO_ROOT, REPO_ROOT.replace(/\/$/, ""), "node_modules", "file://"]) {
    if (text.includes(needle)) return needle;
  }
  return null;
}

/** Bundles the dashboard and returns the file's text (throws with the bundler's messages on failure). */
export async function bundleDashboard(): Promise<string> {
  const bun = (globalThis as { Bun?: typeof Bun }).Bun;
  if (bun === undefined) throw new Error("scripts/build_ui.ts runs on Bun: npx bun scripts/build_ui.ts");
  const result = await bun.build({
    entrypoints: [UI_ENTRY],
    target: "browser",
    format: "esm",
    minify: true,
    sourcemap: "none",
    splitting: false,
    banner: BANNER,
  });
  if (!result.success) {
    throw new Error(`Cannot bundle the dashboard:\n${result.logs.map((log) => String(log)).join("\n")}`);
  }
  if (result.outputs.length !== 1) throw new Error(`The bundler made ${result.outputs.length} files, expected 1`);
  const text = `${(await result.outputs[0].text()).trimEnd()}\n`;
  const leak = leaksBuildPaths(text);
  if (leak !== null) throw new Error(`The bundle names the build machine's '${leak}'; it would differ per checkout`);
  return text;
}

/** The command line: where the bundle goes and whether to only compare (null when malformed). */
function parseArgs(args: readonly string[]): { out: string; check: boolean } | null {
  let out = UI_BUNDLE;
  let check = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--check") check = true;
    else if (args[i] === "--out" && i + 1 < args.length) out = args[++i];
    else return null;
  }
  return { out, check };
}

/** The file's text, or null if it cannot be read. */
function readIfPresent(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

if (import.meta.main) {
  const parsed = parseArgs(process.argv.slice(2));
  if (parsed === null) {
    console.error("usage: build_ui.ts [--check] [--out <file>]");
    process.exit(2);
  }
  const fresh = await bundleDashboard();
  if (parsed.check) {
    const committed = readIfPresent(parsed.out);
    if (committed !== fresh) {
      const why = committed === null ? "is missing" : "differs from a fresh build of ui/src";
      console.error(`${parsed.out} ${why}: run 'npx bun scripts/build_ui.ts' and commit the result`);
      process.exit(1);
    }
    console.log(`${parsed.out} matches a fresh build (${fresh.length} bytes)`);
  } else {
    mkdirSync(dirname(parsed.out), { recursive: true });
    writeFileSync(parsed.out, fresh);
    console.log(`Wrote ${parsed.out} (${fresh.length} bytes)`);
  }
}
