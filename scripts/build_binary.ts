/**
 * Builds the node as one self-contained executable: `bun build --compile` of src/main.ts with
 * every dependency, the Bun runtime, and every file the routes serve as it is
 * (routes/static_assets.ts) embedded, into dist/raftbare-ts-node. The executable needs nothing else:
 * copy it alone to a host of the same OS and CPU and run it there. Needs no network.
 *
 * Usage: bun scripts/build_binary.ts [--outfile dist/raftbare-ts-node]
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative, resolve } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { STATIC_ASSETS } from "../routes/static_assets.ts";
import { API_VERSION } from "../src/http/openapi_document.ts";
import { entrySource } from "./build_binary/entry_source.ts";
import { BINARY_PATH, NODE_ENTRY, REPO_ROOT, STATIC_ASSETS_MODULE } from "./build_binary/layout.ts";

const USAGE = `usage: npx bun scripts/build_binary.ts [options]

Compiles the node into one executable for this OS and CPU (Bun's runtime, the code, its packages
and the docs UI files inside), checks that it runs, and replaces the output file only then.

options:
  --outfile <path>   where to write it (default ${BINARY_PATH}, under the repository root)
  -h, --help         print this help and exit`;

/** Exit code of a failed build. */
const EXIT_FAILURE = 1;
/** Exit code of a bad command line. */
const EXIT_USAGE = 2;
/** How long the compiler may take (a loaded machine is slow; a healthy build takes seconds). */
const BUILD_TIMEOUT_MS = 300_000;

/** The `--version` line the executable must print: the package version and the Bun that built it. */
function expectedVersion(): string {
  return `raftbare-ts ${API_VERSION} (bun ${Bun.version})`;
}

/** Runs `bun build --compile` of a generated entry into `partial` (with its source map inside, for stack traces). */
function compile(partial: string, work: string): void {
  const entry = join(work, "entry.ts");
  writeFileSync(entry, entrySource(STATIC_ASSETS, { nodeEntry: NODE_ENTRY, staticAssetsModule: STATIC_ASSETS_MODULE }));
  const args = ["build", "--compile", "--sourcemap", "--outfile", partial, entry];
  execFileSync(process.execPath, args, {
    cwd: work,
    stdio: ["ignore", "inherit", "inherit"],
    timeout: BUILD_TIMEOUT_MS,
  });
}

/** Throws unless the executable at `file` runs and prints the expected version. */
function checkRuns(file: string): void {
  const printed = execFileSync(file, ["--version"], { cwd: dirname(file), timeout: 60_000, encoding: "utf8" }).trim();
  if (printed !== expectedVersion()) {
    throw new Error(`the executable printed '${printed}' for --version; expected '${expectedVersion()}'`);
  }
}

/** Builds the executable into `outfile` (replaced only by a build that runs); resolves with its size. */
function build(outfile: string): number {
  mkdirSync(dirname(outfile), { recursive: true });
  const partial = join(dirname(outfile), `.${basename(outfile)}.${process.pid}.partial`);
  const work = mkdtempSync(join(tmpdir(), "raftbare-build-"));
  try {
    compile(partial, work);
    checkRuns(partial);
    renameSync(partial, outfile);
    return statSync(outfile).size;
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(partial, { force: true });
    // The executable carries its source map; bun build also writes it beside the output.
    rmSync(`${partial}.map`, { force: true });
  }
}

function main(): number {
  let values: { outfile?: string; help?: boolean };
  try {
    values = parseArgs({
      args: process.argv.slice(2),
      options: { outfile: { type: "string" }, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (values.help === true) {
    console.log(USAGE);
    return 0;
  }
  if (typeof Bun === "undefined") {
    console.error(
      "Cannot build: run this script with Bun (npx bun scripts/build_binary.ts); it compiles with bun build",
    );
    return EXIT_FAILURE;
  }
  const outfile = values.outfile === undefined ? join(REPO_ROOT, BINARY_PATH) : resolve(values.outfile);
  try {
    const bytes = build(outfile);
    const shown = relative(process.cwd(), outfile) || outfile;
    console.log(
      `built ${shown}: ${(bytes / 2 ** 20).toFixed(1)} MiB, ${expectedVersion()}, ${process.platform}-${process.arch}`,
    );
    return 0;
  } catch (error) {
    console.error(`Cannot build the executable: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT_FAILURE;
  }
}

process.exit(main());
