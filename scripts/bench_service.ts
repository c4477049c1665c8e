/**
 * Service benchmark: 3 of our node processes and, when etcd is installed, 3 etcd members on free
 * loopback ports, driven by one load generator (this process, HTTP keep-alive; etcd through its
 * JSON gateway). Writes at 1, 16, 64 and 256 in flight to the leader and spread over all nodes,
 * linearizable reads at 1 and 256 both ways, each phase bounded by a request count and a time cap;
 * the systems alternate run by run. Measures throughput, latency, CPU time of the node processes
 * per request, fsyncs and batch sizes, RSS, and the floor (fdatasync + HTTP round trip) in the same
 * run; prints medians, min–max and ratios, and writes every figure to a JSON file.
 *
 * Usage: bun scripts/bench_service.ts [--runs 3] [--runtime bun|deno|both] [--no-etcd] [--out file.json]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { arch, cpus, release, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import type { NodeRuntime } from "../tests/helpers/process_cluster.ts";
import { ETCD_INSTALL_HINT, etcdVersion, startEtcdSystem } from "./bench/etcd_system.ts";
import { fdatasyncFloor, httpFloor } from "./bench/floor.ts";
import { type BenchOptions, parseBenchArgs, USAGE } from "./bench/options.ts";
import { startOurSystem } from "./bench/our_system.ts";
import { PHASES } from "./bench/phases.ts";
import { clockTicksPerSecond } from "./bench/proc_stat.ts";
import { endProgress, progress } from "./bench/progress.ts";
import { reportText } from "./bench/report_text.ts";
import { type FloorRun, summarize } from "./bench/summary.ts";
import type { BenchSystem } from "./bench/system.ts";
import { runSystem, type SystemRun } from "./bench/system_run.ts";

/** A system to measure: its name and how to start it in a folder. */
interface Contender {
  readonly name: string;
  readonly start: (dir: string) => Promise<BenchSystem>;
}

/** Our runtimes to measure. */
function runtimesOf(options: BenchOptions): NodeRuntime[] {
  return options.runtime === "both" ? ["bun", "deno"] : [options.runtime];
}

/** The systems in the order each run measures them; etcd only when it is installed (else says how). */
function contenders(options: BenchOptions): Contender[] {
  const list: Contender[] = runtimesOf(options).map((rt) => ({
    name: `ours-${rt}`,
    start: (dir) => startOurSystem(rt, dir),
  }));
  if (!options.etcd) return list;
  if (etcdVersion(options.etcdBin) === undefined) {
    console.error(
      `etcd is not installed (${options.etcdBin} does not run): measuring our nodes only; ${ETCD_INSTALL_HINT}`,
    );
    return list;
  }
  list.push({ name: "etcd", start: (dir) => startEtcdSystem(options.etcdBin, dir) });
  return list;
}

/** Measures the floor in `dir` (the nodes' disk) and against a trivial server on each runtime. */
async function measureFloor(run: number, dir: string, runtimes: readonly NodeRuntime[]): Promise<FloorRun> {
  progress(`run ${run}: floor (fdatasync loop, HTTP round trips)`);
  const fdatasync = fdatasyncFloor(dir);
  const httpP50Ms: Record<string, number> = {};
  for (const rt of runtimes) httpP50Ms[rt] = (await httpFloor(rt)).p50Ms;
  return { run, fdatasyncP50Ms: fdatasync.p50Ms, httpP50Ms };
}

/** Runs every system `options.runs` times, alternating, with the floor before each round. */
async function measure(options: BenchOptions, dir: string): Promise<{ runs: SystemRun[]; floors: FloorRun[] }> {
  const systems = contenders(options);
  const ticksPerSecond = clockTicksPerSecond();
  const runs: SystemRun[] = [];
  const floors: FloorRun[] = [];
  for (let run = 1; run <= options.runs; run++) {
    floors.push(await measureFloor(run, dir, runtimesOf(options)));
    for (const system of systems) {
      const settings = { ...options, run, runs: options.runs, ticksPerSecond };
      runs.push(await runSystem(system.name, system.start, dir, settings));
    }
  }
  endProgress();
  return { runs, floors };
}

/** The machine, for the result file. */
function machine(): Record<string, unknown> {
  const cores = cpus();
  return { cpus: cores.length, cpuModel: cores[0]?.model ?? "", kernel: release(), arch: arch(), bun: Bun.version };
}

async function main(): Promise<number> {
  const line = parseBenchArgs(process.argv.slice(2), new Date());
  if (line.kind === "help") {
    console.log(USAGE);
    return 0;
  }
  if (line.kind === "invalid") {
    console.error(`${line.message}\n\n${USAGE}`);
    return 2;
  }
  const options = line.options;
  const dir = mkdtempSync(join(tmpdir(), "raftbare-bench-"));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.once("exit", removeDir);
  const startedAt = new Date().toISOString();
  const { runs, floors } = await measure(options, dir);
  const summary = summarize(runs, floors);
  const phases = PHASES.map((p) => p.id);
  console.log(reportText(summary, phases));
  mkdirSync(dirname(options.out), { recursive: true });
  const result = {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: machine(),
    options,
    summary,
    floors,
    runs,
  };
  writeFileSync(options.out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\nEvery figure: ${options.out}`);
  return 0;
}

// Stop on Ctrl-C or SIGTERM through process exit, so the exit hooks kill every node started here by pid.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

main().then(
  (code) => process.exit(code),
  (error) => {
    endProgress();
    console.error(`bench_service failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
