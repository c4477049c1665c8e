/** The launcher's command line: strict flags, their defaults and the usage text. */
import { resolve } from "node:path";
import { parseArgs } from "node:util";

/** The runtime the node processes run on. */
export type NodeRuntime = "bun" | "deno";

/** What the launcher was asked to start. */
export interface ClusterOptions {
  /** How many nodes (n1 … n<nodes>), 1..9. */
  readonly nodes: number;
  /** n1 listens on 127.0.0.1:basePort, n2 on basePort + 1, … */
  readonly basePort: number;
  /** Absolute directory holding `cluster-token` and one data directory per node. */
  readonly dataDir: string;
  /** The runtime of the node processes. */
  readonly runtime: NodeRuntime;
}

/** The parsed command line: run, print the usage, or reject with a message. */
export type CommandLine =
  | { readonly kind: "run"; readonly options: ClusterOptions }
  | { readonly kind: "help" }
  | { readonly kind: "invalid"; readonly message: string };

/** The usage text printed by `--help` and after a command-line error. */
export const USAGE = `usage: npm start -- [options]   (or: npx bun scripts/local_cluster.ts [options])

Starts a local cluster of node processes on 127.0.0.1, bootstraps it at the first start and keeps
running until Ctrl-C. A node that dies is reported with the command that restarts it.

options:
  --nodes <1..9>       how many nodes (default 3)
  --base-port <port>   the port of n1; n2 listens on the next port, and so on (default 7001)
  --data-dir <dir>     where the nodes keep their data and the cluster token (default data)
  --runtime bun|deno   the runtime of the node processes (default bun)
  -h, --help           print this help and exit`;

const FLAGS = {
  nodes: { type: "string", default: "3" },
  "base-port": { type: "string", default: "7001" },
  "data-dir": { type: "string", default: "data" },
  runtime: { type: "string", default: "bun" },
  help: { type: "boolean", short: "h", default: false },
} as const;

/** A whole number in min..max written in decimal digits, else undefined. */
function integerIn(text: string, min: number, max: number): number | undefined {
  if (!/^\d{1,6}$/.test(text)) return undefined;
  const value = Number(text);
  return value >= min && value <= max ? value : undefined;
}

/** Checks the flag values; a message naming the flag, or the options. */
function validate(values: Record<"nodes" | "base-port" | "data-dir" | "runtime", string>): CommandLine {
  const nodes = integerIn(values.nodes, 1, 9);
  if (nodes === undefined)
    return { kind: "invalid", message: `--nodes must be a whole number 1..9, got '${values.nodes}'` };
  const lastBase = 65535 - (nodes - 1);
  const basePort = integerIn(values["base-port"], 1024, lastBase);
  if (basePort === undefined) {
    const message = `--base-port must be a port 1024..${lastBase} (for ${nodes} nodes), got '${values["base-port"]}'`;
    return { kind: "invalid", message };
  }
  const runtime = values.runtime;
  if (runtime !== "bun" && runtime !== "deno") {
    return { kind: "invalid", message: `--runtime must be bun or deno, got '${runtime}'` };
  }
  if (values["data-dir"].trim() === "") return { kind: "invalid", message: "--data-dir must not be empty" };
  return { kind: "run", options: { nodes, basePort, dataDir: resolve(values["data-dir"]), runtime } };
}

/** Parses the launcher's arguments (without the runtime and script); unknown flags are errors. */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  try {
    const { values } = parseArgs({ args: [...argv], options: FLAGS, strict: true, allowPositionals: false });
    return values.help ? { kind: "help" } : validate(values);
  } catch (error) {
    return { kind: "invalid", message: error instanceof Error ? error.message : String(error) };
  }
}
