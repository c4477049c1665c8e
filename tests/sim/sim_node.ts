/**
 * One simulated node process: the node as it ships (the runtime loop with its action executor,
 * the KV state machine, the service facade, built by `createNodeCore`) over simulated ports — the
 * in-memory storage twin whose syncs take simulated time, the simulated network and a virtual
 * clock. A crash abandons the process (nothing it had not synced survives, nobody is answered);
 * a restart builds a new one from the disk.
 */
import type { LogEntries, Message, NodeId, RaftNode } from "../../packages/core/src/mod.ts";
import type { ApplyResult } from "../../src/kv/mod.ts";
import type { Logger } from "../../src/server/logger.ts";
import { createNodeCore, type NodeCore } from "../../src/server/node_core.ts";
import type { StateMachine, StoredSnapshot } from "../../src/server/ports.ts";
import type { RuntimeOptions } from "../../src/server/runtime.ts";
import { MemoryDisk } from "../../src/storage/mod.ts";
import type { SimOptions } from "./options.ts";
import type { Prng } from "./prng.ts";
import { SimClock, type TaskEvent } from "./sim_clock.ts";
import { SimStorage } from "./sim_storage.ts";
import { type NetworkHost, SimTransport, simAddress } from "./sim_transport.ts";

/** What a node needs from the simulation around it. */
export interface NodeHost extends NetworkHost {
  readonly options: SimOptions;
  /** The virtual time. */
  readonly now: number;
  /** Draws storage latencies and the nodes' random numbers. */
  readonly rng: Prng;
  /** Schedules a node task `delay` ticks from now. */
  schedule(delay: number, event: TaskEvent): void;
  /** The node wrote `segment` to its log. */
  appended(node: SimNode, segment: LogEntries): void;
  /** A segment the node wrote earlier is now durable. */
  durable(node: SimNode, segment: LogEntries): void;
  /** The node saved a snapshot. */
  snapshotSaved(node: SimNode, snapshot: StoredSnapshot): void;
  /** The node's state machine applied the command entry at `index`. */
  applied(node: SimNode, index: number, payload: Uint8Array | string, result: ApplyResult): void;
  /** A line from the node's runtime log, or the trace (only with --verbose). */
  trace(line: string): void;
}

/** The runtime settings of the simulated nodes (one tick is one millisecond). */
function runtimeOptions(id: NodeId, o: SimOptions): RuntimeOptions {
  return {
    id,
    electionTimeoutMs: o.electionTimeout[0],
    heartbeatMs: o.heartbeatInterval,
    snapshotEvery: o.snapshotEvery,
    maxPendingProposals: o.maxPendingProposals,
    maxPendingReads: o.maxPendingProposals,
    requestTimeoutMs: o.requestTimeout,
    voteLeaseMs: o.filter === "lease" ? o.electionTimeout[0] : undefined,
    preVote: o.preVote,
    checkQuorum: o.checkQuorum,
    maxInflightMessages: o.maxInflightMessages === 0 ? undefined : o.maxInflightMessages,
    maxUncommittedBytes: o.maxUncommittedBytes === 0 ? undefined : o.maxUncommittedBytes,
  };
}

function traceLogger(id: NodeId, host: NodeHost): Logger {
  const at = (level: string) => (message: string) => host.trace(`${id} ${level} ${message}`);
  return { debug: () => {}, info: at("info"), warn: at("warn"), error: at("error") };
}

/** A node process that can crash (losing unsynced writes) and restart from its disk. */
export class SimNode {
  readonly id: NodeId;
  /** What survives a crash. */
  readonly disk = new MemoryDisk();
  up = true;
  /** Bumped on every crash and restart; events of an older incarnation are ignored. */
  incarnation = 0;
  /** The commit index last checked (commit indexes never decrease within an incarnation). */
  checkedCommit = 0;
  /** The term in which leader completeness was last checked for this node as leader. */
  checkedLeaderTerm = -1;
  readonly #host: NodeHost;
  #core: NodeCore;
  #storage: SimStorage;

  /** A fresh node on an empty disk. */
  constructor(id: NodeId, host: NodeHost) {
    this.id = id;
    this.#host = host;
    const { core, storage } = this.#boot();
    this.#core = core;
    this.#storage = storage;
    if (this.raft.log.lastPosition.index !== 0) throw new Error(`${id}: a fresh disk holds a log`);
  }

  /** The running process; throws if the node is down. */
  get core(): NodeCore {
    if (!this.up) throw new Error(`${this.id} is down`);
    return this.#core;
  }

  /** The core node of the running process. */
  get raft(): RaftNode {
    return this.core.runtime.node;
  }

  /** The state machine's applied index. */
  get applied(): number {
    return this.core.runtime.appliedIndex;
  }

  /** The latest durable snapshot, or null. */
  latestSnapshot(): StoredSnapshot | null {
    return this.#storage.latestSnapshot();
  }

  /** Makes every write durable now, as a bootstrap does before the cluster is used. */
  syncNow(): void {
    this.#storage.syncNow();
  }

  /** A message arrived: the sender's handshake names its address, then the runtime takes it. */
  deliver(message: Message): void {
    this.core.runtime.learnAddress(message.from, simAddress(message.from));
    this.core.runtime.handleMessage(message);
  }

  /** A crash: the process is gone; everything not synced is lost, nobody is answered. */
  crash(): void {
    this.up = false;
    this.incarnation++;
    this.disk.crash();
  }

  /** A restart from the disk: a new process, as the node process would start. */
  restart(): void {
    this.incarnation++;
    const { core, storage } = this.#boot();
    this.#core = core;
    this.#storage = storage;
    this.up = true;
    this.checkedCommit = this.raft.commitIndex;
    this.checkedLeaderTerm = -1;
  }

  #boot(): { core: NodeCore; storage: SimStorage } {
    const host = this.#host;
    const incarnation = this.incarnation;
    const live = () => this.up && this.incarnation === incarnation;
    const storage = new SimStorage(this.id, this.disk, {
      appended: (segment) => host.appended(this, segment),
      durable: (segment) => host.durable(this, segment),
      snapshotSaved: (snapshot) => host.snapshotSaved(this, snapshot),
      scheduleSync: (complete) => {
        const [lo, hi] = host.options.storageLatency;
        const task = { fn: () => live() && complete(), cancelled: false };
        host.schedule(host.rng.int(lo, hi), { kind: "task", node: this.id, incarnation, task });
      },
    });
    const observe = (machine: StateMachine<ApplyResult>): StateMachine<ApplyResult> => ({
      get appliedIndex() {
        return machine.appliedIndex;
      },
      apply: (index, payload) => {
        const result = machine.apply(index, payload);
        host.applied(this, index, payload, result);
        return result;
      },
      skip: (index) => machine.skip(index),
      snapshot: () => machine.snapshot(),
      restore: (data) => machine.restore(data),
      reset: () => machine.reset(),
    });
    const core = createNodeCore(
      { self: { id: this.id, url: simAddress(this.id) }, runtime: runtimeOptions(this.id, host.options), runtimeInfo },
      {
        storage,
        transport: new SimTransport(this.id, host),
        clock: new SimClock(host, this.id, incarnation),
        random: () => host.rng.float(),
        logger: traceLogger(this.id, host),
        decorateMachine: observe,
      },
    );
    core.runtime.start();
    return { core, storage };
  }
}

const runtimeInfo = { name: "node" as const, version: "simulated" };
