/**
 * The simulation loop. Each node is the node as it ships (runtime loop, action executor, KV state
 * machine, service facade) over simulated ports; one event runs per step on a virtual clock,
 * then the promises it settled run, and the nodes that processed input are checked for safety.
 * After the chaos phase everything heals, and a leader must then commit and apply a new write
 * within a bounded number of steps.
 */
import { type LogEntries, LogPosition, type Message, type NodeId } from "../../packages/core/src/mod.ts";
import type { ApplyResult } from "../../src/kv/mod.ts";
import type { StoredSnapshot } from "../../src/server/ports.ts";
import { crc32 } from "../../src/storage/mod.ts";
import { type ChaosContext, type ChaosStats, runChaos } from "./chaos.ts";
import { SafetyChecker } from "./checker.ts";
import { SimClients } from "./clients.ts";
import { Cluster } from "./cluster.ts";
import { checkSentDurable } from "./durability.ts";
import { ElectionTally } from "./elections.ts";
import { EventQueue } from "./event_queue.ts";
import { Network } from "./network.ts";
import { checkAllLogs, checkAppended, checkNode } from "./node_checks.ts";
import type { SimOptions } from "./options.ts";
import { deriveSeed, Prng } from "./prng.ts";
import type { TaskEvent } from "./sim_clock.ts";
import type { NodeHost, SimNode } from "./sim_node.ts";
import { formatMessage, formatNode } from "./trace.ts";

/** Everything that can happen at a tick. */
export type SimEvent =
  | TaskEvent
  | { readonly kind: "deliver"; readonly from: NodeId; readonly to: NodeId; readonly message: Message }
  | {
      readonly kind: "snapshot";
      readonly from: NodeId;
      readonly to: NodeId;
      readonly snapshot: StoredSnapshot;
      readonly arrived: (ok: boolean) => void;
    }
  | { readonly kind: "restart"; readonly node: NodeId; readonly incarnation: number }
  | { readonly kind: "client" }
  | { readonly kind: "chaos" }
  | { readonly kind: "heal"; readonly epoch: number }
  | { readonly kind: "steady"; readonly node: NodeId };

/** The liveness probe: a write issued after healing, and how it went. */
interface Probe {
  readonly leader: NodeId;
  readonly term: number;
  /** The index it was applied at, once the leader acknowledged it; -1 while waiting; -2 if it failed. */
  index: number;
}

/** Pairwise log checks run every this many steps. */
const FULL_CHECK_EVERY = 256;
/** A hard bound on the steps after healing, whatever the budget. */
const MAX_LIVENESS_STEPS = 2_000_000;
/** A hard bound on the steps of one {@link Simulation.runUntil}. */
const MAX_SCENARIO_STEPS = 5_000_000;
/** Bound of the event queue: messages per link, tasks per node (timers, turns, request timeouts). */
const TASKS_PER_NODE = 4096;
/** Promise continuations run after each step: enough for the chains of the service facade. */
const MICROTASK_ROUNDS = 6;

/** One seeded run. Create it, then `await` {@link Simulation.run}; it rejects on the first violation. */
export class Simulation implements NodeHost {
  readonly options: SimOptions;
  /** Timer durations, storage latencies and the nodes' random numbers. */
  readonly rng: Prng;
  readonly checker = new SafetyChecker();
  /** Elections won and the highest term, for the summary. */
  readonly elections = new ElectionTally();
  readonly network: Network;
  readonly cluster: Cluster;
  readonly clients: SimClients;
  readonly stats: ChaosStats & { snapshotsTaken: number; snapshotsInstalled: number; crashesAfterInstall: number } = {
    crashes: 0,
    wholeClusterCrashes: 0,
    partitions: 0,
    configChanges: 0,
    seeded: 0,
    flaky: 0,
    snapshotsTaken: 0,
    snapshotsInstalled: 0,
    crashesAfterInstall: 0,
  };
  readonly #queue: EventQueue<SimEvent>;
  readonly #chaosRng: Prng;
  readonly #log: ((line: string) => void) | undefined;
  readonly #touched = new Set<SimNode>();
  readonly #chaos: ChaosContext;
  #steps = 0;
  #phase: "chaos" | "liveness" = "chaos";
  /** False once {@link Simulation.stopClients} was called. */
  #clientsOn = true;
  #healEpoch = 0;
  #probes = 0;
  #probe: Probe | undefined;
  #lastSent: LogEntries | undefined;
  /** Set when a check fails inside a promise continuation; rethrown by the loop. */
  #failure: unknown;

  /** Sets up the run of `options`; `log` receives the trace when given. */
  constructor(options: SimOptions, log?: (line: string) => void) {
    this.options = options;
    this.#log = log;
    this.rng = new Prng(deriveSeed(options.seed, "nodes"));
    this.#chaosRng = new Prng(deriveSeed(options.seed, "chaos"));
    const total = options.nodes + options.spares;
    this.#queue = new EventQueue(total * total * options.linkCapacity + TASKS_PER_NODE * total);
    this.network = new Network({
      rng: new Prng(deriveSeed(options.seed, "network")),
      faults: { dropRate: options.dropRate, duplicateRate: options.duplicateRate },
      latency: options.latency,
      capacity: options.linkCapacity,
      deliver: (delay, from, to, message) => this.#queue.schedule(delay, { kind: "deliver", from, to, message }),
    });
    this.cluster = new Cluster(options.nodes, options.spares, this);
    this.cluster.bootstrap();
    this.clients = new SimClients({
      rng: new Prng(deriveSeed(options.seed, "clients")),
      nodes: this.cluster.nodes,
      trace: (line) => this.trace(line),
      fail: (error) => {
        this.#failure ??= error;
      },
    });
    this.#chaos = this.#chaosContext();
    this.#touched.add(this.cluster.nodes[0]);
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

  /** Runs the chaos phase, heals, and checks liveness. Rejects on any violation. */
  async run(): Promise<void> {
    await this.#settle();
    while (this.#steps < this.options.steps) await this.#step();
    await this.heal();
    await this.#awaitLiveness();
  }

  /**
   * Processes events until the virtual time reaches `until` or `stop` returns true (it is asked
   * after every step, and may watch the nodes); true iff `stop` ended it. For scenarios that
   * drive the run themselves instead of {@link Simulation.run}; every check still runs per step.
   */
  async runUntil(until: number, stop: () => boolean = () => false): Promise<boolean> {
    await this.#settle();
    const cap = this.#steps + MAX_SCENARIO_STEPS;
    while (this.now < until) {
      if (this.#steps >= cap) throw new Error(`More than ${MAX_SCENARIO_STEPS} steps before t=${until}`);
      await this.#step();
      if (stop()) return true;
    }
    return false;
  }

  /** The clients stop issuing operations (those in flight complete). */
  stopClients(): void {
    this.#clientsOn = false;
  }

  /** The pairwise log checks over every live node, now. */
  checkAllLogs(): void {
    checkAllLogs(this.checker, this.cluster.live());
  }

  /**
   * Ends the chaos: partitions heal, flaky nodes recover, the network stops losing messages,
   * crashed nodes restart.
   */
  async heal(): Promise<void> {
    this.#phase = "liveness";
    this.network.heal();
    this.network.steadyAll();
    this.network.faults.dropRate = 0;
    this.network.faults.duplicateRate = 0;
    for (const node of this.cluster.nodes) if (!node.up) this.#restart(node);
    await this.#settle();
    this.trace("healed: no more faults");
  }

  // ------------------------------------------------------------------ NodeHost

  /**
   * Hands a message to the network, after checking that the sender's disk backs it. An
   * AppendEntriesCall makes its sender a leader of its term for election safety, and the entries
   * it carries visible (log matching).
   */
  send(from: NodeId, to: NodeId, message: Message): void {
    checkSentDurable(from, this.cluster.get(from).disk, to, message);
    if (message.type === "AppendEntriesCall") {
      this.checker.observeLeader(message.term, from);
      if (message.entries !== this.#lastSent) {
        this.#lastSent = message.entries; // A broadcast is checked once, not once per peer.
        this.checker.observeEntries(from, message.entries);
      }
    }
    this.network.send(from, to, message);
  }

  /** Streams a snapshot: it arrives after a latency, unless the receiver is down or cut off then. */
  sendSnapshot(from: NodeId, to: NodeId, snapshot: StoredSnapshot): Promise<boolean> {
    const [lo, hi] = this.options.snapshotLatency;
    return new Promise((arrived) => {
      const event = { kind: "snapshot", from, to, snapshot, arrived } as const;
      if (!this.#queue.schedule(this.rng.int(lo, hi), event)) arrived(false);
    });
  }

  /** Schedules a node task; tasks (timers, turns, syncs) must never be dropped. */
  schedule(delay: number, event: TaskEvent): void {
    if (!this.#queue.schedule(delay, event)) throw new Error(`The event queue is full: cannot schedule a task`);
  }

  /** Checks a segment a node wrote. */
  appended(node: SimNode, segment: LogEntries): void {
    checkAppended(this.checker, node, segment);
  }

  /** Names the entries of a segment that became durable (log matching). */
  durable(node: SimNode, segment: LogEntries): void {
    this.checker.observeEntries(node.id, segment);
  }

  /** Checks a snapshot a node saved against every other snapshot at that index. */
  snapshotSaved(node: SimNode, snapshot: StoredSnapshot): void {
    this.stats.snapshotsTaken++;
    this.checker.checkSnapshotPosition(node.id, snapshot.position);
    const digest = `${snapshot.data.byteLength}:${crc32(snapshot.data)}`;
    this.checker.observeSnapshot(node.id, snapshot.position.index, digest);
  }

  /** Checks an applied command against every other node's and against the clients' records. */
  applied(node: SimNode, index: number, payload: Uint8Array | string, result: ApplyResult): void {
    this.checker.observeAppliedAt(node.id, index, typeof payload === "string" ? payload : `${payload.length} bytes`);
    this.clients.applied(node, index, payload, result);
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

  async #step(): Promise<void> {
    const event = this.#queue.pop();
    if (event === undefined) throw new Error("The event queue ran dry (every node stopped its timer)");
    this.#steps++;
    this.#guarded(() => this.#dispatch(event));
    await this.#settle();
    if (this.#steps % FULL_CHECK_EVERY === 0) checkAllLogs(this.checker, this.cluster.live());
  }

  /** Runs `fn`; a failed check becomes the run's failure even when a node's code caught it. */
  #guarded(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.#failure ??= error;
    }
  }

  #dispatch(event: SimEvent): void {
    switch (event.kind) {
      case "task":
        this.#task(event);
        break;
      case "deliver":
        this.#deliver(event.from, event.to, event.message);
        break;
      case "snapshot":
        this.#arriveSnapshot(event);
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
      case "steady":
        this.#steady(event.node);
        break;
    }
  }

  #task(event: TaskEvent): void {
    const node = this.cluster.get(event.node);
    if (!node.up || node.incarnation !== event.incarnation || event.task.cancelled) return; // Lost in a crash.
    event.task.fn();
    this.#touched.add(node);
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

  /** A flaky node recovers (a node is flaky at most once at a time, so no epoch is needed). */
  #steady(id: NodeId): void {
    if (!this.network.isFlaky(id)) return; // Already recovered at healing.
    this.network.steady(id);
    this.trace(`${id} is steady again`);
  }

  #deliver(from: NodeId, to: NodeId, message: Message): void {
    this.network.arrived(from, to);
    const node = this.cluster.get(to);
    if (!node.up || !this.network.connected(from, to)) return; // Lost: the receiver is down or cut off.
    if (this.#log !== undefined) this.trace(`${from}>${to} ${formatMessage(message)}`);
    node.deliver(message);
    this.#touched.add(node);
  }

  #arriveSnapshot(event: Extract<SimEvent, { kind: "snapshot" }>): void {
    const { from, to, snapshot } = event;
    const node = this.cluster.get(to);
    if (!node.up || !this.network.connected(from, to) || this.network.lostToFlaky(from, to)) {
      event.arrived(false); // The leader will ask again.
      return;
    }
    const ok = node.core.runtime.handleSnapshot(from, snapshot);
    event.arrived(ok);
    this.trace(`snapshot ${from}>${to} at ${LogPosition.format(snapshot.position)}: ${ok ? "installed" : "refused"}`);
    this.#touched.add(node);
    if (!ok) return;
    this.stats.snapshotsInstalled++;
    if (this.#phase === "chaos" && this.#chaosRng.chance(this.options.crashAfterInstall)) {
      this.stats.crashesAfterInstall++;
      this.#crash(node, this.#chaosRng.int(1, 50));
      this.trace(`crash ${to} right after installing the snapshot`);
    }
  }

  #crash(node: SimNode, downtime: number): void {
    node.crash();
    this.clients.crashed(node);
    this.#queue.schedule(downtime, { kind: "restart", node: node.id, incarnation: node.incarnation });
  }

  #restart(node: SimNode): void {
    node.restart();
    this.trace(`restart ${formatNode(node)}`);
    this.#touched.add(node);
  }

  #client(): void {
    if (this.#phase !== "chaos" && !this.options.healLoad) return; // Clients stop at healing unless told not to.
    if (!this.#clientsOn) return;
    this.clients.issue();
    this.#queue.schedule(this.#chaosRng.int(1, 2 * this.options.proposalInterval), { kind: "client" });
  }

  #chaosTick(): void {
    if (this.#phase !== "chaos") return;
    runChaos(this.#chaos);
    this.#queue.schedule(this.#chaosRng.int(1, 2 * this.options.chaosInterval), { kind: "chaos" });
  }

  /** Lets the promises settled by the step run, then checks every node that processed input. */
  async #settle(): Promise<void> {
    for (let k = 0; k < MICROTASK_ROUNDS; k++) await null;
    if (this.#failure !== undefined) throw this.#failure;
    const leaders = this.cluster.leaders();
    for (const node of this.#touched) {
      if (!node.up) continue;
      checkNode(this.checker, node, leaders);
      this.elections.observe(node);
    }
    this.#touched.clear();
  }

  #chaosContext(): ChaosContext {
    return {
      options: this.options,
      rng: this.#chaosRng,
      network: this.network,
      stats: this.stats,
      cluster: this.cluster,
      crash: (node, downtime) => this.#crash(node, downtime),
      seed: (from, to) => {
        const snapshot = from.latestSnapshot();
        if (snapshot === null) return false;
        void this.sendSnapshot(from.id, to.id, snapshot);
        return true;
      },
      scheduleHeal: (delay) => this.#queue.schedule(delay, { kind: "heal", epoch: ++this.#healEpoch }),
      scheduleSteady: (node, delay) => {
        // A full queue must not leave the node flaky for ever: it recovers at once instead.
        if (!this.#queue.schedule(delay, { kind: "steady", node })) this.network.steady(node);
      },
      touched: (node) => this.#touched.add(node),
      trace: (line) => this.trace(line),
    };
  }

  // ------------------------------------------------------------------ liveness

  async #awaitLiveness(): Promise<void> {
    const budget = this.#livenessBudget();
    this.trace(`liveness: ${budget.steps} steps or ${budget.time} ticks to commit a new write`);
    const start = { steps: this.#steps, now: this.now };
    const stepDeadline = this.#steps + budget.steps;
    const timeDeadline = this.now + budget.time;
    const cap = this.#steps + MAX_LIVENESS_STEPS;
    while ((this.#steps < stepDeadline || this.now < timeDeadline) && this.#steps < cap) {
      await this.#step();
      if (this.#livenessReached()) {
        this.trace("liveness: a write issued after healing is committed and applied on a majority");
        return;
      }
    }
    throw new LivenessFailure(
      `liveness: no new write was committed and applied on a majority within ${this.#steps - start.steps} steps (${this.now - start.now} ticks) after healing\n${this.describeNodes()}`,
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
    const perMessage = o.maxEntriesPerMessage === 0 ? 4096 : o.maxEntriesPerMessage;
    const roundTrips = Math.ceil(Math.max(0, last - commit) / perMessage);
    const roundTrip = 2 * o.latency[1] + 2 * o.storageLatency[1] + o.heartbeatInterval;
    return { steps: o.livenessSteps + 200 * roundTrips, time: roundTrip * roundTrips };
  }

  #livenessReached(): boolean {
    const leader = this.cluster.leader();
    if (leader === undefined) return false;
    const probe = this.#probe;
    if (
      probe === undefined ||
      probe.index === -2 ||
      probe.leader !== leader.id ||
      probe.term !== leader.raft.currentTerm
    ) {
      this.#proposeProbe(leader);
      return false;
    }
    if (probe.index < 0) return false;
    const config = leader.raft.config;
    const applied = (id: NodeId) => {
      const node = this.cluster.get(id);
      return node.up && node.applied >= probe.index;
    };
    const majority = (ids: readonly NodeId[]) => ids.filter(applied).length > ids.length / 2;
    return majority(config.voters) && (!config.isJoint || majority(config.newVoters));
  }

  #proposeProbe(leader: SimNode): void {
    const probe: Probe = { leader: leader.id, term: leader.raft.currentTerm, index: -1 };
    this.#probe = probe;
    const value = `live${++this.#probes}`;
    this.trace(`liveness probe ${value} on ${leader.id}`);
    const incarnation = leader.incarnation;
    leader.core.service.put("probe", value, {}).then((result) => {
      if (leader.incarnation !== incarnation) return;
      probe.index = result.ok ? result.index : -2;
    });
    this.#touched.add(leader);
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
