/**
 * Core benchmark: the I/O-free core against raftbare 0.1.1, both measured in this run.
 *
 * Three nodes in one process, an in-memory log per node, messages delivered by function call
 * (scripts/bench/core_cluster.ts; the Rust side is scripts/bench_core_ref, the same harness around
 * raftbare). Mode (a) proposes one command and runs until it commits, repeatedly; mode (b)
 * proposes a batch of commands (1000 by default), then delivers. Our payloads are 100 bytes;
 * raftbare's entries carry none. The runs interleave (ours, ours with the features beyond
 * raftbare on, raftbare), so machine noise falls on every side alike; the report gives medians,
 * min..max and the ratio ours/raftbare, against the targets of 1.5× (a) and 1.2× (b).
 *
 * Usage: bun scripts/bench_core.ts [--commands N] [--batch B] [--runs R] [--raftbare-src DIR]
 *
 * The reference is built with cargo from crates.io; without access to crates.io, pass a
 * checkout of raftbare at tag 0.1.1 (`git clone -b 0.1.1 https://github.com/sile/raftbare`)
 * with --raftbare-src or RAFTBARE_SRC. If it cannot be built, the benchmark says why and
 * compares against the figures documented for this machine kind instead.
 */
import type { RaftNodeOptions } from "../packages/core/src/mod.ts";
import { runCoreMode } from "./bench/core_cluster.ts";
import { buildReference, DOCUMENTED_US, runReference } from "./bench/core_reference.ts";

/** The features beyond raftbare, on (limits generous enough never to refuse here). */
const FEATURES: RaftNodeOptions = {
  preVote: true,
  checkQuorum: true,
  electionTicks: 10,
  maxInflightMessages: 256,
  maxUncommittedBytes: 256 * 1024 * 1024,
};

/** The targets: ours / raftbare 0.1.1. */
const TARGET = { single: 1.5, batch: 1.2 } as const;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function count(name: string, fallback: number): number {
  const value = Number(arg(name) ?? fallback);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${name} takes a positive whole number`);
  return value;
}

function figure(us: readonly number[]): string {
  const perSecond = Math.round(1e6 / median(us)).toLocaleString("en-US");
  const range = `${Math.min(...us).toFixed(3)}..${Math.max(...us).toFixed(3)}`;
  return `${median(us).toFixed(3)} µs/command [${range}] (${perSecond}/s)`;
}

/** One mode's lines: ours, ours with the features, raftbare, and the ratios. */
function report(label: string, ours: number[], oursOn: number[], ref: number[] | number, target: number): void {
  const refUs = typeof ref === "number" ? ref : median(ref);
  const refText = typeof ref === "number" ? `${ref} µs/command (documented, NOT measured in this run)` : figure(ref);
  const ratio = median(ours) / refUs;
  const ratioOn = median(oursOn) / refUs;
  // The fastest run of each side is the least disturbed by other work on a shared machine.
  const best = typeof ref === "number" ? "" : `; best runs: ${(Math.min(...ours) / Math.min(...ref)).toFixed(2)}×`;
  console.log(`${label}`);
  console.log(`  raftbare 0.1.1        ${refText}`);
  console.log(
    `  ours                  ${figure(ours)}  ${ratio.toFixed(2)}× raftbare; target ≤ ${target}×: ${ratio <= target ? "met" : "NOT met"}${best}`,
  );
  console.log(
    `  ours, features on     ${figure(oursOn)}  ${ratioOn.toFixed(2)}× raftbare, ${(median(oursOn) / median(ours)).toFixed(2)}× ours`,
  );
}

function main(): void {
  const commands = count("commands", 200_000);
  const batch = count("batch", 1000);
  const runs = count("runs", 5);
  const runtime = typeof Bun !== "undefined" ? `bun ${Bun.version}` : "another runtime";
  const build = buildReference(arg("raftbare-src") ?? process.env.RAFTBARE_SRC);
  console.log(`bench_core on ${runtime}: ${commands} commands per run, ${runs} runs, batches of ${batch}`);
  if (build.ok) {
    console.log(`reference: ${build.source}, release build, run in this session`);
  } else {
    console.log(`reference NOT built: ${build.why}`);
    console.log(
      "  (offline? pass --raftbare-src <checkout of raftbare at tag 0.1.1>); comparing with documented figures",
    );
  }
  runCoreMode(20_000, 1); // Warm-up.
  runCoreMode(200_000, batch);
  runCoreMode(20_000, 1, FEATURES);
  runCoreMode(200_000, batch, FEATURES);
  const ours = { single: [] as number[], batch: [] as number[] };
  const oursOn = { single: [] as number[], batch: [] as number[] };
  const ref = { single: [] as number[], batch: [] as number[] };
  for (let r = 0; r < runs; r++) {
    // Interleaved, so that machine noise falls on every variant alike.
    ours.single.push(runCoreMode(commands, 1));
    oursOn.single.push(runCoreMode(commands, 1, FEATURES));
    if (build.ok) ref.single.push(runReference(build.binary, commands, 1));
    ours.batch.push(runCoreMode(commands, batch));
    oursOn.batch.push(runCoreMode(commands, batch, FEATURES));
    if (build.ok) ref.batch.push(runReference(build.binary, commands, batch));
  }
  report(
    "(a) one command at a time",
    ours.single,
    oursOn.single,
    build.ok ? ref.single : DOCUMENTED_US.single,
    TARGET.single,
  );
  report(`(b) batches of ${batch}`, ours.batch, oursOn.batch, build.ok ? ref.batch : DOCUMENTED_US.batch, TARGET.batch);
}

main();
