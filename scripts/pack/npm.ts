/**
 * Packs and installs packages with the npm client (through {@link runProcess}, so an enclosing
 * `npm test` does not leak its configuration into these runs).
 */
import { expectSuccess, runProcess } from "./run_process.ts";

/** One file of a pack, as `npm pack --json` lists it. */
export interface PackedFile {
  /** The path inside the package, with `/` separators. */
  readonly path: string;
  /** Its size in bytes. */
  readonly size: number;
}

/** What `npm pack --json` reports about one package. */
export interface PackListing {
  readonly name: string;
  readonly version: string;
  /** The tarball's file name (inside the pack destination). */
  readonly filename: string;
  /** The tarball's size in bytes. */
  readonly size: number;
  /** The sum of the packed files' sizes. */
  readonly unpackedSize: number;
  readonly files: readonly PackedFile[];
}

/**
 * The listing in `npm pack --json` output. A `prepack` script may print before the JSON, so the
 * document is read from the first line that opens an array.
 */
export function parsePackJson(stdout: string): PackListing {
  const start = stdout.search(/^\[\s*$/m);
  if (start === -1) throw new Error(`npm pack printed no JSON listing:\n${stdout.slice(0, 2000)}`);
  const parsed: unknown = JSON.parse(stdout.slice(start));
  if (!Array.isArray(parsed) || parsed.length !== 1) {
    throw new Error(`npm pack listed ${Array.isArray(parsed) ? parsed.length : "no"} packages; expected one`);
  }
  const p = parsed[0] as PackListing;
  if (typeof p.name !== "string" || typeof p.filename !== "string" || !Array.isArray(p.files)) {
    throw new Error("npm pack's listing lacks name, filename or files");
  }
  return p;
}

/** What `npm pack` would put in the tarball of `packageDir` (its `prepack` runs first). */
export async function packListing(packageDir: string): Promise<PackListing> {
  const run = await runProcess("npm", ["pack", "--dry-run", "--json"], { cwd: packageDir });
  expectSuccess(run, `npm pack --dry-run in ${packageDir}`);
  return parsePackJson(run.stdout);
}

/** Packs `packageDir` into the folder `destination`; returns the listing (the tarball is `destination/filename`). */
export async function packInto(packageDir: string, destination: string): Promise<PackListing> {
  const run = await runProcess("npm", ["pack", "--json", "--pack-destination", destination], { cwd: packageDir });
  expectSuccess(run, `npm pack in ${packageDir}`);
  return parsePackJson(run.stdout);
}

/** Installs the tarball `tarball` into the project folder `projectDir`, offline (it must need no registry). */
export async function installTarball(tarball: string, projectDir: string): Promise<void> {
  const args = ["install", "--offline", "--no-audit", "--no-fund", "--prefix", projectDir, tarball];
  expectSuccess(await runProcess("npm", args, { cwd: projectDir }), `npm install ${tarball}`);
}
