/**
 * Runs one seeded simulation and reports the outcome: options first, then either a summary or
 * the failure with the command that replays it.
 */
import { formatOptions, optionsFromSeed, replayCommand, type SimArgs } from "./options.ts";
import { Simulation } from "./simulation.ts";
import {
  formatOutcome,
  runStableLeader,
  StabilityFailure,
  type StableLeaderOutcome,
  stableLeaderOptions,
} from "./stable_leader.ts";

/** The outcome of one run. */
export interface SimResult {
  readonly args: SimArgs;
  readonly ok: boolean;
  /** Printed lines: the options, then a summary or the failure and how to replay it. */
  readonly report: string[];
  /** The failure message, if the run failed. */
  readonly error?: string;
  /** Elections won in the run (distinct terms with a leader), up to its end or failure. */
  readonly elections: number;
  /** The highest term any node reached. */
  readonly maxTerm: number;
  /** What the stable-leader scenario saw, when it ran and got as far as the cut. */
  readonly stableLeader?: StableLeaderOutcome;
}

function summary(sim: Simulation): string {
  const s = sim.stats;
  const n = sim.network.stats;
  const c = sim.clients.stats;
  const leader = sim.cluster.leader();
  return [
    `ok steps=${sim.steps} time=${sim.now}`,
    `committed=${sim.checker.maxCommitted} applied-commands=${sim.checker.appliedCount}`,
    `writes=${c.writes} acked=${c.acked} definite=${c.definite} overloaded=${c.overloaded} unknown=${c.unknown} reads=${c.reads} read-ok=${c.readsOk}`,
    `term=${leader?.raft.currentTerm ?? "-"} leader=${leader?.id ?? "-"}`,
    `elections=${sim.elections.elections} max-term=${sim.elections.maxTerm}`,
    `crashes=${s.crashes} whole-cluster=${s.wholeClusterCrashes} partitions=${s.partitions} config-changes=${s.configChanges} flaky=${s.flaky}`,
    `snapshots=${s.snapshotsTaken} installs=${s.snapshotsInstalled} seeded=${s.seeded} crash-after-install=${s.crashesAfterInstall}`,
    `messages=${n.sent} dropped=${n.dropped} flaky-dropped=${n.flakyDropped} duplicated=${n.duplicated}`,
  ].join(" ");
}

/**
 * Runs the simulation `args` (the random chaos, or the scenario it names); `trace` receives every
 * event when given (verbose mode).
 */
export async function runSimulation(args: SimArgs, trace?: (line: string) => void): Promise<SimResult> {
  const scenario = args.scenario === "stable-leader";
  const options = scenario ? stableLeaderOptions(args) : optionsFromSeed(args);
  const report = [formatOptions(options)];
  trace?.(report[0]);
  let sim: Simulation | undefined;
  let stableLeader: StableLeaderOutcome | undefined;
  try {
    sim = new Simulation(options, trace);
    if (scenario) stableLeader = await runStableLeader(sim);
    else await sim.run();
    report.push(summary(sim));
    if (stableLeader !== undefined) report.push(`stable-leader ${formatOutcome(stableLeader)}`);
    const { elections, maxTerm } = sim.elections;
    return { args, ok: true, report, elections, maxTerm, ...(stableLeader === undefined ? {} : { stableLeader }) };
  } catch (e) {
    if (e instanceof StabilityFailure && e.outcome !== undefined) {
      stableLeader = e.outcome;
      report.push(`stable-leader ${formatOutcome(stableLeader)}`);
    }
    const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    const where = sim === undefined ? "during setup" : `at step ${sim.steps} (t=${sim.now})`;
    report.push(`FAILED seed=${args.seed} ${where}: ${error}`);
    if (sim !== undefined && !error.includes("\n")) report.push(sim.describeNodes());
    report.push(`reproduce with: ${replayCommand(args)}`);
    const elections = sim?.elections.elections ?? 0;
    const maxTerm = sim?.elections.maxTerm ?? 0;
    return {
      args,
      ok: false,
      report,
      error,
      elections,
      maxTerm,
      ...(stableLeader === undefined ? {} : { stableLeader }),
    };
  }
}
