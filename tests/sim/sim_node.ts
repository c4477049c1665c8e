/**
 * One simulated node process: a RaftNode plus the runtime around it (storage with unsynced
 * writes, held messages, one timer, a state machine). It drains the node's actions after every
 * input and follows the durability contract of `Action`:
 *
 * - storage actions are written to the unsynced part and synced after a random latency; when a
 *   sync completes the node hears `handleLogDurable(last written position)`;
 * - if the batch saved the term or the vote, none of its messages leaves before that is durable;
 * - otherwise the broadcast leaves at once, but every SendMessage waits until every write drained
 *   so far is durable (a reply vouches for the entries it reports).
 */
import {
  ClusterConfig,
  Generation,
  type LogEntries,
  type LogPosition,
  type Message,
  type NodeId,
  type ProposeResult,
  RaftNode,
} from "../../src/core/mod.ts";
import type { SimOptions } from "./options.ts";
import type { Prng } from "./prng.ts";
import { SimStorage, type Snapshot } from "./sim_storage.ts";
import { StateMachine } from "./state_machine.ts";

/** Events a node schedules for itself. */
export type NodeEvent =
  | { readonly kind: "timer"; readonly node: NodeId; readonly incarnation: number; readonly token: number }
  | { readonly kind: "sync"; readonly node: NodeId; readonly incarnation: number; readonly token: number };

/** What a node needs from the simulation around it. */
export interface NodeHost {
  readonly options: SimOptions;
  /** The virtual time. */
  readonly now: number;
  /** Draws timer durations and storage latencies. */
  readonly rng: Prng;
  /** Hands a message to the network. */
  send(from: NodeId, to: NodeId, message: Message): void;
  /** Schedules a node event `delay` ticks from now. */
  schedule(delay: number, event: NodeEvent): void;
  /** The node emitted InstallSnapshot(to). */
  requestSnapshot(from: SimNode, to: NodeId): void;
  /** The node wrote `segment` to its log (checked for log matching and committed entries). */
  appended(node: SimNode, segment: LogEntries): void;
  /** A segment the node wrote earlier is now durable. */
  durable(node: SimNode, segment: LogEntries): void;
  /** One line of the trace (only with --verbose). */
  trace(line: string): void;
}

interface Held {
  /** Released once this many writes are durable. */
  readonly threshold: number;
  readonly to: NodeId;
  readonly message: Message;
}

interface Batch {
  timer: boolean;
  term: boolean;
  vote: boolean;
  broadcast: Message | null;
  append: LogEntries | null;
  sends: Array<[NodeId, Message]>;
  installs: NodeId[];
}

/** Bounds of the per-node queues. */
const HELD_CAPACITY = 256;
const UNSYNCED_CAPACITY = 4096;

function collect(node: RaftNode): Batch {
  const batch: Batch = {
    timer: false,
    term: false,
    vote: false,
    broadcast: null,
    append: null,
    sends: [],
    installs: [],
  };
  for (const action of node.actions) {
    switch (action.type) {
      case "SetElectionTimeout":
        batch.timer = true;
        break;
      case "SaveCurrentTerm":
        batch.term = true;
        break;
      case "SaveVotedFor":
        batch.vote = true;
        break;
      case "BroadcastMessage":
        batch.broadcast = action.message;
        break;
      case "AppendLogEntries":
        batch.append = action.entries;
        break;
      case "SendMessage":
        batch.sends.push([action.destination, action.message]);
        break;
      case "InstallSnapshot":
        batch.installs.push(action.destination);
        break;
    }
  }
  return batch;
}

/** A node process that can crash (losing unsynced writes) and restart from durable storage. */
export class SimNode {
  readonly id: NodeId;
  readonly storage: SimStorage;
  raft: RaftNode;
  sm: StateMachine;
  up = true;
  /** Bumped on every crash and restart; events of an older incarnation are ignored. */
  incarnation = 0;
  /** The commit index last checked (commit indexes never decrease within an incarnation). */
  checkedCommit = 0;
  /** The term in which leader completeness was last checked for this node as leader. */
  checkedLeaderTerm = -1;
  readonly #host: NodeHost;
  #timerToken = 0;
  #syncToken = 0;
  /** Writes that must be durable before any message leaves: up to the latest term/vote save. */
  #saveThreshold = 0;
  /** When this node last accepted an AppendEntriesCall from its leader. */
  #leaderContact = Number.NEGATIVE_INFINITY;
  #held: Held[] = [];

  /** A fresh node (RaftNode.start) with empty storage. */
  constructor(id: NodeId, host: NodeHost) {
    this.id = id;
    this.#host = host;
    this.storage = new SimStorage(ClusterConfig.EMPTY, UNSYNCED_CAPACITY);
    this.raft = RaftNode.start(id, this.#raftOptions());
    this.sm = new StateMachine(this.storage.snapshot);
  }

  /** Hands `message` to the node, unless it is a disruptive RequestVoteCall (dropped). */
  deliver(message: Message): void {
    if (this.#isDisruptive(message)) return;
    const commitBefore = this.raft.commitIndex;
    this.raft.handleMessage(message);
    if (message.type === "AppendEntriesCall" && this.raft.leaderId === message.from)
      this.#leaderContact = this.#host.now;
    this.afterInput(commitBefore);
  }

  /**
   * The disruptive-request filter. With `always` it is the core's predicate alone (raftbare's
   * harness). With `lease` (Raft thesis §4.2.3) the predicate is trusted only while this node
   * leads or heard from its leader within the minimum election timeout: a node that cannot
   * campaign never re-arms its timer, so its leader knowledge would otherwise never expire.
   */
  #isDisruptive(message: Message): boolean {
    if (!this.raft.couldBeDisruptiveRequestVote(message)) return false;
    if (this.#host.options.filter === "always" || this.raft.role === "leader") return true;
    return this.#host.now - this.#leaderContact < this.#host.options.electionTimeout[0];
  }

  /** The timer armed with `token` expired. */
  fireTimer(token: number): void {
    if (token !== this.#timerToken) return; // Re-armed since: this expiry was cancelled.
    const commitBefore = this.raft.commitIndex;
    this.raft.handleElectionTimeout();
    this.afterInput(commitBefore);
  }

  /** Proposes a command (refused unless this node leads). */
  propose(payload: string): ProposeResult {
    const commitBefore = this.raft.commitIndex;
    const result = this.raft.proposeCommand(payload);
    this.afterInput(commitBefore);
    return result;
  }

  /** Proposes a configuration; returns false if the node refused it. */
  proposeConfig(config: ClusterConfig): boolean {
    const commitBefore = this.raft.commitIndex;
    const result = this.raft.proposeConfig(config);
    this.afterInput(commitBefore);
    return result.ok;
  }

  /** After any input: a leader whose commit advanced heartbeats at once, then actions are drained. */
  afterInput(commitBefore: number): void {
    if (this.raft.role === "leader" && this.raft.commitIndex > commitBefore) this.raft.heartbeat();
    this.drain();
  }

  /** Executes every pending action of the node. */
  drain(): void {
    const batch = collect(this.raft);
    this.#write(batch);
    this.#sendMessages(batch);
    for (const to of batch.installs) this.#host.requestSnapshot(this, to);
    if (batch.timer) this.#armTimer();
  }

  /** The sync started with `token` completed: release what waited for it and tell the node. */
  completeSync(token: number): void {
    if (token !== this.#syncToken) return; // A flush overtook this sync.
    const position = this.#madeDurable(this.storage.completeSync());
    this.#release();
    const commitBefore = this.raft.commitIndex;
    if (position !== undefined) this.raft.handleLogDurable(position);
    this.afterInput(commitBefore);
    this.#ensureSync();
  }

  /**
   * Installs `snapshot` received from the leader: flushes the log, stores the snapshot durably,
   * tells the node, and resets the state machine. Returns false if the node refused it.
   */
  installSnapshot(snapshot: Snapshot): boolean {
    if (snapshot.position.index <= this.raft.commitIndex) return false; // Nothing new in it.
    const ok = this.#storeSnapshot(snapshot);
    if (ok && snapshot.position.index > this.sm.lastApplied) this.sm = new StateMachine(snapshot);
    return ok;
  }

  /** Local compaction: snapshots the state machine at its last applied index. */
  compact(): void {
    const at = this.raft.log.getPositionAndConfig(this.sm.lastApplied);
    if (at === undefined) throw new Error(`${this.id} cannot snapshot at ${this.sm.lastApplied}: not in its log`);
    const snapshot: Snapshot = { position: at.position, config: at.config, applied: this.sm.applied.slice() };
    if (!this.#storeSnapshot(snapshot)) {
      throw new Error(`${this.id} refused local compaction at ${at.position.term}/${at.position.index}`);
    }
  }

  /** Makes every write durable now (an fsync), as a bootstrap does before the node serves. */
  syncNow(): void {
    const commitBefore = this.raft.commitIndex;
    const durable = this.#flush();
    if (durable !== undefined) this.raft.handleLogDurable(durable);
    this.afterInput(commitBefore);
  }

  /** Reports appends that became durable; returns the last position written, if any. */
  #madeDurable(appends: readonly LogEntries[]): LogPosition | undefined {
    for (const segment of appends) this.#host.durable(this, segment);
    return appends.length === 0 ? undefined : appends[appends.length - 1].lastPosition;
  }

  #flush(): LogPosition | undefined {
    const durable = this.#madeDurable(this.storage.flush());
    this.#syncToken++; // Cancels the sync in flight: the flush covered it.
    this.#release();
    return durable;
  }

  /** An fsync of the log, then the snapshot written durably, then the node told about both. */
  #storeSnapshot(snapshot: Snapshot): boolean {
    const commitBefore = this.raft.commitIndex;
    const durable = this.#flush();
    const ok = this.raft.handleSnapshotInstalled(snapshot.position, snapshot.config);
    if (ok) this.storage.storeSnapshot(snapshot, this.raft.log.entries.clone());
    if (durable !== undefined) this.raft.handleLogDurable(durable);
    this.afterInput(commitBefore);
    return ok;
  }

  /** A crash: unsynced writes, held messages and the timer are lost. */
  crash(): void {
    this.up = false;
    this.incarnation++;
    this.storage.crash();
    this.#held = [];
  }

  /** A restart from durable storage, with the next generation. */
  restart(): void {
    const restored = this.storage.restore();
    const generation = Generation.of(this.raft.generation + 1);
    this.raft = RaftNode.restart(
      this.id,
      generation,
      restored.term,
      restored.votedFor,
      restored.log,
      this.#raftOptions(),
    );
    this.sm = new StateMachine(restored.snapshot);
    this.up = true;
    this.incarnation++;
    this.checkedCommit = this.raft.commitIndex;
    this.checkedLeaderTerm = -1;
    this.#saveThreshold = 0;
    this.#leaderContact = Number.NEGATIVE_INFINITY;
    this.drain();
  }

  #raftOptions(): { trackDurableIndex: boolean; maxEntriesPerMessage?: number } {
    const max = this.#host.options.maxEntriesPerMessage;
    return max === 0 ? { trackDurableIndex: true } : { trackDurableIndex: true, maxEntriesPerMessage: max };
  }

  #write(batch: Batch): void {
    if (!batch.term && !batch.vote && batch.append === null) return;
    this.storage.write({
      term: batch.term ? this.raft.currentTerm : undefined,
      votedFor: batch.vote ? this.raft.votedFor : undefined,
      append: batch.append ?? undefined,
    });
    if (batch.append !== null) this.#host.appended(this, batch.append);
    this.#ensureSync();
  }

  /**
   * Sends or holds the batch's messages. SendMessage waits for every write drained so far. The
   * broadcast waits for the term/vote saves of its own batch (`batch` rule, the wording of the
   * Action contract), or for every term/vote save drained so far (`strict` rule, the default): a
   * sole voter becomes leader without any message, so its first broadcasts can come in a later
   * batch than its unsynced term.
   */
  #sendMessages(batch: Batch): void {
    const threshold = this.storage.written;
    if (batch.term || batch.vote) this.#saveThreshold = threshold;
    const durable = this.storage.synced >= threshold;
    if (batch.broadcast !== null) {
      const strict = this.#host.options.saveRule === "strict";
      const wait = strict ? this.storage.synced < this.#saveThreshold : (batch.term || batch.vote) && !durable;
      for (const to of this.raft.peers) this.#sendOrHold(wait, threshold, to, batch.broadcast);
    }
    for (const [to, message] of batch.sends) this.#sendOrHold(!durable, threshold, to, message);
  }

  #sendOrHold(wait: boolean, threshold: number, to: NodeId, message: Message): void {
    if (!wait) {
      this.#host.send(this.id, to, message);
      return;
    }
    if (this.#held.length >= HELD_CAPACITY) this.#held.shift(); // Bounded: the oldest is dropped.
    this.#held.push({ threshold, to, message });
  }

  #release(): void {
    const synced = this.storage.synced;
    let k = 0;
    while (k < this.#held.length && this.#held[k].threshold <= synced) {
      const held = this.#held[k++];
      this.#host.send(this.id, held.to, held.message);
    }
    if (k > 0) this.#held.splice(0, k);
  }

  #ensureSync(): void {
    if (!this.storage.beginSync()) return;
    const [lo, hi] = this.#host.options.storageLatency;
    const event = { kind: "sync", node: this.id, incarnation: this.incarnation, token: ++this.#syncToken } as const;
    this.#host.schedule(this.#host.rng.int(lo, hi), event);
  }

  #armTimer(): void {
    this.#timerToken++;
    const [lo, hi] = this.#host.options.electionTimeout;
    const delay = this.raft.role === "leader" ? this.#host.options.heartbeatInterval : this.#host.rng.int(lo, hi);
    this.#host.schedule(delay, {
      kind: "timer",
      node: this.id,
      incarnation: this.incarnation,
      token: this.#timerToken,
    });
  }
}
