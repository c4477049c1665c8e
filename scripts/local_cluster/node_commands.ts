/**
 * The commands that run one node: the one the launcher spawns, and the one it prints so a person
 * can restart a single node by hand from the repository root.
 */
import { isAbsolute, join, relative } from "node:path";
import { type NodeSpec, REPO_ROOT, type TokenFiles } from "./layout.ts";
import type { NodeRuntime } from "./options.ts";

/** An executable and its arguments. */
export interface Command {
  readonly bin: string;
  readonly args: readonly string[];
}

/** The runtime's arguments before the node's own flags. */
function runtimeArgs(runtime: NodeRuntime): string[] {
  return runtime === "bun" ? ["src/main.ts"] : ["run", "--allow-all", "src/main.ts"];
}

/** The node's flags (the tokens are read from their files, never shown on the command line). */
function nodeFlags(spec: NodeSpec, dataDir: string, tokens: TokenFiles): string[] {
  const files = [
    "--cluster-token-file",
    tokens.cluster,
    "--admin-token-file",
    tokens.admin,
    "--read-token-file",
    tokens.read,
  ];
  return ["--id", spec.id, "--listen", `127.0.0.1:${spec.port}`, "--data-dir", dataDir, ...files];
}

/** What the launcher spawns (from the repository root): the node stops when the launcher is gone. */
export function spawnCommand(runtime: NodeRuntime, spec: NodeSpec, tokens: TokenFiles): Command {
  const bin = join(REPO_ROOT, "node_modules", ".bin", runtime);
  const flags = nodeFlags(spec, spec.dataDir, tokens);
  return { bin, args: [...runtimeArgs(runtime), ...flags, "--exit-with-parent", "true"] };
}

/** `word` quoted for a POSIX shell when it needs quoting. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** `path` as printed for a person at the repository root: relative when inside it, else absolute. */
export function displayPath(path: string): string {
  const rel = relative(REPO_ROOT, path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}

/**
 * A shell command that restarts one node by hand from the repository root, with the tokens read
 * from their files: `npx bun src/main.ts --id n2 … --cluster-token-file data/cluster-token …`.
 */
export function restartCommand(runtime: NodeRuntime, spec: NodeSpec, tokens: TokenFiles): string {
  const shown = {
    cluster: displayPath(tokens.cluster),
    admin: displayPath(tokens.admin),
    read: displayPath(tokens.read),
  };
  const words = ["npx", runtime, ...runtimeArgs(runtime), ...nodeFlags(spec, displayPath(spec.dataDir), shown)];
  return words.map(shellQuote).join(" ");
}
