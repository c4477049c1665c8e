/** The service benchmark's command line, validated with Zod like the node's own flags. */
import { z } from "zod";
import { type CommandLine, checkFlags, readFlags } from "../cli/command_line.ts";

/** Which runtime our nodes run on: one of them, or both measured in the same run. */
export type BenchRuntime = "bun" | "deno" | "both";

/** What a benchmark run was asked to do. */
export interface BenchOptions {
  /** Runs of each system (the systems alternate run by run). */
  readonly runs: number;
  readonly runtime: BenchRuntime;
  /** False: measure our nodes only, even when etcd is installed. */
  readonly etcd: boolean;
  /** The etcd executable (found on PATH by default). */
  readonly etcdBin: string;
  /** Most requests one phase sends. */
  readonly requests: number;
  /** Most seconds one phase sends for (requests in flight then still finish). */
  readonly seconds: number;
  /** Bytes of each written value. */
  readonly valueBytes: number;
  /** Distinct keys written and read. */
  readonly keys: number;
  /** The JSON result file. */
  readonly out: string;
}

/** The usage text. */
export const USAGE = `usage: bun scripts/bench_service.ts [options]

Starts 3 of our node processes and, when etcd is installed, 3 etcd members on free loopback ports,
and drives both from this process over HTTP keep-alive: writes at 1, 16, 64 and 256 in flight to
the leader and spread over all nodes, linearizable reads at 1 and 256 in flight both ways. The
systems alternate run by run; the table shows medians, min..max and the ratio ours/etcd.

options:
  --runs <n>             runs of each system (default 3)
  --runtime bun|deno|both  runtime of our nodes; both measures each and prints Deno/Bun (default bun)
  --no-etcd              measure our nodes only
  --etcd-bin <path>      the etcd executable (default: etcd on PATH)
  --requests <n>         most requests per phase (default 20000)
  --seconds <s>          most seconds per phase (default 4)
  --value-bytes <n>      bytes per written value (default 100)
  --keys <n>             distinct keys written and read (default 1000)
  --out <file>           the JSON result file (default .tmp/bench_service/<time>.json)
  -h, --help             print this help
etcd: Debian's etcd-server package (apt-get install -y etcd-server).`;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const BenchOptionsSchema = z.object({
  runs: int(1, 100),
  runtime: z.enum(["bun", "deno", "both"]),
  etcdBin: z.string().min(1),
  requests: int(10, 10_000_000),
  seconds: z.coerce.number().min(0.1).max(3600),
  valueBytes: int(1, 1_000_000),
  keys: int(1, 1_000_000),
  out: z.string().min(1).optional(),
});

/** The parsed command line: run, help, or a message. */
export type BenchCommandLine = CommandLine<BenchOptions>;

/** Parses `argv` (without the runtime and script); `now` names the default result file. */
export function parseBenchArgs(argv: readonly string[], now: Date): BenchCommandLine {
  const flags = readFlags(argv, {
    runs: { type: "string", default: "3" },
    runtime: { type: "string", default: "bun" },
    "no-etcd": { type: "boolean", default: false },
    "etcd-bin": { type: "string", default: "etcd" },
    requests: { type: "string", default: "20000" },
    seconds: { type: "string", default: "4" },
    "value-bytes": { type: "string", default: "100" },
    keys: { type: "string", default: "1000" },
    out: { type: "string" },
  });
  if (flags.kind !== "values") return flags;
  const values = flags.values;
  const checked = checkFlags(BenchOptionsSchema, {
    runs: values.runs,
    runtime: values.runtime,
    etcdBin: values["etcd-bin"],
    requests: values.requests,
    seconds: values.seconds,
    valueBytes: values["value-bytes"],
    keys: values.keys,
    out: values.out,
  });
  if (!checked.ok) return { kind: "invalid", message: checked.message };
  const o = checked.data;
  const out = o.out ?? `.tmp/bench_service/${now.toISOString().replace(/[:.]/g, "-")}.json`;
  return { kind: "run", options: { ...o, etcd: values["no-etcd"] !== true, out } };
}
