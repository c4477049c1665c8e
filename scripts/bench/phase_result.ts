/**
 * What one phase of one run measured, and the readings it is computed from: requests and
 * latencies from the load generator, CPU ticks of every node process, each node's sync counters,
 * and the generator's own CPU time, read just before and just after the phase.
 */
import type { LoadResult } from "./load.ts";
import type { Phase } from "./phases.ts";
import { percentile } from "./stats.ts";
import { entriesPerSync, type SyncCounters, syncDelta } from "./sync_counters.ts";

/** Counters read just before or just after a phase. */
export interface PhaseReadings {
  /** CPU clock ticks of each node process. */
  readonly nodeTicks: readonly number[];
  /** Sync counters of each node (same order). */
  readonly syncs: readonly SyncCounters[];
  /** The load generator's CPU time (user + system), in microseconds. */
  readonly generatorCpuUs: number;
}

/** The figures of one phase. */
export interface PhaseResult {
  readonly id: string;
  readonly op: Phase["op"];
  readonly target: Phase["target"];
  readonly inFlight: number;
  /** The node index of the leader during the phase. */
  readonly leader: number;
  readonly sent: number;
  /** Requests answered 2xx: acknowledged writes, or reads served. */
  readonly ok: number;
  readonly failed: number;
  readonly firstFailure: string | null;
  readonly seconds: number;
  /** Acknowledged requests per second. */
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** CPU time of every node process together per acknowledged request, in microseconds. */
  readonly nodeCpuUsPerOp: number;
  /** The CPU time of each node process during the phase, in milliseconds. */
  readonly nodeCpuMs: readonly number[];
  /** The load generator's CPU time per request sent, in microseconds. */
  readonly generatorCpuUsPerOp: number;
  /** Log fsyncs per second on the leader, and on every node together. */
  readonly leaderSyncsPerSecond: number;
  readonly allSyncsPerSecond: number;
  /** Acknowledged writes per leader fsync (NaN for reads). */
  readonly writesPerLeaderSync: number;
  /** Entries per log sync on the leader, over all its syncs and over those with entries (NaN where the system does not say). */
  readonly leaderEntriesPerSync: number;
  readonly leaderEntriesPerEntrySync: number;
  /** Entries per log sync on the followers, over the syncs with entries. */
  readonly followerEntriesPerEntrySync: number;
}

/** The figures of `phase` from its load result and the readings around it (`ticksPerSecond`: the clock tick rate). */
export function phaseResult(
  phase: Phase,
  leader: number,
  load: LoadResult,
  readings: { readonly before: PhaseReadings; readonly after: PhaseReadings; readonly ticksPerSecond: number },
): PhaseResult {
  const { before, after, ticksPerSecond } = readings;
  const nodeCpuMs = after.nodeTicks.map((t, i) => ((t - before.nodeTicks[i]) * 1000) / ticksPerSecond);
  const deltas = after.syncs.map((s, i) => syncDelta(before.syncs[i], s));
  const allSyncs = deltas.reduce((sum, d) => sum + d.syncs, 0);
  const followers = deltas.filter((_, i) => i !== leader);
  const nodeCpuTotalMs = nodeCpuMs.reduce((a, b) => a + b, 0);
  return {
    id: phase.id,
    op: phase.op,
    target: phase.target,
    inFlight: phase.inFlight,
    leader,
    sent: load.sent,
    ok: load.ok,
    failed: load.failed,
    firstFailure: load.firstFailure ?? null,
    seconds: load.seconds,
    perSecond: load.ok / load.seconds,
    p50Ms: percentile(load.latenciesMs, 0.5),
    p99Ms: percentile(load.latenciesMs, 0.99),
    nodeCpuUsPerOp: load.ok > 0 ? (nodeCpuTotalMs * 1000) / load.ok : Number.NaN,
    nodeCpuMs,
    generatorCpuUsPerOp: load.sent > 0 ? (after.generatorCpuUs - before.generatorCpuUs) / load.sent : Number.NaN,
    leaderSyncsPerSecond: deltas[leader].syncs / load.seconds,
    allSyncsPerSecond: allSyncs / load.seconds,
    writesPerLeaderSync: phase.op === "write" && deltas[leader].syncs > 0 ? load.ok / deltas[leader].syncs : Number.NaN,
    leaderEntriesPerSync: entriesPerSync([deltas[leader]], false),
    leaderEntriesPerEntrySync: entriesPerSync([deltas[leader]], true),
    followerEntriesPerEntrySync: entriesPerSync(followers, true),
  };
}
