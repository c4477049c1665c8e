/**
 * Simulation options. Everything except the node count and the step budget is drawn from the
 * seed, and the whole set is printed before the run so a failure report shows what was in force.
 */
import { deriveSeed, Prng } from "./prng.ts";

/** What the command line chooses. */
export interface SimArgs {
  /** The seed every random choice derives from. */
  readonly seed: number;
  /** The initial number of voters (3 or 5). */
  readonly nodes: number;
  /** The number of events processed in the chaos phase. */
  readonly steps: number;
  /**
   * The disruptive-RequestVote filter: `core` (default) drops whatever the core's predicate flags,
   * as the node runtime does; `lease` trusts the predicate on a follower only within the minimum
   * election timeout of hearing from its leader, so some disruptive requests get through.
   */
  readonly filter?: "core" | "lease";
  /** Whether clients keep proposing after healing (liveness under load); off by default. */
  readonly healLoad?: boolean;
  /** Whether the nodes run with pre-vote (the runtime's `preVote`); off by default. */
  readonly preVote?: boolean;
  /** Whether the nodes run with check-quorum (the runtime's `checkQuorum`); off by default. */
  readonly checkQuorum?: boolean;
  /**
   * Whether the chaos includes flaky nodes (see {@link ChaosWeights.flaky}); off by default, so a
   * seed's run without it is the run it always was.
   */
  readonly flaky?: boolean;
  /**
   * A dedicated scenario instead of the random chaos: `stable-leader` cuts one follower of a
   * healthy cluster off for many election timeouts and watches the leader (see stable_leader.ts).
   * The step budget does not apply to it.
   */
  readonly scenario?: "stable-leader";
  /** How the stable-leader scenario cuts its follower off: `partition` (default) or `flaky`. */
  readonly cut?: "partition" | "flaky";
}

/** Every knob of one run. Times are in virtual ticks; rates are probabilities per event. */
export interface SimOptions extends SimArgs {
  /** The disruptive-request filter in force. */
  readonly filter: "core" | "lease";
  /** Whether clients keep proposing after healing. */
  readonly healLoad: boolean;
  /** Whether the nodes run with pre-vote. */
  readonly preVote: boolean;
  /** Whether the nodes run with check-quorum. */
  readonly checkQuorum: boolean;
  /** Whether the chaos includes flaky nodes. */
  readonly flaky: boolean;
  /** The share of its messages (both ways) a flaky node loses: drawn in this range per episode. */
  readonly flakyLoss: readonly [number, number];
  /** How long a node stays flaky unless healed earlier. */
  readonly flakyTime: readonly [number, number];
  /** Spare node ids beyond the initial ones, for membership changes. */
  readonly spares: number;
  /** Per message: dropped. */
  readonly dropRate: number;
  /** Per message: delivered twice. */
  readonly duplicateRate: number;
  /** One-way latency range. */
  readonly latency: readonly [number, number];
  /** Messages in flight per directed link; more are dropped (a busy link). */
  readonly linkCapacity: number;
  /** How long an fsync takes. */
  readonly storageLatency: readonly [number, number];
  /** Follower and candidate election timeout range. */
  readonly electionTimeout: readonly [number, number];
  /** The leader's heartbeat interval (its timer). */
  readonly heartbeatInterval: number;
  /** Mean ticks between client proposals. */
  readonly proposalInterval: number;
  /** Mean ticks between chaos actions (crash, partition, membership change). */
  readonly chaosInterval: number;
  /** Relative weights of the chaos actions. */
  readonly weights: ChaosWeights;
  /** How long a crashed node stays down. */
  readonly downtime: readonly [number, number];
  /** How long a partition lasts unless healed earlier. */
  readonly partitionTime: readonly [number, number];
  /** A node compacts its log once it has applied this many entries past its snapshot. */
  readonly snapshotEvery: number;
  /** How long a client's write or read may wait inside a node. */
  readonly requestTimeout: number;
  /** Proposals (and reads) a node lets wait at once; more are answered `overloaded`. */
  readonly maxPendingProposals: number;
  /** Per snapshot installed from the leader: the node crashes right after installing it. */
  readonly crashAfterInstall: number;
  /** Per spare added as a member: the leader's snapshot seeds it before it hears from anyone. */
  readonly seedSnapshot: number;
  /** How long a snapshot transfer to a lagging node takes. */
  readonly snapshotLatency: readonly [number, number];
  /** Entries per catch-up message (core flow control); 0 means unlimited. */
  readonly maxEntriesPerMessage: number;
  /** The runtime's in-flight window per follower; 0 means the runtime's default. */
  readonly maxInflightMessages: number;
  /** The runtime's uncommitted-bytes limit; 0 means the runtime's default. */
  readonly maxUncommittedBytes: number;
  /**
   * Events allowed after healing for a leader to commit a new proposal, before the room for the
   * backlog (see the liveness budget in simulation.ts).
   */
  readonly livenessSteps: number;
}

/** Relative weights of the chaos actions. */
export interface ChaosWeights {
  readonly crash: number;
  /** Every node crashes at once (and restarts later). */
  readonly crashAll: number;
  readonly crashLeader: number;
  readonly partition: number;
  readonly isolateLeader: number;
  readonly heal: number;
  readonly membership: number;
  /**
   * A node turns flaky: it loses most of the messages it sends and receives for a while, then
   * recovers. Zero unless the run has flaky nodes on; drawn from its own stream, so the other
   * options of a seed are the same either way.
   */
  readonly flaky: number;
}

function range(rng: Prng, lo: number, hi: number, minSpan: number, maxSpan: number): readonly [number, number] {
  const from = rng.int(lo, hi);
  return [from, from + rng.int(minSpan, maxSpan)];
}

function drawWeights(rng: Prng, flaky: number): ChaosWeights {
  return {
    crash: rng.int(0, 4),
    crashAll: rng.int(0, 1),
    crashLeader: rng.int(0, 3),
    partition: rng.int(0, 4),
    isolateLeader: rng.int(0, 3),
    heal: rng.int(1, 3),
    membership: rng.int(0, 5),
    flaky,
  };
}

/**
 * The flow-control limits of a run, from their own stream (so the other options of a seed stay as
 * they were): half the runs use a small in-flight window, some a small uncommitted-bytes limit
 * that refuses writes while a leader lacks a quorum.
 */
function drawFlowControl(seed: number): { maxInflightMessages: number; maxUncommittedBytes: number } {
  const rng = new Prng(deriveSeed(seed, "flow"));
  return {
    maxInflightMessages: rng.chance(0.5) ? rng.int(1, 8) : 0,
    maxUncommittedBytes: rng.chance(0.3) ? rng.int(200, 4000) : 0,
  };
}

/** The options of the run `args`, derived from its seed alone. */
export function optionsFromSeed(args: SimArgs): SimOptions {
  const rng = new Prng(deriveSeed(args.seed, "options"));
  const calm = rng.chance(0.15); // Some runs have a reliable network, to exercise long steady phases.
  // Flaky nodes draw from their own stream: turning them on leaves every other option as it was.
  const flakyRng = new Prng(deriveSeed(args.seed, "flaky"));
  const flaky = args.flaky ?? false;
  const flakyWeight = flakyRng.int(1, 4);
  const flakyTime = range(flakyRng, 2000, 4000, 0, 6000);
  return {
    ...args,
    filter: args.filter ?? "core",
    healLoad: args.healLoad ?? false,
    preVote: args.preVote ?? false,
    checkQuorum: args.checkQuorum ?? false,
    flaky,
    flakyLoss: [0.6, 0.95],
    flakyTime,
    spares: 2,
    dropRate: calm ? 0 : rng.rate(0, 0.2),
    duplicateRate: calm ? 0 : rng.rate(0, 0.1),
    latency: range(rng, 1, 10, 0, 60),
    linkCapacity: rng.int(8, 64),
    storageLatency: range(rng, 1, 10, 0, 30),
    electionTimeout: [150, 300],
    heartbeatInterval: 50,
    proposalInterval: rng.int(5, 60),
    chaosInterval: rng.int(40, 500),
    weights: drawWeights(rng, flaky ? flakyWeight : 0),
    downtime: range(rng, 10, 300, 0, 1500),
    partitionTime: range(rng, 50, 500, 0, 2000),
    snapshotEvery: rng.int(5, 80),
    snapshotLatency: range(rng, 5, 100, 0, 300),
    requestTimeout: rng.int(300, 3000),
    maxPendingProposals: rng.chance(0.3) ? rng.int(2, 8) : 256,
    crashAfterInstall: rng.rate(0, 0.3),
    seedSnapshot: rng.rate(0, 0.5),
    maxEntriesPerMessage: rng.chance(0.5) ? 0 : rng.int(1, 20),
    ...drawFlowControl(args.seed),
    livenessSteps: 30_000,
  };
}

const onOff = (on: boolean): string => (on ? "on" : "off");

/**
 * The options as one line of `key=value` pairs, in a fixed order; the flaky settings and the
 * scenario are listed only when in force.
 */
export function formatOptions(o: SimOptions): string {
  const w = o.weights;
  const flaky: Array<[string, unknown]> = o.flaky
    ? [
        ["flaky-loss", o.flakyLoss.join("..")],
        ["flaky-time", o.flakyTime.join("..")],
      ]
    : [];
  const scenario: Array<[string, unknown]> =
    o.scenario === undefined
      ? []
      : [
          ["scenario", o.scenario],
          ["cut", o.cut ?? "partition"],
        ];
  const pairs: Array<[string, unknown]> = [
    ["seed", o.seed],
    ["nodes", o.nodes],
    ["steps", o.steps],
    ...scenario,
    ["filter", o.filter],
    ["heal-load", o.healLoad],
    ["pre-vote", onOff(o.preVote)],
    ["check-quorum", onOff(o.checkQuorum)],
    ["flaky", onOff(o.flaky)],
    ...flaky,
    ["spares", o.spares],
    ["drop", o.dropRate],
    ["dup", o.duplicateRate],
    ["latency", o.latency.join("..")],
    ["link-cap", o.linkCapacity],
    ["fsync", o.storageLatency.join("..")],
    ["election", o.electionTimeout.join("..")],
    ["heartbeat", o.heartbeatInterval],
    ["propose-every", o.proposalInterval],
    ["chaos-every", o.chaosInterval],
    [
      "weights",
      `crash:${w.crash},crash-all:${w.crashAll},crash-leader:${w.crashLeader},partition:${w.partition},isolate-leader:${w.isolateLeader},heal:${w.heal},membership:${w.membership},flaky:${w.flaky}`,
    ],
    ["down", o.downtime.join("..")],
    ["partition", o.partitionTime.join("..")],
    ["snapshot-every", o.snapshotEvery],
    ["snapshot-transfer", o.snapshotLatency.join("..")],
    ["request-timeout", o.requestTimeout],
    ["max-pending", o.maxPendingProposals],
    ["crash-after-install", o.crashAfterInstall],
    ["seed-snapshot", o.seedSnapshot],
    ["max-entries", o.maxEntriesPerMessage === 0 ? "unlimited" : o.maxEntriesPerMessage],
    ["window", o.maxInflightMessages === 0 ? "default" : o.maxInflightMessages],
    ["uncommitted", o.maxUncommittedBytes === 0 ? "default" : o.maxUncommittedBytes],
    ["liveness-steps", `${o.livenessSteps}+backlog`],
  ];
  return pairs.map(([k, v]) => `${k}=${v}`).join(" ");
}

/** The command that replays the run `args`. */
export function replayCommand(args: SimArgs): string {
  const filter = args.filter === "lease" ? " --filter lease" : "";
  const healLoad = args.healLoad === true ? " --heal-load" : "";
  const preVote = args.preVote === true ? " --pre-vote on" : "";
  const checkQuorum = args.checkQuorum === true ? " --check-quorum on" : "";
  const flaky = args.flaky === true ? " --flaky" : "";
  const scenario = args.scenario === undefined ? "" : ` --scenario ${args.scenario} --cut ${args.cut ?? "partition"}`;
  const modes = `${filter}${healLoad}${preVote}${checkQuorum}${flaky}${scenario}`;
  return `bun scripts/sim.ts --seed ${args.seed} --nodes ${args.nodes} --steps ${args.steps}${modes}`;
}
