/**
 * One simulated node process: a RaftNode plus the runtime around it (the project's in-memory
 * storage twin, held messages, one timer, a state machine). It drains the node's actions after
 * every input and follows the durability contract of `Action`:
 *
 * - term/vote saves and appends go to the log store, which is synced after a random latency
 *   (`beginSync` ... `completeSync`); when a sync completes the node hears
 *   `handleLogDurable(durable position)`;
 * - no message leaves before every term/vote save drained so far is durable;
 * - beyond that the broadcast leaves at once, but every SendMessage waits until every write
 *   drained so far is durable (a reply vouches for the entries it reports);
 * - snapshots are saved (durably, at once) in the snapshot store, once the durable term is at
 *   least the snapshot's (the log store is flushed first if not); then the log store compacts.
 *
 * A crash is `disk.crash()`: everything not synced is lost. A restart reopens the disk with
 * `openMemoryStorage` and rebuilds the node and its state machine from what it recovered.
 */
import {
  type ClusterConfig,
  type LogEntries,
  LogPosition,
  type Message,
  type NodeId,
  type ProposeResult,
  RaftNode,
} from "../../src/core/mod.ts";
import {
  MemoryDisk,
  MemoryLogStore,
  type OpenedStorage,
  openMemoryStorage,
  type Snapshot,
  type SnapshotMeta,
  type SnapshotStore,
} from "../../src/storage/mod.ts";
import { checkSentDurable } from "./durability.ts";
import type { SimOptions } from "./options.ts";
import type { Prng } from "./prng.ts";
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
  /** A write issued after this reply rewrote the log at or below the position it reports. */
  overtaken: boolean;
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

function fatal(message: string, cause: unknown): never {
  throw new Error(`storage stopped the node: ${message} (${cause instanceof Error ? cause.message : String(cause)})`);
}

/** Opens the storage on `disk`; the log store is the twin's, whose syncs can take time. */
function openDisk(disk: MemoryDisk): OpenedStorage & { readonly log: MemoryLogStore } {
  const opened = openMemoryStorage(disk, { onFatal: fatal });
  const log = opened.log;
  if (!(log instanceof MemoryLogStore)) throw new Error("openMemoryStorage returned another log store");
  return { ...opened, log };
}

/** A node process that can crash (losing unsynced writes) and restart from its disk. */
export class SimNode {
  readonly id: NodeId;
  /** What survives a crash. */
  readonly disk = new MemoryDisk();
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
  #log: MemoryLogStore;
  #snapshots: SnapshotStore;
  #timerToken = 0;
  #syncToken = 0;
  /** Write batches drained in this incarnation (each may hold a term/vote save and an append). */
  #written = 0;
  /** Write batches known durable. Invariant: synced <= written. */
  #synced = 0;
  /** Write batches the sync in flight covers; -1 when none is in flight. */
  #covered = -1;
  /** Writes that must be durable before any message leaves: up to the latest term/vote save. */
  #saveThreshold = 0;
  /** Appends not yet reported durable, with the write batch that carried them. */
  #appends: Array<{ readonly write: number; readonly segment: LogEntries }> = [];
  /** When this node last accepted an AppendEntriesCall from its leader (for the lease filter). */
  #leaderContact = Number.NEGATIVE_INFINITY;
  #held: Held[] = [];

  /** A fresh node (RaftNode.start) on an empty disk. */
  constructor(id: NodeId, host: NodeHost) {
    this.id = id;
    this.#host = host;
    const opened = openDisk(this.disk);
    if (!opened.recovered.isNew) throw new Error(`${id}: a fresh disk holds state`);
    this.#log = opened.log;
    this.#snapshots = opened.snapshots;
    this.raft = RaftNode.start(id, this.#raftOptions());
    this.sm = StateMachine.restore(opened.snapshot);
  }

  /** The latest durable snapshot, or null. */
  latestSnapshot(): Snapshot | null {
    return this.#snapshots.latest();
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
   * The disruptive-request filter. With `core` (the default, as the node runtime does) it is the
   * core's predicate alone. With `lease` the predicate is trusted on a follower only within the
   * minimum election timeout of hearing from its leader, which lets some disruptive requests
   * through: a follower that knows a leader then handles a higher-term RequestVoteCall.
   */
  #isDisruptive(message: Message): boolean {
    if (!this.raft.couldBeDisruptiveRequestVote(message)) return false;
    if (this.#host.options.filter === "core" || this.raft.role === "leader") return true;
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
    this.#ensureSync();
  }

  /** The sync started with `token` completed: release what waited for it and tell the node. */
  completeSync(token: number): void {
    if (token !== this.#syncToken) return; // Completed early (see syncNow).
    this.#finishSync();
    this.#reportDurable();
  }

  /**
   * Installs `snapshot` received from the leader: saves it, compacts the log to it, tells the
   * node, and resets the state machine. Returns false if the node does not need it.
   */
  installSnapshot(snapshot: Snapshot): boolean {
    const at = snapshot.meta.position;
    if (at.index <= this.raft.commitIndex || this.raft.role === "leader") return false; // Stale, or we lead.
    this.#storeSnapshot(snapshot.meta, snapshot.data);
    if (at.index > this.sm.lastApplied) this.sm = StateMachine.restore(snapshot);
    return true;
  }

  /** Local compaction: snapshots the state machine at its last applied index. */
  compact(): void {
    const at = this.raft.log.getPositionAndConfig(this.sm.lastApplied);
    if (at === undefined) throw new Error(`${this.id} cannot snapshot at ${this.sm.lastApplied}: not in its log`);
    this.#storeSnapshot(at, this.sm.toBytes());
  }

  /** Makes every write durable now (an fsync), as a bootstrap does before the node serves. */
  syncNow(): void {
    this.#flush();
    this.#reportDurable();
  }

  /** A crash: everything not synced, held messages and the timer are lost. */
  crash(): void {
    this.up = false;
    this.incarnation++;
    this.disk.crash();
    this.#held = [];
  }

  /** A restart from the disk, with the generation the storage recovered. */
  restart(): void {
    const opened = openDisk(this.disk);
    this.#log = opened.log;
    this.#snapshots = opened.snapshots;
    this.#written = 0;
    this.#synced = 0;
    this.#covered = -1;
    this.#saveThreshold = 0;
    this.#appends = [];
    this.#held = [];
    const { hardState, generation, log } = opened.recovered;
    this.raft = RaftNode.restart(this.id, generation, hardState.term, hardState.votedFor, log, this.#raftOptions());
    this.sm = StateMachine.restore(opened.snapshot);
    if (this.sm.lastApplied !== this.raft.log.snapshotPosition.index) {
      throw new Error(
        `${this.id} recovered a snapshot at ${this.sm.lastApplied} but a log compacted to ${this.raft.log.snapshotPosition.index}`,
      );
    }
    this.up = true;
    this.incarnation++;
    this.checkedCommit = this.raft.commitIndex;
    this.checkedLeaderTerm = -1;
    this.#leaderContact = Number.NEGATIVE_INFINITY;
    this.drain();
  }

  #raftOptions(): { trackDurableIndex: boolean; maxEntriesPerMessage?: number } {
    const max = this.#host.options.maxEntriesPerMessage;
    return max === 0 ? { trackDurableIndex: true } : { trackDurableIndex: true, maxEntriesPerMessage: max };
  }

  /**
   * Saves a snapshot durably, buffers the log's compaction to it (synced with the next batch; a
   * crash before that is finished when the disk is reopened), and tells the node. The snapshot
   * store is not ordered with the log store's records, so if the durable term is below the
   * snapshot's, the log store is flushed first: a crash must not leave a snapshot of a term the
   * durable hard state does not know (the log would hold an entry from a future term).
   */
  #storeSnapshot(meta: SnapshotMeta, data: Uint8Array): void {
    const commitBefore = this.raft.commitIndex;
    if (this.disk.hardState.term < meta.position.term) this.#flush();
    const replaceLog = !this.raft.log.entries.contains(meta.position);
    this.#snapshots.save(meta, data);
    this.#log.compact(meta, { replaceLog });
    if (replaceLog) for (const held of this.#held) held.overtaken = true;
    if (!this.raft.handleSnapshotInstalled(meta.position, meta.config)) {
      throw new Error(`${this.id}: the core refused snapshot ${LogPosition.format(meta.position)} after it was stored`);
    }
    this.#snapshots.prune(meta.position);
    this.raft.handleLogDurable(this.#log.durablePosition);
    this.afterInput(commitBefore);
  }

  /** Makes every write drained so far durable now: completes the sync in flight early, then syncs the rest. */
  #flush(): void {
    if (this.#log.syncInFlight) {
      this.#syncToken++; // Its scheduled completion is void.
      this.#finishSync();
    }
    if (this.#log.hasPending) {
      this.#beginSync();
      this.#finishSync();
    }
  }

  #write(batch: Batch): void {
    if (!batch.term && !batch.vote && batch.append === null) return;
    if (batch.term || batch.vote)
      this.#log.saveHardState({ term: this.raft.currentTerm, votedFor: this.raft.votedFor });
    this.#written++;
    if (this.#written - this.#synced > UNSYNCED_CAPACITY)
      throw new Error(`${UNSYNCED_CAPACITY} unsynced writes: syncs have stalled`);
    const append = batch.append;
    if (append === null) return;
    this.#log.append(append);
    this.#appends.push({ write: this.#written, segment: append });
    for (const held of this.#held) {
      if (held.message.type === "AppendEntriesReply" && held.message.lastPosition.index > append.prevIndex)
        held.overtaken = true;
    }
    this.#host.appended(this, append);
  }

  /**
   * Sends or holds the batch's messages. The broadcast waits for every term/vote save drained so
   * far (a sole voter becomes leader without any message, so its first broadcasts can come in a
   * later batch than its unsynced term); SendMessage waits for every write drained so far.
   */
  #sendMessages(batch: Batch): void {
    this.#settleIfIdle();
    const threshold = this.#written;
    if (batch.term || batch.vote) this.#saveThreshold = threshold;
    if (batch.broadcast !== null) {
      const wait = this.#synced < this.#saveThreshold;
      for (const to of this.raft.peers) this.#sendOrHold(wait, this.#saveThreshold, to, batch.broadcast);
    }
    const durable = this.#synced >= threshold;
    for (const [to, message] of batch.sends) this.#sendOrHold(!durable, threshold, to, message);
  }

  #sendOrHold(wait: boolean, threshold: number, to: NodeId, message: Message): void {
    if (!wait) {
      this.#send(to, message, false);
      return;
    }
    if (this.#held.length >= HELD_CAPACITY) this.#held.shift(); // Bounded: the oldest is dropped.
    this.#held.push({ threshold, to, message, overtaken: false });
  }

  #send(to: NodeId, message: Message, overtaken: boolean): void {
    checkSentDurable(this.id, this.disk, to, message, overtaken);
    this.#host.send(this.id, to, message);
  }

  #release(): void {
    const synced = this.#synced;
    let k = 0;
    while (k < this.#held.length && this.#held[k].threshold <= synced) {
      const held = this.#held[k++];
      this.#send(held.to, held.message, held.overtaken);
    }
    if (k > 0) this.#held.splice(0, k);
  }

  /** With no sync in flight and nothing buffered, every write drained so far is durable (or was a no-op). */
  #settleIfIdle(): void {
    if (!this.#log.syncInFlight && !this.#log.hasPending) this.#markSynced(this.#written);
  }

  #markSynced(upTo: number): void {
    if (upTo <= this.#synced) return;
    this.#synced = upTo;
    let k = 0;
    while (k < this.#appends.length && this.#appends[k].write <= upTo)
      this.#host.durable(this, this.#appends[k++].segment);
    if (k > 0) this.#appends.splice(0, k);
    this.#release();
  }

  #beginSync(): void {
    this.#log.beginSync();
    this.#covered = this.#written;
  }

  /** Completes the sync in flight: its writes are durable (and any no-op writes made since). */
  #finishSync(): void {
    this.#log.completeSync();
    const covered = this.#covered;
    this.#covered = -1;
    this.#markSynced(this.#log.hasPending ? covered : this.#written);
  }

  /** Tells the node how far its log is durable, drains, and starts the next sync. */
  #reportDurable(): void {
    const commitBefore = this.raft.commitIndex;
    this.raft.handleLogDurable(this.#log.durablePosition);
    this.afterInput(commitBefore);
  }

  #ensureSync(): void {
    if (this.#log.syncInFlight) return;
    if (!this.#log.hasPending) {
      this.#markSynced(this.#written);
      return;
    }
    this.#beginSync();
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
