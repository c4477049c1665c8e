/**
 * The rules a package's tarball must meet. Some always hold (package.json, a README, the LICENSE
 * when the folder has one, no tests, no data, no TypeScript sources other than declarations unless
 * shipped on purpose, no source maps or text that point at this machine's folders, entry points
 * that exist); the others are given per package ({@link PackRules}).
 */
import { matchesAny } from "./glob.ts";
import type { PackListing } from "./npm.ts";

/** Rules given per package. */
export interface PackRules {
  /** Each glob must match at least one packed file. */
  readonly require: readonly string[];
  /** Every packed file must match one of these (package.json, README and LICENSE always may). */
  readonly only: readonly string[];
  /** TypeScript sources (`.ts`, `.mts`, `.cts`, `.tsx`, not `.d.ts`) that are shipped on purpose. */
  readonly allowTs: readonly string[];
  /** Bound on the sum of the packed files' sizes, in bytes. */
  readonly maxUnpackedBytes: number;
  /** Bound on the tarball's size, in bytes. */
  readonly maxPackedBytes: number;
  /** Bound on the number of packed files. */
  readonly maxFiles: number;
  /** The package must declare no dependencies of any kind. */
  readonly noDependencies: boolean;
}

/** What the checks may read besides the listing. */
export interface PackContext {
  /** The text of a packed file, by its path in the package. */
  readonly read: (path: string) => string;
  /** The names of the files at the top of the package folder (to see whether a LICENSE exists). */
  readonly topLevelNames: readonly string[];
  /** Absolute folders of this machine that no packed file may mention (the checkout, the home folder). */
  readonly machinePaths: readonly string[];
}

/** Files npm always packs and every rule set allows. */
const ALWAYS_ALLOWED = ["package.json", "README*", "readme*", "LICENSE*", "LICENCE*", "license*"];
/** Paths that are tests. */
const TEST_PATH = /(^|\/)(tests?|__tests__|spec|__mocks__)\/|[._-](test|spec)\.[cm]?[jt]sx?$/;
/** Paths that are data, logs, build leftovers or secrets. */
const DATA_PATH =
  /(^|\/)(data|\.tmp|tmp|coverage|node_modules|fixtures|\.git)\/|\.(log|tgz|tar|gz|zip|sqlite|db|wal|seg|snap)$|(^|\/)\.env/;
/** TypeScript sources other than declarations. */
const TS_SOURCE = /\.(ts|mts|cts|tsx)$/;
const DECLARATION = /\.d\.[cm]?ts$/;
/** Files read as text for the machine-path and source-map checks. */
const TEXT_FILE = /\.(js|mjs|cjs|ts|mts|cts|map|json|md|txt)$|(^|\/)(LICENSE|LICENCE)[^/]*$/;
/** A `sourceMappingURL` comment in JavaScript or a declaration file. */
const SOURCE_MAPPING_URL = /[#@]\s*sourceMappingURL\s*=\s*(\S+)/g;
const DEPENDENCY_FIELDS = ["dependencies", "peerDependencies", "optionalDependencies", "bundleDependencies"];

/** Every problem of `listing` under `rules`; empty when the package is fit to publish. */
export function packProblems(listing: PackListing, rules: PackRules, context: PackContext): string[] {
  const paths = listing.files.map((f) => f.path);
  return [
    ...fileSetProblems(paths, rules, context),
    ...boundProblems(listing, rules),
    ...manifestProblems(paths, rules, context),
    ...mapProblems(paths, context),
    ...machinePathProblems(paths, context),
  ];
}

/** Required, allowed and forbidden files. */
function fileSetProblems(paths: readonly string[], rules: PackRules, context: PackContext): string[] {
  const problems: string[] = [];
  if (!paths.includes("package.json")) problems.push("package.json is not packed");
  if (!paths.some((p) => /^readme/i.test(p))) problems.push("no README is packed");
  for (const name of context.topLevelNames.filter((n) => /^licen[cs]e/i.test(n))) {
    if (!paths.includes(name)) problems.push(`${name} exists but is not packed`);
  }
  for (const glob of rules.require) {
    if (!paths.some((p) => matchesAny(p, [glob]))) problems.push(`no packed file matches ${glob}`);
  }
  for (const path of paths) {
    if (TEST_PATH.test(path)) problems.push(`${path} is a test`);
    if (DATA_PATH.test(path)) problems.push(`${path} is data, a log, an archive or a secret`);
    if (TS_SOURCE.test(path) && !DECLARATION.test(path) && !matchesAny(path, rules.allowTs)) {
      problems.push(`${path} is a TypeScript source (ship the built .js and .d.ts)`);
    }
    if (!matchesAny(path, [...ALWAYS_ALLOWED, ...rules.only])) problems.push(`${path} is not one of the allowed files`);
  }
  return problems;
}

/** The size and count bounds. */
function boundProblems(listing: PackListing, rules: PackRules): string[] {
  const problems: string[] = [];
  if (listing.unpackedSize > rules.maxUnpackedBytes) {
    problems.push(`unpacked size ${listing.unpackedSize} B exceeds the bound of ${rules.maxUnpackedBytes} B`);
  }
  if (listing.size > rules.maxPackedBytes) {
    problems.push(`tarball size ${listing.size} B exceeds the bound of ${rules.maxPackedBytes} B`);
  }
  if (listing.files.length > rules.maxFiles) {
    problems.push(`${listing.files.length} files exceed the bound of ${rules.maxFiles}`);
  }
  return problems;
}

/** package.json: publishable, entry points packed, dependencies as the rules say. */
function manifestProblems(paths: readonly string[], rules: PackRules, context: PackContext): string[] {
  if (!paths.includes("package.json")) return [];
  const manifest = JSON.parse(context.read("package.json")) as Record<string, unknown>;
  const problems: string[] = [];
  if (manifest.private === true) problems.push('package.json says "private": true');
  for (const field of ["name", "version", "license"]) {
    if (typeof manifest[field] !== "string") problems.push(`package.json has no ${field}`);
  }
  for (const target of entryTargets(manifest)) {
    if (!paths.includes(target)) problems.push(`package.json names ${target}, which is not packed`);
  }
  if (rules.noDependencies) {
    for (const field of DEPENDENCY_FIELDS) {
      const value = manifest[field];
      if (value !== undefined && Object.keys(value as object).length > 0) problems.push(`package.json has ${field}`);
    }
  }
  return problems;
}

/** The files that `main`, `module`, `types`, `typings`, `bin` and `exports` point at (patterns skipped). */
export function entryTargets(manifest: Record<string, unknown>): string[] {
  const out: string[] = [];
  const visit = (value: unknown): void => {
    if (typeof value === "string") {
      if (!value.includes("*")) out.push(value.replace(/^\.\//, ""));
    } else if (Array.isArray(value)) {
      for (const v of value) visit(v);
    } else if (value !== null && typeof value === "object") {
      for (const v of Object.values(value)) visit(v);
    }
  };
  for (const field of ["main", "module", "types", "typings", "bin", "exports"]) visit(manifest[field]);
  return [...new Set(out)].sort();
}

/** Source maps: only packed, relative ones whose sources are packed too. */
function mapProblems(paths: readonly string[], context: PackContext): string[] {
  const problems: string[] = [];
  for (const path of paths.filter((p) => /\.[cm]?[jt]s$/.test(p))) {
    for (const m of context.read(path).matchAll(SOURCE_MAPPING_URL)) {
      const url = m[1];
      if (url.startsWith("data:")) problems.push(`${path} carries an inline source map`);
      else if (!paths.includes(joinPath(dirOf(path), url)))
        problems.push(`${path} points at ${url}, which is not packed`);
    }
  }
  for (const path of paths.filter((p) => p.endsWith(".map"))) {
    problems.push(...sourceMapProblems(path, context.read(path), paths));
  }
  return problems;
}

/** The problems of one source map `path` with text `text`. */
export function sourceMapProblems(path: string, text: string, paths: readonly string[]): string[] {
  let map: { sourceRoot?: unknown; sources?: unknown };
  try {
    map = JSON.parse(text);
  } catch {
    return [`${path} is not a JSON source map`];
  }
  const root = typeof map.sourceRoot === "string" ? map.sourceRoot : "";
  if (isAbsoluteOrUrl(root)) return [`${path} has the sourceRoot ${root}`];
  const sources = Array.isArray(map.sources) ? map.sources : [];
  const problems: string[] = [];
  for (const source of sources) {
    if (typeof source !== "string" || isAbsoluteOrUrl(source)) problems.push(`${path} names the source ${source}`);
    else if (!paths.includes(joinPath(dirOf(path), joinPath(root, source)))) {
      problems.push(`${path} names ${source}, which is not packed`);
    }
  }
  return problems;
}

/** Packed text files that mention one of this machine's folders. */
function machinePathProblems(paths: readonly string[], context: PackContext): string[] {
  const needles = context.machinePaths.filter((p) => p.length > 4);
  const problems: string[] = [];
  for (const path of paths.filter((p) => TEXT_FILE.test(p))) {
    const text = context.read(path);
    for (const needle of needles) if (text.includes(needle)) problems.push(`${path} mentions the local path ${needle}`);
  }
  return problems;
}

function isAbsoluteOrUrl(p: string): boolean {
  return p.startsWith("/") || p.startsWith("\\") || /^[A-Za-z]:[\\/]/.test(p) || /^[a-z][a-z0-9+.-]*:/i.test(p);
}

function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i === -1 ? "" : path.slice(0, i);
}

/** `rel` resolved against the package-relative folder `dir`; a path leaving the package keeps its `../`. */
export function joinPath(dir: string, rel: string): string {
  const parts = dir === "" ? [] : dir.split("/");
  for (const part of rel.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === ".." && parts.length > 0 && parts[parts.length - 1] !== "..") parts.pop();
    else parts.push(part);
  }
  return parts.join("/");
}
