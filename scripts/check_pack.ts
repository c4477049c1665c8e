/**
 * Checks what `npm pack` puts in a package's tarball (the package's own `prepack` build runs
 * first): package.json, README and LICENSE; the files the rules require and nothing the rules do not
 * allow; no tests, data or TypeScript sources other than declarations; no source map or text that
 * names this machine's folders; entry points that exist; and bounds on size and file count.
 * Prints the problems and exits 1 if there are any.
 *
 * Usage: bun scripts/check_pack.ts --all        (every folder in scripts/pack/package_rules.ts)
 *        bun scripts/check_pack.ts <package-folder> [rule options]
 *   --require GLOB          a packed file must match GLOB (repeatable)
 *   --only GLOB             every packed file must match one --only GLOB (repeatable; package.json,
 *                           README and LICENSE always may)
 *   --allow-ts GLOB         a TypeScript source shipped on purpose (repeatable)
 *   --max-unpacked-bytes N, --max-packed-bytes N, --max-files N
 *   --no-dependencies       the package must declare no dependencies
 * A folder listed in scripts/pack/package_rules.ts starts from its rules there (options add to
 * the lists and replace the bounds); any other folder needs at least one --only.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, relative, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { type PackListing, packListing } from "./pack/npm.ts";
import { PACKAGE_RULES } from "./pack/package_rules.ts";
import { type PackRules, packProblems } from "./pack/rules.ts";

/** The repository root. */
const REPO_ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));

/** The outcome of checking one package. */
export interface PackCheck {
  readonly listing: PackListing;
  readonly problems: readonly string[];
}

/** Rules that allow nothing beyond the always-allowed files and bound nothing. */
const OPEN_RULES: PackRules = {
  require: [],
  only: [],
  allowTs: [],
  maxUnpackedBytes: Number.POSITIVE_INFINITY,
  maxPackedBytes: Number.POSITIVE_INFINITY,
  maxFiles: Number.POSITIVE_INFINITY,
  noDependencies: false,
};

/** The registered rules of `packageDir` (a folder of this repository), if any. */
export function registeredRules(packageDir: string): PackRules | undefined {
  return PACKAGE_RULES[relative(REPO_ROOT, resolve(packageDir)).split("\\").join("/")];
}

/** Parses rule options onto `base`; returns the rules or a message about a bad option. */
export function parseRuleOptions(args: readonly string[], base: PackRules): PackRules | string {
  const rules = { ...base, require: [...base.require], only: [...base.only], allowTs: [...base.allowTs] };
  const lists = { "--require": rules.require, "--only": rules.only, "--allow-ts": rules.allowTs };
  const bounds = {
    "--max-unpacked-bytes": "maxUnpackedBytes",
    "--max-packed-bytes": "maxPackedBytes",
    "--max-files": "maxFiles",
  } as const;
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    if (flag === "--no-dependencies") {
      rules.noDependencies = true;
      continue;
    }
    if (!(flag in lists) && !(flag in bounds)) return `unknown option ${flag}`;
    const value = args[++i];
    if (value === undefined) return `${flag} needs a value`;
    if (flag in lists) {
      lists[flag as keyof typeof lists].push(value);
      continue;
    }
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n <= 0) return `${flag} needs a positive integer, got ${value}`;
    rules[bounds[flag as keyof typeof bounds]] = n;
  }
  return rules;
}

/** Packs `packageDir` (dry run, after its prepack build) and checks the listing against `rules`. */
export async function checkPack(packageDir: string, rules: PackRules): Promise<PackCheck> {
  const dir = resolve(packageDir);
  const listing = await packListing(dir);
  const problems = packProblems(listing, rules, {
    read: (path) => readFileSync(join(dir, path), "utf8"),
    topLevelNames: readdirSync(dir),
    machinePaths: [REPO_ROOT, dir, homedir()],
  });
  return { listing, problems };
}

/** Checks one package and prints the outcome; true when it passed. */
async function reportPack(packageDir: string, rules: PackRules, label: string = packageDir): Promise<boolean> {
  const { listing, problems } = await checkPack(packageDir, rules);
  console.log(
    `${listing.name}@${listing.version} (${label}): ${listing.files.length} files, ${listing.unpackedSize} B unpacked, ${listing.size} B packed`,
  );
  for (const problem of problems) console.error(`  problem: ${problem}`);
  console.log(problems.length === 0 ? "pack check passed" : `pack check failed: ${problems.length} problems`);
  return problems.length === 0;
}

/** The rules for the command line `packageDir options`, or a message saying what is wrong with it. */
function commandLineRules(packageDir: string | undefined, options: readonly string[]): PackRules | string {
  if (packageDir === undefined || packageDir.startsWith("--") || !existsSync(join(packageDir, "package.json"))) {
    return "give --all or a package folder (with a package.json), then rule options";
  }
  const rules = parseRuleOptions(options, registeredRules(packageDir) ?? OPEN_RULES);
  if (typeof rules === "string") return rules;
  if (rules.only.length === 0) return `${packageDir} has no registered rules; give at least one --only GLOB`;
  return rules;
}

async function main(args: readonly string[]): Promise<number> {
  if (args.length === 1 && args[0] === "--all") {
    let passed = true;
    for (const [folder, rules] of Object.entries(PACKAGE_RULES)) {
      passed = (await reportPack(join(REPO_ROOT, folder), rules, folder)) && passed;
    }
    return passed ? 0 : 1;
  }
  const [packageDir, ...options] = args;
  const rules = commandLineRules(packageDir, options);
  if (typeof rules === "string") {
    console.error(`Cannot check the pack: ${rules}`);
    return 2;
  }
  return (await reportPack(packageDir as string, rules)) ? 0 : 1;
}

if (import.meta.main) {
  try {
    process.exit(await main(process.argv.slice(2)));
  } catch (err) {
    console.error(`Cannot check the pack: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
