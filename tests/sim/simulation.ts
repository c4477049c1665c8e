/**
 * The simulation loop. One event runs per step on a virtual clock; after every step the nodes
 * that processed input apply what they committed, compact their logs now and then, and are
 * checked for safety. After the chaos phase everything heals, and a leader must then commit
 * and apply a new proposal within a bounded number of steps.
 */
import { type LogEntries, LogPosition, type Message, type NodeId } from "../../src/core/mod.ts";
import type { Snapshot } from "../../src/storage/mod.ts";
import { type ChaosContext, type ChaosStats, propose, runChaos } from "./chaos.ts";
import { SafetyChecker } from "./checker.ts";
import { Cluster } from "./cluster.ts";
import { EventQueue } from "./event_queue.ts";
import { Network } from "./network.ts";
import { applyCommitted, checkAllLogs, checkAppended, checkNode } from "./node_checks.ts";
import type { SimOptions } from "./options.ts";
import { deriveSeed, Prng } from "./prng.ts";
import type { NodeEvent, NodeHost, SimNode } from "./sim_node.ts";
import { formatMessage, formatNode } from "./trace.ts";

/** Everything that can happen at a tick. */
export type SimEvent =
  | NodeEvent
  | { readonly kind: "deliver"; readonly from: NodeId; readonly to: NodeId; readonly message: Message }
  | { readonly kind: "snapshot"; readonly from: NodeId; readonly to: NodeId; readonly snapshot: Snapshot }
  | { readonly kind: "restart"; readonly node: NodeId; readonly incarnation: number }
  | { readonly kind: "client" }
  | { readonly kind: "chaos" }
  | { readonly kind: "heal"; readonly epoch: number };

/** The liveness probe: a proposal made after healing, and where it went. */
interface Probe {
  readonly payload: string;
  readonly leader: NodeId;
  readonly term: number;
  readonly position: LogPosition;
}

/** Pairwise log checks run every this many steps. */
const FULL_CHECK_EVERY = 256;
/** A hard bound on the steps after healing, whatever the budget. */
const MAX_LIVENESS_STEPS = 2_000_000;

/** One seeded run. Create it, then call {@link Simulation.run}; it throws on the first violation. */
export class Simulation implements NodeHost {
  readonly options: SimOptions;
  /** Timer durations and storage latencies. */
  readonly rng: Prng;
  readonly checker = new SafetyChecker();
  readonly network: Network;
  readonly cluster: Cluster;
  readonly stats: ChaosStats & { snapshotsTaken: number; snapshotsInstalled: number } = {
    crashes: 0,
    partitions: 0,
    configChanges: 0,
    proposals: 0,
    snapshotsTaken: 0,
    snapshotsInstalled: 0,
  };
  readonly #queue: EventQueue<SimEvent>;
  readonly #chaosRng: Prng;
  readonly #log: ((line: string) => void) | undefined;
  readonly #touched: SimNode[] = [];
  readonly #transfers = new Set<NodeId>();
  readonly #chaos: ChaosContext;
  #steps = 0;
  #phase: "chaos" | "liveness" = "chaos";
  #healEpoch = 0;
  #payloads = 0;
  #probe: Probe | undefined;
  #lastSent: LogEntries | undefined;

  /** Sets up the run of `options`; `log` receives the trace when given. */
  constructor(options: SimOptions, log?: (line: string) => void) {
    this.options = options;
    this.#log = log;
    this.rng = new Prng(deriveSeed(options.seed, "nodes"));
    this.#chaosRng = new Prng(deriveSeed(options.seed, "chaos"));
    const total = options.nodes + options.spares;
    // Messages are capped per link; re-armed timers leave their stale events behind until they expire.
    this.#queue = new EventQueue(total * total * options.linkCapacity + 256 * total + 64);
    this.network = new Network({
      rng: new Prng(deriveSeed(options.seed, "network")),
      faults: { dropRate: options.dropRate, duplicateRate: options.duplicateRate },
      latency: options.latency,
      capacity: options.linkCapacity,
      deliver: (delay, from, to, message) => this.#queue.schedule(delay, { kind: "deliver", from, to, message }),
    });
    this.cluster = new Cluster(options.nodes, options.spares, this);
    this.#chaos = this.#chaosContext();
    this.#touched.push(this.cluster.nodes[0]);
    this.#settle();
    this.#queue.schedule(1, { kind: "client" });
    this.#queue.schedule(this.#chaosRng.int(1, options.chaosInterval), { kind: "chaos" });
  }

  /** Steps processed so far. */
  get steps(): number {
    return this.#steps;
  }

  /** The virtual time. */
  get now(): number {
    return this.#queue.now;
  }

  /** Runs the chaos phase, heals, and checks liveness. Throws on any violation. */
  run(): void {
    while (this.#steps < this.options.steps) this.#step();
    this.heal();
    this.#awaitLiveness();
  }

  /** Ends the chaos: partitions heal, the network stops losing messages, crashed nodes restart. */
  heal(): void {
    this.#phase = "liveness";
    this.network.heal();
    this.network.faults.dropRate = 0;
    this.network.faults.duplicateRate = 0;
    for (const node of this.cluster.nodes) if (!node.up) this.#restart(node);
    this.#settle();
    this.trace("healed: no more faults");
  }

  // ------------------------------------------------------------------ NodeHost

  /**
   * Hands a message to the network. An AppendEntriesCall makes its sender a leader of its term
   * for election safety, and the entries it carries visible (log matching).
   */
  send(from: NodeId, to: NodeId, message: Message): void {
    if (message.type === "AppendEntriesCall") {
      this.checker.observeLeader(message.term, from);
      if (message.entries !== this.#lastSent) {
        this.#lastSent = message.entries; // A broadcast is checked once, not once per peer.
        this.checker.observeEntries(from, message.entries);
      }
    }
    this.network.send(from, to, message);
  }

  /** Schedules a node event; timers and syncs must never be dropped. */
  schedule(delay: number, event: NodeEvent): void {
    if (!this.#queue.schedule(delay, event)) throw new Error(`The event queue is full: cannot schedule ${event.kind}`);
  }

  /** Starts a snapshot transfer from `from` (the leader) to `to`, unless one is on its way. */
  requestSnapshot(from: SimNode, to: NodeId): void {
    if (this.#transfers.has(to)) return;
    const snapshot = from.latestSnapshot();
    if (snapshot === null) throw new Error(`${from.id} asked for a snapshot transfer to ${to} but has no snapshot`);
    const [lo, hi] = this.options.snapshotLatency;
    if (this.#queue.schedule(this.rng.int(lo, hi), { kind: "snapshot", from: from.id, to, snapshot }))
      this.#transfers.add(to);
  }

  /** Checks a segment a node wrote. */
  appended(node: SimNode, segment: LogEntries): void {
    checkAppended(this.checker, node, segment);
  }

  /** Names the entries of a segment that became durable (log matching). */
  durable(node: SimNode, segment: LogEntries): void {
    this.checker.observeEntries(node.id, segment);
  }

  /** Writes a trace line when tracing. */
  trace(line: string): void {
    if (this.#log !== undefined) this.#log(`${this.#steps} t=${this.#queue.now} ${line}`);
  }

  /** Every node's state, one line each. */
  describeNodes(): string {
    return this.cluster.nodes.map(formatNode).join("\n");
  }

  // ------------------------------------------------------------------ the loop

  #step(): void {
    const event = this.#queue.pop();
    if (event === undefined) throw new Error("The event queue ran dry (every node stopped its timer)");
    this.#steps++;
    this.#dispatch(event);
    this.#settle();
    if (this.#steps % FULL_CHECK_EVERY === 0) checkAllLogs(this.checker, this.cluster.live());
  }

  #dispatch(event: SimEvent): void {
    switch (event.kind) {
      case "deliver":
        this.#deliver(event.from, event.to, event.message);
        break;
      case "timer":
      case "sync":
        this.#nodeEvent(event);
        break;
      case "snapshot":
        this.#arriveSnapshot(event.from, event.to, event.snapshot);
        break;
      case "restart":
        this.#restartIfDown(event.node, event.incarnation);
        break;
      case "client":
        this.#client();
        break;
      case "chaos":
        this.#chaosTick();
        break;
      case "heal":
        this.#healPartition(event.epoch);
        break;
    }
  }

  #restartIfDown(id: NodeId, incarnation: number): void {
    const node = this.cluster.get(id);
    if (!node.up && node.incarnation === incarnation) this.#restart(node);
  }

  #healPartition(epoch: number): void {
    if (epoch !== this.#healEpoch || !this.network.partitioned) return; // Superseded by a later partition.
    this.network.heal();
    this.trace("partition ends");
  }

  #deliver(from: NodeId, to: NodeId, message: Message): void {
    this.network.arrived(from, to);
    const node = this.cluster.get(to);
    if (!node.up || !this.network.connected(from, to)) return; // Lost: the receiver is down or cut off.
    if (this.#log !== undefined) this.trace(`${from}>${to} ${formatMessage(message)}`);
    node.deliver(message);
    this.#touched.push(node);
  }

  #nodeEvent(event: NodeEvent): void {
    const node = this.cluster.get(event.node);
    if (!node.up || node.incarnation !== event.incarnation) return; // Lost in a crash.
    if (event.kind === "timer") node.fireTimer(event.token);
    else node.completeSync(event.token);
    if (this.#log !== undefined) this.trace(`${event.kind} ${formatNode(node)}`);
    this.#touched.push(node);
  }

  #arriveSnapshot(from: NodeId, to: NodeId, snapshot: Snapshot): void {
    this.#transfers.delete(to);
    const node = this.cluster.get(to);
    if (!node.up || !this.network.connected(from, to)) return; // The leader will ask again.
    const ok = node.installSnapshot(snapshot);
    if (ok) {
      this.stats.snapshotsInstalled++;
      this.checker.checkSnapshotPosition(to, snapshot.meta.position);
      this.checker.checkAppliedSequence(to, node.sm.applied);
    }
    this.trace(
      `snapshot ${from}>${to} at ${LogPosition.format(snapshot.meta.position)}: ${ok ? "installed" : "refused"}`,
    );
    this.#touched.push(node);
  }

  #restart(node: SimNode): void {
    node.restart();
    this.checker.checkAppliedSequence(node.id, node.sm.applied);
    this.trace(`restart ${formatNode(node)}`);
    this.#touched.push(node);
  }

  #client(): void {
    if (this.#phase !== "chaos" && !this.options.healLoad) return; // Clients stop at healing unless told not to.
    propose(this.#chaos, () => `c${++this.#payloads}`);
    this.#queue.schedule(this.#chaosRng.int(1, 2 * this.options.proposalInterval), { kind: "client" });
  }

  #chaosTick(): void {
    if (this.#phase !== "chaos") return;
    runChaos(this.#chaos);
    this.#queue.schedule(this.#chaosRng.int(1, 2 * this.options.chaosInterval), { kind: "chaos" });
  }

  /** Applies, compacts and checks every node that processed input in this step. */
  #settle(): void {
    const leaders = this.cluster.leaders();
    while (this.#touched.length > 0) {
      const node = this.#touched.pop() as SimNode;
      if (!node.up) continue;
      applyCommitted(this.checker, node);
      checkNode(this.checker, node, leaders);
      if (node.sm.lastApplied - node.raft.log.snapshotPosition.index >= this.options.snapshotEvery) {
        node.compact();
        this.stats.snapshotsTaken++;
        this.trace(`compact ${formatNode(node)}`);
        this.#touched.push(node); // Compaction may have let it commit more: check again.
      }
    }
  }

  #chaosContext(): ChaosContext {
    return {
      options: this.options,
      rng: this.#chaosRng,
      network: this.network,
      stats: this.stats,
      cluster: this.cluster,
      scheduleRestart: (node, delay) =>
        this.#queue.schedule(delay, { kind: "restart", node: node.id, incarnation: node.incarnation }),
      scheduleHeal: (delay) => this.#queue.schedule(delay, { kind: "heal", epoch: ++this.#healEpoch }),
      touched: (node) => this.#touched.push(node),
      trace: (line) => this.trace(line),
    };
  }

  // ------------------------------------------------------------------ liveness

  #awaitLiveness(): void {
    const budget = this.#livenessBudget();
    this.trace(`liveness: ${budget.steps} steps or ${budget.time} ticks to commit a new proposal`);
    const start = { steps: this.#steps, now: this.now };
    const stepDeadline = this.#steps + budget.steps;
    const timeDeadline = this.now + budget.time;
    const cap = this.#steps + MAX_LIVENESS_STEPS;
    while ((this.#steps < stepDeadline || this.now < timeDeadline) && this.#steps < cap) {
      this.#step();
      if (this.#livenessReached()) {
        this.trace("liveness: a post-heal proposal is committed and applied on a majority");
        return;
      }
    }
    throw new LivenessFailure(
      `liveness: no new proposal was committed and applied on a majority within ${this.#steps - start.steps} steps (${this.now - start.now} ticks) after healing\n${this.describeNodes()}`,
    );
  }

  /**
   * The base budget, plus room for the backlog: a lagging node catches up by at most
   * max-entries per round trip. A round trip takes up to about 100 events with seven nodes, and
   * at most two latencies, two fsyncs and a heartbeat (a lost catch-up message is resent at the
   * next heartbeat) however many events a client load adds; the run goes on while either the
   * step budget or the time budget lasts.
   */
  #livenessBudget(): { steps: number; time: number } {
    const o = this.options;
    const live = this.cluster.live();
    const last = Math.max(...live.map((n) => n.raft.log.lastPosition.index));
    const commit = Math.min(...live.filter((n) => n.raft.log.lastPosition.index > 0).map((n) => n.raft.commitIndex));
    const perMessage = o.maxEntriesPerMessage === 0 ? Number.POSITIVE_INFINITY : o.maxEntriesPerMessage;
    const roundTrips = Math.ceil(Math.max(0, last - commit) / perMessage);
    const roundTrip = 2 * o.latency[1] + 2 * o.storageLatency[1] + o.heartbeatInterval;
    return { steps: o.livenessSteps + 100 * roundTrips, time: roundTrip * roundTrips };
  }

  #livenessReached(): boolean {
    const leader = this.cluster.leader();
    if (leader === undefined) return false;
    const probe = this.#probe;
    if (probe === undefined || probe.leader !== leader.id || probe.term !== leader.raft.currentTerm) {
      this.#proposeProbe(leader);
      return false;
    }
    const committed = this.checker.committedAt(probe.position.index);
    if (committed === undefined) return false;
    if (committed.entry.kind !== "command" || committed.entry.data !== probe.payload) {
      this.#probe = undefined; // Another entry won that index: propose again.
      return false;
    }
    const config = leader.raft.config;
    const applied = (id: NodeId) => {
      const node = this.cluster.get(id);
      return node.up && node.sm.lastApplied >= probe.position.index;
    };
    const majority = (ids: readonly NodeId[]) => ids.filter(applied).length > ids.length / 2;
    return majority(config.voters) && (!config.isJoint || majority(config.newVoters));
  }

  #proposeProbe(leader: SimNode): void {
    const payload = `live${++this.#payloads}`;
    const result = leader.propose(payload);
    this.#touched.push(leader);
    this.#settle();
    if (!result.ok) return;
    this.#probe = { payload, leader: leader.id, term: leader.raft.currentTerm, position: result.position };
    this.trace(`liveness probe on ${leader.id} at ${result.position.term}/${result.position.index}`);
  }
}

/** Thrown when the healed cluster does not make progress in time. */
export class LivenessFailure extends Error {
  /** Creates the failure; `message` includes every node's state. */
  constructor(message: string) {
    super(message);
    this.name = "LivenessFailure";
  }
}
