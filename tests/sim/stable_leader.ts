/**
 * The stable-leader scenario: with pre-vote and check-quorum on, a follower that is cut off (fully
 * partitioned, or flaky) for many election timeouts must not raise the leader's term, during the
 * cut or after it heals. A healthy cluster (no chaos, no loss, fast links) elects a leader; one of
 * its followers is cut off for 20 to 50 election timeouts, then healed; the clients keep writing
 * throughout, then stop, and the follower must catch up.
 *
 * With both options on, the scenario fails unless the leader and its term stay the same from the
 * cut to the end and the follower reaches the leader's commit index. Otherwise it only reports
 * what changed: without pre-vote the follower is expected to raise its term and depose the
 * leader when it comes back, which is what the options are for. Every safety check of the
 * simulator runs as in a random run.
 */
import type { NodeId } from "../../packages/core/src/mod.ts";
import type { ChaosWeights, SimArgs, SimOptions } from "./options.ts";
import { optionsFromSeed } from "./options.ts";
import { deriveSeed, Prng } from "./prng.ts";
import type { SimNode } from "./sim_node.ts";
import type { Simulation } from "./simulation.ts";

/** What happened in one stable-leader run. */
export interface StableLeaderOutcome {
  /** How the follower was cut off. */
  readonly cut: "partition" | "flaky";
  /** The follower that was cut off. */
  readonly follower: NodeId;
  /** How long it was cut off, in ticks. */
  readonly cutTicks: number;
  /** Its loss rate, when flaky. */
  readonly lossRate: number;
  /** The leader and its term when the follower was cut off. */
  readonly before: { readonly leader: NodeId; readonly term: number };
  /** The leader and its term at the end (undefined leader: none at the end). */
  readonly after: { readonly leader: NodeId | undefined; readonly term: number };
  /** The first moment the cluster's leader or its term differed from `before`, if ever. */
  readonly firstChange: { readonly at: number; readonly leader: NodeId | undefined; readonly term: number } | undefined;
  /** The highest term the cut-off follower reached. */
  readonly followerMaxTerm: number;
  /** Whether the follower reached the leader's commit index at the end. */
  readonly caughtUp: boolean;
}

/** Election timeouts the cluster gets to elect its first leader. */
const ELECT_TIMEOUTS = 40;
/** Election timeouts of steady running, with client writes, before the cut. */
const WARM_UP_TIMEOUTS = 5;
/** The cut lasts this many (maximum) election timeouts, drawn. */
const CUT_TIMEOUTS: readonly [number, number] = [20, 50];
/** Election timeouts of client writes after the heal. */
const AFTER_HEAL_TIMEOUTS = 10;
/** Election timeouts the follower gets to catch up once the clients stop. */
const CATCH_UP_TIMEOUTS = 20;

const NO_CHAOS: ChaosWeights = {
  crash: 0,
  crashAll: 0,
  crashLeader: 0,
  partition: 0,
  isolateLeader: 0,
  heal: 0,
  membership: 0,
  flaky: 0,
};

/**
 * The options of the scenario run `args`: the seed's options without any chaos or loss, and links
 * and disks fast enough that a healthy cluster never misses an election timeout (at most 15
 * ticks of latency spread and 10 of fsync spread on top of the seed's minimums).
 */
export function stableLeaderOptions(args: SimArgs): SimOptions {
  const o = optionsFromSeed({ ...args, flaky: false });
  return {
    ...o,
    scenario: "stable-leader",
    cut: args.cut ?? "partition",
    dropRate: 0,
    duplicateRate: 0,
    latency: [o.latency[0], Math.min(o.latency[1], o.latency[0] + 15)],
    linkCapacity: 64,
    storageLatency: [o.storageLatency[0], Math.min(o.storageLatency[1], o.storageLatency[0] + 10)],
    weights: NO_CHAOS,
    crashAfterInstall: 0,
    seedSnapshot: 0,
  };
}

/** Thrown when the leader or its term moved, or the follower did not catch up, with both options on. */
export class StabilityFailure extends Error {
  /** What happened, when the scenario got as far as cutting the follower off. */
  readonly outcome: StableLeaderOutcome | undefined;

  /** Creates the failure; `message` says what moved. */
  constructor(message: string, outcome?: StableLeaderOutcome) {
    super(message);
    this.name = "StabilityFailure";
    this.outcome = outcome;
  }
}

/**
 * The leader, if the cluster is settled on it: every voter is in its term, follows it, knows
 * itself a voter (it has the configuration, so it could campaign) and has committed something.
 */
function settledLeader(sim: Simulation): SimNode | undefined {
  const leader = sim.cluster.leader();
  if (leader === undefined) return undefined;
  const term = leader.raft.currentTerm;
  for (const id of leader.raft.config.voters) {
    if (id === leader.id) continue;
    const raft = sim.cluster.get(id).core.runtime.node;
    if (raft.currentTerm !== term || raft.leaderId !== leader.id) return undefined;
    if (!raft.config.isVoter(id) || raft.commitIndex === 0) return undefined;
  }
  return leader;
}

/** Runs until the cluster settles on a leader (see {@link settledLeader}); throws if it does not. */
async function settle(sim: Simulation, timeouts: number): Promise<SimNode> {
  const bound = sim.now + timeouts * sim.options.electionTimeout[1];
  if (!(await sim.runUntil(bound, () => settledLeader(sim) !== undefined)) && settledLeader(sim) === undefined) {
    throw new StabilityFailure(`no leader settled within ${timeouts} election timeouts\n${sim.describeNodes()}`);
  }
  return settledLeader(sim) as SimNode;
}

/**
 * Drives `sim` (built with {@link stableLeaderOptions}) through the scenario and returns what
 * happened; throws {@link StabilityFailure} when pre-vote and check-quorum are both on and the
 * leader did not stay put or the follower did not catch up.
 */
export async function runStableLeader(sim: Simulation): Promise<StableLeaderOutcome> {
  const o = sim.options;
  const rng = new Prng(deriveSeed(o.seed, "stable-leader"));
  const timeout = o.electionTimeout[1];
  await settle(sim, ELECT_TIMEOUTS);
  await sim.runUntil(sim.now + WARM_UP_TIMEOUTS * timeout); // A steady phase with writes first.
  const leader = await settle(sim, ELECT_TIMEOUTS);
  const before = { leader: leader.id, term: leader.raft.currentTerm };
  const follower = sim.cluster.get(rng.pick(leader.raft.config.voters.filter((id) => id !== leader.id)));
  const cut = o.cut ?? "partition";
  const cutTicks = rng.int(CUT_TIMEOUTS[0], CUT_TIMEOUTS[1]) * timeout;
  const lossRate = cut === "flaky" ? rng.rate(o.flakyLoss[0], o.flakyLoss[1]) : 1;
  if (cut === "flaky") sim.network.setFlaky(follower.id, lossRate);
  else sim.network.partition([[follower.id]]);
  sim.trace(
    `stable-leader: ${before.leader} leads term ${before.term}; cutting ${follower.id} off (${cut}${cut === "flaky" ? ` ${lossRate}` : ""}) for ${cutTicks} ticks`,
  );

  let firstChange: StableLeaderOutcome["firstChange"];
  let followerMaxTerm: number = follower.raft.currentTerm;
  const watch = (): boolean => {
    const now = sim.cluster.leader();
    if (follower.up) followerMaxTerm = Math.max(followerMaxTerm, follower.raft.currentTerm);
    const term = now?.raft.currentTerm ?? Math.max(...sim.cluster.live().map((n) => n.raft.currentTerm));
    if (firstChange === undefined && (now?.id !== before.leader || term !== before.term)) {
      firstChange = { at: sim.now, leader: now?.id, term };
      sim.trace(`stable-leader: the leader is now ${now?.id ?? "none"} in term ${term}`);
    }
    return false;
  };
  await sim.runUntil(sim.now + cutTicks, watch);
  sim.network.heal();
  sim.network.steady(follower.id);
  sim.trace(`stable-leader: ${follower.id} is back`);
  await sim.runUntil(sim.now + AFTER_HEAL_TIMEOUTS * timeout, watch);
  sim.stopClients();
  const caughtUp = (): boolean => {
    const current = sim.cluster.leader();
    return current !== undefined && follower.up && follower.raft.commitIndex === current.raft.commitIndex;
  };
  const done = await sim.runUntil(sim.now + CATCH_UP_TIMEOUTS * timeout, () => {
    watch();
    return caughtUp();
  });
  sim.checkAllLogs();
  const end = sim.cluster.leader();
  const outcome: StableLeaderOutcome = {
    cut,
    follower: follower.id,
    cutTicks,
    lossRate,
    before,
    after: { leader: end?.id, term: end?.raft.currentTerm ?? 0 },
    firstChange,
    followerMaxTerm,
    caughtUp: done,
  };
  sim.trace(`stable-leader: ${formatOutcome(outcome)}`);
  if (o.preVote && o.checkQuorum) assertStable(outcome, sim);
  return outcome;
}

function assertStable(outcome: StableLeaderOutcome, sim: Simulation): void {
  const problems: string[] = [];
  const { before, firstChange } = outcome;
  if (firstChange !== undefined) {
    problems.push(
      `the leader changed from ${before.leader} (term ${before.term}) to ${firstChange.leader ?? "none"} (term ${firstChange.term}) at t=${firstChange.at}`,
    );
  }
  if (!outcome.caughtUp) problems.push(`${outcome.follower} did not reach the leader's commit index`);
  if (problems.length > 0) {
    throw new StabilityFailure(
      `with pre-vote and check-quorum on, ${outcome.follower} cut off (${outcome.cut}) for ${outcome.cutTicks} ticks: ${problems.join("; ")}\n${sim.describeNodes()}`,
      outcome,
    );
  }
}

/** The outcome as one line of `key=value` pairs. */
export function formatOutcome(o: StableLeaderOutcome): string {
  const change =
    o.firstChange === undefined
      ? "none"
      : `${o.firstChange.leader ?? "none"}@${o.firstChange.term},t=${o.firstChange.at}`;
  return [
    `cut=${o.cut}`,
    `follower=${o.follower}`,
    `cut-ticks=${o.cutTicks}`,
    ...(o.cut === "flaky" ? [`loss=${o.lossRate}`] : []),
    `before=${o.before.leader}@${o.before.term}`,
    `after=${o.after.leader ?? "none"}@${o.after.term}`,
    `first-change=${change}`,
    `term-changed=${o.after.term !== o.before.term}`,
    `follower-max-term=${o.followerMaxTerm}`,
    `caught-up=${o.caughtUp}`,
  ].join(" ");
}
