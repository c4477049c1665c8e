/**
 * The medians and spreads over runs of every measure, per system and phase, the floor, and the
 * targets of the performance issue checked against them (ratios ours/etcd and Deno/Bun).
 */
import type { PhaseResult } from "./phase_result.ts";
import { ratio, type Spread, spreadOf } from "./stats.ts";
import type { SystemRun } from "./system_run.ts";

/** The floor measured before each run: fdatasync of 128 bytes, and a keep-alive HTTP round trip per runtime. */
export interface FloorRun {
  readonly run: number;
  readonly fdatasyncP50Ms: number;
  /** By runtime (`bun`, `deno`): the p50 round trip to the trivial server on it. */
  readonly httpP50Ms: Readonly<Record<string, number>>;
}

/** The measures summarized per phase. */
export const MEASURES = [
  "perSecond",
  "p50Ms",
  "p99Ms",
  "nodeCpuUsPerOp",
  "generatorCpuUsPerOp",
  "leaderSyncsPerSecond",
  "allSyncsPerSecond",
  "writesPerLeaderSync",
  "leaderEntriesPerEntrySync",
  "followerEntriesPerEntrySync",
] as const satisfies ReadonlyArray<keyof PhaseResult>;

/** One of {@link MEASURES}. */
export type Measure = (typeof MEASURES)[number];

/** A system's figures over its runs. */
export interface SystemSummary {
  readonly system: string;
  readonly version: string;
  readonly runs: number;
  /** By phase id, by measure. */
  readonly phases: Readonly<Record<string, Readonly<Record<Measure, Spread>>>>;
  /** Resident memory of each node after its run, every node of every run, in MiB. */
  readonly rssMiB: Spread;
  readonly startupSeconds: Spread;
  /** Requests that failed, over every phase of every run. */
  readonly failed: number;
}

/** One target of the performance issue, checked. */
export interface TargetCheck {
  readonly name: string;
  /** The measured ratio or value (NaN: could not be measured in this run). */
  readonly value: number;
  /** Met when `value` is at least (`>=`) or at most (`<=`) `limit`. */
  readonly op: ">=" | "<=";
  readonly limit: number;
  /** Null when not measured. */
  readonly met: boolean | null;
}

/** Every system's summary, the floor's and the targets. */
export interface BenchSummary {
  readonly systems: readonly SystemSummary[];
  readonly floor: {
    readonly fdatasyncP50Ms: Spread;
    readonly httpP50Ms: Readonly<Record<string, Spread>>;
    /** fdatasync p50 + HTTP round trip p50, per runtime (per run, then over runs). */
    readonly floorMs: Readonly<Record<string, Spread>>;
  };
  readonly targets: readonly TargetCheck[];
}

/** The summary of the runs of one system. */
export function summarizeSystem(runs: readonly SystemRun[]): SystemSummary {
  if (runs.length === 0) throw new Error("a summary needs at least one run");
  const phaseIds = [...new Set(runs.flatMap((r) => r.phases.map((p) => p.id)))];
  const phases: Record<string, Record<Measure, Spread>> = {};
  for (const id of phaseIds) {
    const results = runs.flatMap((r) => r.phases.filter((p) => p.id === id));
    const row = {} as Record<Measure, Spread>;
    for (const m of MEASURES) row[m] = spreadOf(results.map((p) => p[m]));
    phases[id] = row;
  }
  return {
    system: runs[0].system,
    version: runs[0].version,
    runs: runs.length,
    phases,
    rssMiB: spreadOf(runs.flatMap((r) => r.rssKibEnd.map((k) => k / 1024))),
    startupSeconds: spreadOf(runs.map((r) => r.startupSeconds)),
    failed: runs.reduce((sum, r) => sum + r.phases.reduce((s, p) => s + p.failed, 0), 0),
  };
}

/** The floor over runs. */
function summarizeFloor(floors: readonly FloorRun[]): BenchSummary["floor"] {
  const runtimes = [...new Set(floors.flatMap((f) => Object.keys(f.httpP50Ms)))];
  const byRuntime = (value: (f: FloorRun, rt: string) => number) =>
    Object.fromEntries(runtimes.map((rt) => [rt, spreadOf(floors.map((f) => value(f, rt)))]));
  return {
    fdatasyncP50Ms: spreadOf(floors.map((f) => f.fdatasyncP50Ms)),
    httpP50Ms: byRuntime((f, rt) => f.httpP50Ms[rt] ?? Number.NaN),
    floorMs: byRuntime((f, rt) => f.fdatasyncP50Ms + (f.httpP50Ms[rt] ?? Number.NaN)),
  };
}

/** A checked target. */
function check(name: string, value: number, op: ">=" | "<=", limit: number): TargetCheck {
  const met = Number.isFinite(value) ? (op === ">=" ? value >= limit : value <= limit) : null;
  return { name, value, op, limit, met };
}

/** The median of `measure` in `phase` of `s`, NaN if absent. */
export function medianOf(s: SystemSummary | undefined, phase: string, measure: Measure): number {
  return s?.phases[phase]?.[measure]?.median ?? Number.NaN;
}

/** The targets for one of our systems against etcd and the floor. */
function targetsOf(ours: SystemSummary, etcd: SystemSummary | undefined, floor: BenchSummary["floor"]): TargetCheck[] {
  const vs = (phase: string, m: Measure) => ratio(medianOf(ours, phase, m), medianOf(etcd, phase, m));
  const runtime = ours.system.replace(/^ours-/, "");
  const n = ours.system;
  return [
    check(`${n}: writes/s at 256 in flight to the leader, ours/etcd`, vs("write-leader-256", "perSecond"), ">=", 3),
    check(`${n}: writes/s at 256 in flight spread, ours/etcd`, vs("write-spread-256", "perSecond"), ">=", 3),
    check(
      `${n}: sequential write p50 / floor`,
      ratio(medianOf(ours, "write-leader-1", "p50Ms"), floor.floorMs[runtime]?.median ?? Number.NaN),
      "<=",
      2,
    ),
    check(`${n}: linearizable reads/s at 256 to the leader, ours/etcd`, vs("read-leader-256", "perSecond"), ">=", 3),
    check(`${n}: linearizable reads/s at 256 spread, ours/etcd`, vs("read-spread-256", "perSecond"), ">=", 3),
    check(`${n}: CPU per write at 256 to the leader, ours/etcd`, vs("write-leader-256", "nodeCpuUsPerOp"), "<=", 1 / 3),
    check(`${n}: CPU per write at 256 spread, ours/etcd`, vs("write-spread-256", "nodeCpuUsPerOp"), "<=", 1 / 3),
  ];
}

/** The worst Deno/Bun ratio over every phase's throughput, p50, p99 and CPU per request, and RSS (Bun/Deno for throughput). */
export function worstDenoRatio(bun: SystemSummary, deno: SystemSummary): { value: number; where: string } {
  let worst = { value: Number.NaN, where: "" };
  const consider = (value: number, where: string) => {
    if (Number.isFinite(value) && !(value <= worst.value)) worst = { value, where };
  };
  for (const phase of Object.keys(bun.phases)) {
    consider(ratio(medianOf(bun, phase, "perSecond"), medianOf(deno, phase, "perSecond")), `${phase} throughput`);
    for (const m of ["p50Ms", "p99Ms", "nodeCpuUsPerOp"] as const) {
      consider(ratio(medianOf(deno, phase, m), medianOf(bun, phase, m)), `${phase} ${m}`);
    }
  }
  consider(ratio(deno.rssMiB.median, bun.rssMiB.median), "RSS");
  return worst;
}

/** Summarizes every run: per system (in the order first seen), the floor, and the targets. */
export function summarize(runs: readonly SystemRun[], floors: readonly FloorRun[]): BenchSummary {
  const names = [...new Set(runs.map((r) => r.system))];
  const systems = names.map((name) => summarizeSystem(runs.filter((r) => r.system === name)));
  const floor = summarizeFloor(floors);
  const etcd = systems.find((s) => s.system === "etcd");
  const targets = systems.filter((s) => s.system.startsWith("ours-")).flatMap((s) => targetsOf(s, etcd, floor));
  const bun = systems.find((s) => s.system === "ours-bun");
  const deno = systems.find((s) => s.system === "ours-deno");
  if (bun !== undefined && deno !== undefined) {
    const worst = worstDenoRatio(bun, deno);
    targets.push(check(`Deno within 1.5x of Bun on every measure (worst: ${worst.where})`, worst.value, "<=", 1.5));
  }
  return { systems, floor, targets };
}
