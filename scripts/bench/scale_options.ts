/** Command line of the scale benchmark (scripts/bench_scale.ts). */
import { z } from "zod";
import { type CommandLine, checkFlags, readFlags } from "../cli/command_line.ts";

/** What one scale benchmark run does. */
export interface ScaleOptions {
  /** Keys written (each once), in four equal quarters. */
  readonly keys: number;
  /** Writes in flight at once. */
  readonly inFlight: number;
  /** Bytes per value. */
  readonly valueBytes: number;
  /** Nodes in the cluster (1 or 3); writes go to the leader. */
  readonly nodes: 1 | 3;
  /** The writes stop after this many seconds even if keys are left. */
  readonly maxSeconds: number;
  /** The node runtime. */
  readonly runtime: "bun" | "deno";
  /** Where the JSON result goes. */
  readonly out: string;
  /** Where to copy the node's data directory after the writes (to profile a restart by hand); none by default. */
  readonly keepData?: string;
}

/** The `--help` text. */
export const SCALE_USAGE = `usage: bun scripts/bench_scale.ts [options]

Writes --keys distinct keys (values of --value-bytes bytes, --in-flight at once) to the leader of a
fresh 1- or 3-node cluster, then restarts the first node twice (SIGTERM, then kill -9). Prints the
writes per second of each quarter of the keys, the longest event-loop stall the node saw (its
raft_event_loop_stall_max_seconds metric), the node's RSS before and after each restart, the time
from restart until a linearizable read answers, and whether each target is met.

  --keys N            keys to write (default 1000000, at least 4000)
  --in-flight N       writes in flight (default 256)
  --value-bytes N     bytes per value (default 100)
  --nodes 1|3         cluster size (default 1)
  --max-seconds N     cap on the writing time in seconds (default 900)
  --runtime bun|deno  node runtime (default bun)
  --out FILE          JSON result (default .tmp/bench_scale/<time>.json)
  --keep-data DIR     copy the first node's data directory there once the writes are done
                      (after the SIGTERM), to profile a restart by hand
  -h, --help          this text`;

const ScaleOptionsSchema = z.object({
  keys: z.coerce.number().int().min(4000).max(100_000_000),
  inFlight: z.coerce.number().int().min(1).max(4096),
  valueBytes: z.coerce.number().int().min(1).max(1_000_000),
  nodes: z.enum(["1", "3"]).transform((n) => (n === "1" ? 1 : 3) as 1 | 3),
  maxSeconds: z.coerce.number().positive().max(86_400),
  runtime: z.enum(["bun", "deno"]),
  out: z.string().min(1).optional(),
  keepData: z.string().min(1).optional(),
});

/** The parsed command line: run, help, or a message. */
export type ScaleCommandLine = CommandLine<ScaleOptions>;

/** Parses `argv` (without the runtime and script); `now` names the default result file. */
export function parseScaleArgs(argv: readonly string[], now: Date): ScaleCommandLine {
  const flags = readFlags(argv, {
    keys: { type: "string", default: "1000000" },
    "in-flight": { type: "string", default: "256" },
    "value-bytes": { type: "string", default: "100" },
    nodes: { type: "string", default: "1" },
    "max-seconds": { type: "string", default: "900" },
    runtime: { type: "string", default: "bun" },
    out: { type: "string" },
    "keep-data": { type: "string" },
  });
  if (flags.kind !== "values") return flags;
  const values = flags.values;
  const checked = checkFlags(ScaleOptionsSchema, {
    keys: values.keys,
    inFlight: values["in-flight"],
    valueBytes: values["value-bytes"],
    nodes: values.nodes,
    maxSeconds: values["max-seconds"],
    runtime: values.runtime,
    out: values.out,
    keepData: values["keep-data"],
  });
  if (!checked.ok) return { kind: "invalid", message: checked.message };
  const o = checked.data;
  const out = o.out ?? `.tmp/bench_scale/${now.toISOString().replace(/[:.]/g, "-")}.json`;
  return { kind: "run", options: { ...o, out } };
}
