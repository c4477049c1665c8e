/** The fault run's command line, validated with Zod like the node's own flags. */
import { z } from "zod";
import { type CommandLine, checkFlags, kebabFlag, readFlags } from "../cli/command_line.ts";
import { FAULT_NAMES } from "./fault_names.ts";

/** The runtime of the node processes: all Bun, all Deno, or alternating. */
export type RunRuntime = "bun" | "deno" | "mixed";

/** What a fault run was asked to do. */
export interface ChaosOptions {
  /** 3 or 5 voters. */
  readonly nodes: 3 | 5;
  readonly runtime: RunRuntime;
  /** The faults the schedule picks from (never empty; `mixed` is every one). */
  readonly faults: readonly string[];
  /** How long clients run with faults, in seconds. */
  readonly durationS: number;
  /** Seed of every random choice of the run. */
  readonly seed: number;
  /** Where the history, the fault log, the summary and the node output are written. */
  readonly out: string;
  /** Concurrent clients. */
  readonly clients: number;
  /** Operations per key before the clients move to the next key. */
  readonly opsPerKey: number;
  /** Writes with an unknown outcome after which a key retires early. */
  readonly maxUnknownPerKey: number;
  /** The nodes' base election timeout (ms). */
  readonly electionTimeoutMs: number;
  /** The nodes' snapshot interval (applied entries): small, so snapshots and their transfer happen. */
  readonly snapshotEvery: number;
  /** How long the healed cluster may take to agree on a leader (ms). */
  readonly leaderWithinMs: number;
}

/** The usage text. */
export const USAGE = `usage: bun scripts/chaos.ts [options]

Starts real node processes on 127.0.0.1 behind one TCP relay per directed link, runs clients
against them while faults are injected on a seeded schedule, heals, and checks the history.

options:
  --nodes 3|5                 voters (default 3)
  --runtime bun|deno|mixed    node runtime; mixed alternates Bun and Deno (default bun)
  --faults name,name|mixed    faults to pick from (default mixed); names:
                              ${FAULT_NAMES.join(", ")}
  --duration <seconds>        how long the faults and clients run (default 60)
  --seed <integer>            seed of every random choice (default: drawn and printed)
  --out <dir>                 output folder (default .tmp/chaos/<seed>)
  --clients <n>               concurrent clients (default 10)
  --ops-per-key <n>           operations per key before moving on (default 200)
  --max-unknown-per-key <n>   a key also retires after this many unknown writes (default 5)
  --election-timeout-ms <ms>  the nodes' base election timeout (default 500)
  --snapshot-every <n>        the nodes' snapshot interval (default 300)
  --leader-within-ms <ms>     bound on electing a leader after healing (default 60000)
  -h, --help                  print this help
With power-loss, disk-full or disk-stall among the faults (mixed too) every node runs with the
storage fault hook on (RAFT_TEST_STORAGE_FAULTS): unflushed writes are lost at every kill.`;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const FaultList = z.string().transform((text, ctx) => {
  const names = text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (names.length === 1 && names[0] === "mixed") return [...FAULT_NAMES];
  for (const name of names) {
    if (!(FAULT_NAMES as readonly string[]).includes(name)) {
      ctx.addIssue({ code: "custom", message: `unknown fault '${name}' (known: ${FAULT_NAMES.join(", ")}, or mixed)` });
    }
  }
  if (names.length === 0) ctx.addIssue({ code: "custom", message: "name at least one fault, or mixed" });
  return [...new Set(names)];
});

const ChaosOptionsSchema = z.object({
  nodes: z.enum(["3", "5"]).transform((n) => Number(n) as 3 | 5),
  runtime: z.enum(["bun", "deno", "mixed"]),
  faults: FaultList,
  durationS: int(1, 24 * 3600),
  seed: int(0, 2 ** 32 - 1),
  out: z.string().min(1).optional(),
  clients: int(1, 100),
  opsPerKey: int(10, 100_000),
  maxUnknownPerKey: int(1, 1000),
  electionTimeoutMs: int(100, 10_000),
  snapshotEvery: int(2, 1_000_000),
  leaderWithinMs: int(1000, 600_000),
});

/** The parsed command line: run, help, or a message. */
export type ChaosCommandLine = CommandLine<ChaosOptions>;

/** Parses `argv` (without the runtime and script); `randomSeed` is used when no `--seed` is given. */
export function parseChaosArgs(argv: readonly string[], randomSeed: number): ChaosCommandLine {
  const flags = readFlags(argv, {
    nodes: { type: "string", default: "3" },
    runtime: { type: "string", default: "bun" },
    faults: { type: "string", default: "mixed" },
    duration: { type: "string", default: "60" },
    seed: { type: "string" },
    out: { type: "string" },
    clients: { type: "string", default: "10" },
    "ops-per-key": { type: "string", default: "200" },
    "max-unknown-per-key": { type: "string", default: "5" },
    "election-timeout-ms": { type: "string", default: "500" },
    "snapshot-every": { type: "string", default: "300" },
    "leader-within-ms": { type: "string", default: "60000" },
  });
  if (flags.kind !== "values") return flags;
  const values = flags.values;
  const checked = checkFlags(
    ChaosOptionsSchema,
    {
      nodes: values.nodes,
      runtime: values.runtime,
      faults: values.faults,
      durationS: values.duration,
      seed: values.seed ?? String(randomSeed),
      out: values.out,
      clients: values.clients,
      opsPerKey: values["ops-per-key"],
      maxUnknownPerKey: values["max-unknown-per-key"],
      electionTimeoutMs: values["election-timeout-ms"],
      snapshotEvery: values["snapshot-every"],
      leaderWithinMs: values["leader-within-ms"],
    },
    flagOf,
  );
  if (!checked.ok) return { kind: "invalid", message: checked.message };
  const o = checked.data;
  return { kind: "run", options: { ...o, out: o.out ?? `.tmp/chaos/${o.seed}` } };
}

/** `durationS` → `duration`, `opsPerKey` → `ops-per-key`. */
function flagOf(key: string): string {
  if (key === "durationS") return "duration";
  return kebabFlag(key);
}
