/**
 * One run of one system: start it fresh, write every key once and check it reads back through
 * every node (unmeasured warm-up), run every phase with the node counters read around it, note
 * each node's resident memory after every phase, and stop it.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { runLoad } from "./load.ts";
import { type PhaseReadings, type PhaseResult, phaseResult } from "./phase_result.ts";
import { keyIndexOf, keyNames, nodeOf, PHASES, type Phase, writtenValue } from "./phases.ts";
import { cpuTicksOf, rssKibOf } from "./proc_stat.ts";
import { progress } from "./progress.ts";
import type { BenchSystem } from "./system.ts";

/** What a run is given. */
export interface RunSettings {
  /** 1-based run number, and how many there are, for the progress line. */
  readonly run: number;
  readonly runs: number;
  readonly requests: number;
  readonly seconds: number;
  readonly valueBytes: number;
  readonly keys: number;
  readonly ticksPerSecond: number;
}

/** What one run of one system measured. */
export interface SystemRun {
  readonly system: string;
  readonly version: string;
  readonly run: number;
  /** From spawning the processes until they agreed on a leader. */
  readonly startupSeconds: number;
  readonly phases: readonly PhaseResult[];
  /** Each node's resident memory after the last phase, and the most seen after any phase, in KiB. */
  readonly rssKibEnd: readonly number[];
  readonly rssKibMax: readonly number[];
}

/** Pause before each phase, so work left over from the one before is not counted in it. */
const SETTLE_MS = 300;

/**
 * Reads the counters of every node of `system`. The CPU counters are read on the phase's side of
 * the /metrics scrapes (after them before a phase, before them after it), so scraping is not counted.
 */
async function readings(system: BenchSystem, when: "before" | "after"): Promise<PhaseReadings> {
  const cpuNow = () => {
    const cpu = process.cpuUsage();
    return { nodeTicks: system.pids.map(cpuTicksOf), generatorCpuUs: cpu.user + cpu.system };
  };
  const early = when === "after" ? cpuNow() : undefined;
  const syncs = await Promise.all(system.ports.map((_, i) => system.syncCounters(i)));
  return { ...(early ?? cpuNow()), syncs };
}

/** Writes every key once through the leader and checks that each node reads a few of them back. */
async function warmUp(system: BenchSystem, settings: RunSettings, keys: readonly string[]): Promise<void> {
  const leader = await system.leaderIndex();
  const value = (i: number) => writtenValue(i, settings.valueBytes);
  const plan = { maxSeconds: 60, ports: system.ports, portIndex: () => leader };
  const written = await runLoad({
    ...plan,
    inFlight: 16,
    maxRequests: keys.length,
    request: (i) => system.writeRequest(keys[i], value(i)),
  });
  if (written.failed > 0) throw new Error(`${system.name}: a warm-up write failed: ${written.firstFailure}`);
  for (let node = 0; node < system.ports.length; node++) {
    for (const i of [0, keys.length >> 1, keys.length - 1]) {
      const read = await system.readValue(node, keys[i]);
      if (read !== value(i))
        throw new Error(`${system.name}: node ${node} read ${keys[i]} as ${read}, not ${value(i)}`);
    }
  }
  const reads = await runLoad({
    ...plan,
    inFlight: 16,
    maxRequests: 2000,
    maxSeconds: 2,
    portIndex: (w, k) => nodeOf("spread", leader, system.ports.length, w, k),
    request: (i) => system.readRequest(keys[keyIndexOf("read", i, keys.length)]),
  });
  if (reads.failed > 0) throw new Error(`${system.name}: a warm-up read failed: ${reads.firstFailure}`);
}

/** Runs `phase` once; `base` numbers its writes after every write sent before it in this run. */
async function runPhase(
  system: BenchSystem,
  phase: Phase,
  settings: RunSettings,
  keys: readonly string[],
  base: number,
): Promise<PhaseResult> {
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const leader = await system.leaderIndex();
  const before = await readings(system, "before");
  const load = await runLoad({
    inFlight: phase.inFlight,
    maxRequests: settings.requests,
    maxSeconds: settings.seconds,
    ports: system.ports,
    portIndex: (w, k) => nodeOf(phase.target, leader, system.ports.length, w, k),
    request: (i) => {
      const key = keys[keyIndexOf(phase.op, base + i, keys.length)];
      return phase.op === "write"
        ? system.writeRequest(key, writtenValue(base + i, settings.valueBytes))
        : system.readRequest(key);
    },
  });
  const after = await readings(system, "after");
  return phaseResult(phase, leader, load, { before, after, ticksPerSecond: settings.ticksPerSecond });
}

/** Starts a system with `start` in a fresh folder under `dir`, runs every phase on it and stops it. */
export async function runSystem(
  name: string,
  start: (dir: string) => Promise<BenchSystem>,
  dir: string,
  settings: RunSettings,
): Promise<SystemRun> {
  const runDir = join(dir, `${name}-run${settings.run}`);
  mkdirSync(runDir, { recursive: true });
  const label = `run ${settings.run}/${settings.runs} ${name}`;
  progress(`${label}: starting 3 nodes`);
  const t0 = performance.now();
  const system = await start(runDir);
  const startupSeconds = (performance.now() - t0) / 1000;
  try {
    const keys = keyNames(settings.keys);
    progress(`${label}: warm-up (${keys.length} keys written, read back through every node)`);
    await warmUp(system, settings, keys);
    const phases: PhaseResult[] = [];
    const rssKibMax = system.pids.map(() => 0);
    let rssKibEnd: number[] = [];
    let base = keys.length;
    for (const phase of PHASES) {
      progress(`${label}: ${phase.id} …`);
      const result = await runPhase(system, phase, settings, keys, base);
      if (phase.op === "write") base += result.sent;
      phases.push(result);
      rssKibEnd = system.pids.map((pid) => rssKibOf(pid) ?? Number.NaN);
      rssKibEnd.forEach((kib, i) => {
        rssKibMax[i] = Math.max(rssKibMax[i], kib);
      });
      const failed = result.failed > 0 ? `, ${result.failed} failed (${result.firstFailure})` : "";
      progress(
        `${label}: ${phase.id} ${Math.round(result.perSecond)}/s, p50 ${result.p50Ms.toFixed(2)} ms, ` +
          `${result.ok} ok in ${result.seconds.toFixed(1)} s${failed}`,
      );
    }
    return { system: name, version: system.version, run: settings.run, startupSeconds, phases, rssKibEnd, rssKibMax };
  } finally {
    await system.stop();
  }
}
