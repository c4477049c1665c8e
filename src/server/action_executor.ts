/**
 * The action executor: performs a node's actions over the storage and transport ports under the
 * durability contract of the core's `Action` — the one implementation of that contract, used by
 * the node process and by the simulator alike.
 *
 * - Every batch's writes (term/vote save, append) go to storage, and one sync at a time makes
 *   everything buffered durable (group commit); when a sync completes, the node hears how far its
 *   log is durable.
 * - A broadcast leaves as soon as every term/vote save drained so far is durable (a leader
 *   replicates while it writes, Raft thesis §10.2.1); every other message waits until every write
 *   drained so far is durable (a reply vouches for the entries it reports).
 * - A message waiting for durability whose reported entries a later write overwrites is dropped:
 *   it would vouch for entries that are no longer there.
 *
 * With the file store a sync writes its batch and returns; its fdatasync runs off the event loop
 * and the messages waiting for it leave when it completes (the simulator's storage twin takes
 * simulated time instead). Meanwhile the node keeps running: new writes buffer for the next sync,
 * and a leader's broadcasts leave at once. `flushNow()` is the blocking path for the callers that
 * need durability before they go on (it completes a sync in flight with a blocking flush).
 */
import {
  type ActionBatch,
  type AppendEntriesCall,
  type LogPosition,
  type Message,
  type NodeId,
  payloadBytes,
  type RaftNode,
} from "../../packages/core/src/mod.ts";
import type { RuntimeStorage, RuntimeTransport } from "./ports.ts";

/** Command payload bytes per AppendEntriesCall (frames are limited to 8 MiB on the wire). */
export const MAX_MESSAGE_PAYLOAD_BYTES = 1024 * 1024;
/** Messages that may wait for a sync; past this the oldest is dropped (Raft tolerates loss). */
const HELD_CAPACITY = 1024;

/** What the executor tells the runtime around it. */
export interface ExecutorHooks {
  /** The node asked for its timer to be re-armed (SetElectionTimeout). */
  armTimer(): void;
  /** The node asked for a snapshot to be sent to `to` (InstallSnapshot). */
  sendSnapshot(to: NodeId): void;
  /** A sync completed: the log is durable up to `position` (report it to the node, run a turn). */
  durable(position: LogPosition | null): void;
  /** An AppendEntriesCall with `entries` entries went to the transport for `recipients` peers (metrics). */
  sentAppendEntries?(entries: number, recipients: number): void;
  /** A sync started (it is in flight until `durable` is called or `flushNow` completes it). */
  syncStarted?(): void;
}

/** Messages waiting until `threshold` writes are durable. */
interface Held {
  readonly threshold: number;
  readonly to: readonly NodeId[];
  readonly message: Message;
}

/** Executes one node's action batches over storage and transport. */
export class ActionExecutor {
  readonly #storage: RuntimeStorage;
  readonly #transport: RuntimeTransport;
  readonly #hooks: ExecutorHooks;
  /** Write batches issued. */
  #written = 0;
  /** Write batches known durable. Invariant: synced <= written. */
  #synced = 0;
  /** Writes that must be durable before any message leaves: up to the latest term/vote save. */
  #saveThreshold = 0;
  /** The writes the sync in flight covers; -1 when no sync is in flight. */
  #covered = -1;
  /** Appends not yet durable, with the write that carried them. */
  #appends: Array<{ readonly write: number; readonly last: LogPosition }> = [];
  #held: Held[] = [];
  /** The highest commit index sent in a broadcast. */
  #sentCommit = 0;

  /** An executor with nothing written yet (one per opened storage). */
  constructor(storage: RuntimeStorage, transport: RuntimeTransport, hooks: ExecutorHooks) {
    this.#storage = storage;
    this.#transport = transport;
    this.#hooks = hooks;
  }

  /** The highest commit index this node has sent to followers in a broadcast. */
  get sentCommit(): number {
    return this.#sentCommit;
  }

  /** True iff a sync is in flight. */
  get syncing(): boolean {
    return this.#covered >= 0;
  }

  /**
   * Takes every pending action of `node` and performs it. A storage error (a failed write)
   * propagates: nothing of the batch was acknowledged, and the runtime must reopen storage.
   */
  execute(node: RaftNode): void {
    const batch = node.actions.take();
    if (batch.setElectionTimeout) this.#hooks.armTimer();
    this.#write(node, batch);
    this.#sendMessages(node, batch);
    for (const to of batch.installSnapshots) this.#hooks.sendSnapshot(to);
    this.#ensureSync();
  }

  /** Makes everything written so far durable now (and releases what waited for it). */
  flushNow(): void {
    if (!this.syncing && !this.#storage.hasPending) return;
    this.#storage.syncNow(); // Completes a sync in flight first (its callback runs).
    this.#markSynced(this.#written);
    this.#covered = -1;
    this.#hooks.durable(this.#lastDurable);
  }

  #lastDurable: LogPosition | null = null;

  #write(node: RaftNode, batch: ActionBatch): void {
    const hardState = batch.saveCurrentTerm || batch.saveVotedFor;
    const append = batch.appendLogEntries;
    if (!hardState && append === null) return;
    if (hardState) this.#storage.saveHardState(node.currentTerm, node.votedFor);
    if (append !== null) this.#storage.append(append);
    this.#written++;
    if (hardState) this.#saveThreshold = this.#written;
    if (append === null) return;
    this.#appends.push({ write: this.#written, last: append.lastPosition });
    // A waiting reply that reports entries this append overwrites would vouch for entries that are gone.
    this.#held = this.#held.filter(
      (h) => h.message.type !== "AppendEntriesReply" || h.message.lastPosition.index <= append.prevIndex,
    );
  }

  #sendMessages(node: RaftNode, batch: ActionBatch): void {
    this.#settleIfIdle();
    const broadcast = batch.broadcastMessage;
    if (broadcast !== null) {
      if (broadcast.type === "AppendEntriesCall") this.#shape(broadcast);
      const except = batch.broadcastExcept;
      const peers = except.length === 0 ? node.peers : node.peers.filter((id) => !except.includes(id));
      if (peers.length > 0) this.#sendOrHold(this.#saveThreshold, peers, broadcast);
    }
    for (const [to, message] of batch.sendMessages) this.#sendOrHold(this.#written, [to], message);
  }

  #sendOrHold(threshold: number, to: readonly NodeId[], message: Message): void {
    if (this.#synced >= threshold) {
      this.#send(to, message);
      return;
    }
    if (this.#held.length >= HELD_CAPACITY) this.#held.shift(); // Bounded: the oldest is dropped.
    this.#held.push({ threshold, to, message });
  }

  #send(to: readonly NodeId[], message: Message): void {
    if (message.type === "AppendEntriesCall") this.#hooks.sentAppendEntries?.(message.entries.length, to.length);
    if (to.length === 1) this.#transport.send(to[0], message);
    else this.#transport.broadcast(to, message);
  }

  /** Truncates a broadcast to the per-message payload budget (the rest follows on catch-up). */
  #shape(call: AppendEntriesCall): void {
    capEntries(call);
    if (call.commitIndex > this.#sentCommit) this.#sentCommit = call.commitIndex;
  }

  /** With no sync in flight and nothing buffered, every write so far is durable (or was empty). */
  #settleIfIdle(): void {
    if (!this.syncing && !this.#storage.hasPending) this.#markSynced(this.#written);
  }

  #ensureSync(): void {
    if (this.syncing) return;
    if (!this.#storage.hasPending) {
      this.#markSynced(this.#written);
      return;
    }
    const covered = this.#written;
    this.#covered = covered;
    this.#hooks.syncStarted?.();
    try {
      this.#storage.sync(() => this.#syncDone(covered));
    } catch (error) {
      this.#covered = -1; // The write failed: no sync is in flight (the runtime reopens storage).
      throw error;
    }
  }

  #syncDone(covered: number): void {
    if (this.#covered !== covered) return; // Completed already (by flushNow).
    this.#covered = -1;
    this.#markSynced(this.#storage.hasPending ? covered : this.#written);
    this.#hooks.durable(this.#lastDurable);
  }

  #markSynced(upTo: number): void {
    if (upTo <= this.#synced) return;
    this.#synced = upTo;
    let k = 0;
    while (k < this.#appends.length && this.#appends[k].write <= upTo) this.#lastDurable = this.#appends[k++].last;
    if (k > 0) this.#appends.splice(0, k);
    this.#release();
  }

  #release(): void {
    let k = 0;
    while (k < this.#held.length && this.#held[k].threshold <= this.#synced) {
      const held = this.#held[k++];
      this.#send(held.to, held.message);
    }
    if (k > 0) this.#held.splice(0, k);
  }
}

/** Truncates a broadcast's entries to {@link MAX_MESSAGE_PAYLOAD_BYTES} of payload (at least one entry). */
function capEntries(call: AppendEntriesCall): void {
  const entries = call.entries;
  if (entries.length <= 1) return;
  let bytes = 0;
  let k = 0;
  for (const entry of entries.entries()) {
    bytes += payloadBytes(entry);
    if (bytes > MAX_MESSAGE_PAYLOAD_BYTES && k > 0) {
      entries.truncate(k);
      return;
    }
    k++;
  }
}
