/**
 * The node runtime: one event loop that feeds the core, executes its actions and applies
 * committed entries. Inputs (peer messages, timer fires, proposals, reads, snapshots) change the
 * core at once; a flush scheduled for the next turn of the event loop then drains every pending
 * action as one batch: term/vote and entries are written and made durable with a single fdatasync
 * (group commit) before any message that depends on them leaves; a leader's broadcast leaves
 * before its own fsync (the core counts the leader's log toward commit only once it is durable).
 */
import { setImmediate } from "node:timers";
import {
  type AppendEntriesCall,
  ClusterConfig,
  Generation,
  Log,
  type LogEntries,
  LogPosition,
  type Message,
  type NodeId,
  payloadBytes,
  RaftNode,
} from "../core/mod.ts";
import { StorageError } from "../storage/mod.ts";
import type { Clock, TimerHandle } from "./clock.ts";
import { ElectionTimer } from "./election_timer.ts";
import type { Logger } from "./logger.ts";
import type { RuntimeStorage, RuntimeTransport, StateMachine, StoredSnapshot } from "./ports.ts";
import { type ProposalOutcome, ProposalTracker } from "./proposal_tracker.ts";
import { ReadBarrier, type ReadOutcome } from "./read_barrier.ts";

/** Settings of the runtime loop. */
export interface RuntimeOptions {
  readonly id: NodeId;
  readonly electionTimeoutMs: number;
  readonly heartbeatMs: number;
  /** Take a snapshot (and compact the log) every this many applied entries. */
  readonly snapshotEvery: number;
  readonly maxPendingProposals: number;
  readonly maxPendingReads: number;
  /** How long a proposal or a read may wait. */
  readonly requestTimeoutMs: number;
}

/** Collaborators of the runtime. */
export interface RuntimeDeps<R> {
  readonly storage: RuntimeStorage;
  readonly transport: RuntimeTransport;
  readonly stateMachine: StateMachine<R>;
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: Logger;
  /** Called after entries were applied (e.g. to refresh the address book from the state machine). */
  readonly onApplied?: (appliedIndex: number) => void;
  /** Resolves a peer's URL (address book); undefined if unknown. */
  readonly resolveUrl: (id: NodeId) => string | undefined;
}

/** The outcome of a proposal submitted to the runtime. */
export type SubmitOutcome<R> = ProposalOutcome<R> | { readonly kind: "not_leader" } | { readonly kind: "overloaded" };

/** Entries applied per flush before yielding to the event loop. */
const APPLY_BATCH = 5000;
/** After streaming a snapshot to a peer, wait this long before streaming another one to it. */
const SNAPSHOT_COOLDOWN_MS = 1000;
/** Senders outside our configuration that we keep links to. */
const MAX_CONTACTS = 32;
/** Retry delays for reopening storage after a failed write. */
const RECOVERY_MIN_MS = 500;
const RECOVERY_MAX_MS = 10_000;
/** Command payload bytes per AppendEntriesCall (frames are limited to 8 MiB on the wire). */
export const MAX_MESSAGE_PAYLOAD_BYTES = 1024 * 1024;
/** Payload bytes one flush (one group commit) may write; storage refuses much larger batches. */
const MAX_BATCH_BYTES = 16 * 1024 * 1024;
/** Entries per catch-up AppendEntriesCall. */
const MAX_MESSAGE_ENTRIES = 4096;

/** One Raft node's event loop. */
export class RaftRuntime<R> {
  readonly #options: RuntimeOptions;
  readonly #deps: RuntimeDeps<R>;
  readonly #timer: ElectionTimer;
  readonly #proposals: ProposalTracker<R>;
  readonly #reads: ReadBarrier;
  #node: RaftNode;
  #flushScheduled = false;
  #stopped = false;
  /** True while storage is failing: the node is down until storage reopens. */
  #down = false;
  #recoveryTimer: TimerHandle | null = null;
  #recoveryDelayMs = RECOVERY_MIN_MS;
  /** Highest commit index sent to followers in a broadcast. */
  #sentCommit = 0;
  #commitNoticeScheduled = false;
  #peerKey = "";
  #roleKey = "";
  /** Payload bytes taken in since the last flush. */
  #batchBytes = 0;
  readonly #snapshotSends = new Map<NodeId, number>();
  /**
   * Nodes that sent us messages. We dial them too, so replies reach nodes outside our latest
   * configuration (a fresh node answering the candidate that bootstraps it). Bounded.
   */
  readonly #contacts = new Set<NodeId>();

  /** Creates the runtime and rebuilds the node from what storage recovered. */
  constructor(options: RuntimeOptions, deps: RuntimeDeps<R>) {
    this.#options = options;
    this.#deps = deps;
    const settings = { electionTimeoutMs: options.electionTimeoutMs, heartbeatMs: options.heartbeatMs };
    this.#timer = new ElectionTimer(deps.clock, deps.random, settings, () => this.#onTimer());
    this.#proposals = new ProposalTracker(options.maxPendingProposals, deps.clock, options.requestTimeoutMs);
    this.#reads = new ReadBarrier(options.maxPendingReads, deps.clock, options.requestTimeoutMs);
    this.#node = this.#recoverNode();
  }

  /** The core node (read-only use: status and accessors). */
  get node(): RaftNode {
    return this.#node;
  }

  /** The state machine's applied index. */
  get appliedIndex(): number {
    return this.#deps.stateMachine.appliedIndex;
  }

  /** True once {@link RaftRuntime.stop} was called. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** True while the node is down because its storage failed (it retries reopening). */
  get down(): boolean {
    return this.#down;
  }

  /** Arms the timer and connects to the peers of the recovered configuration. */
  start(): void {
    this.#refreshPeers();
    if (!this.#node.actions.isEmpty) this.#scheduleFlush();
  }

  /** Handles a message from a peer. */
  handleMessage(message: Message): void {
    if (this.#stopped || this.#down) return;
    // Drop vote requests that would depose a working leader (Raft thesis §4.2.3).
    if (this.#node.couldBeDisruptiveRequestVote(message)) return;
    this.#noteContact(message.from);
    if (message.type === "AppendEntriesCall") this.#noteBatchBytes(entriesBytes(message.entries));
    this.#node.handleMessage(message);
    this.#scheduleFlush();
  }

  /** Installs a snapshot received (and verified) from the leader. */
  handleSnapshot(snapshot: StoredSnapshot): boolean {
    if (this.#stopped || this.#down) return false;
    return this.#guard(() => this.#installSnapshot(snapshot)) ?? false;
  }

  #installSnapshot(snapshot: StoredSnapshot): boolean {
    this.#runActions(); // Nothing may be pending while the log is replaced.
    const node = this.#node;
    const at = snapshot.position;
    if (at.index <= node.commitIndex || node.role === "leader") return false; // Stale, or we lead.
    if (!this.#deps.stateMachine.restore(snapshot.data)) {
      this.#deps.logger.warn(`ignoring snapshot ${LogPosition.format(at)}: its state does not decode`);
      return false;
    }
    this.#deps.storage.installSnapshot(snapshot, node.log.entries.contains(at));
    const installed = node.handleSnapshotInstalled(at, snapshot.config);
    if (!installed) throw new Error(`the core refused snapshot ${LogPosition.format(at)} after it was stored`);
    this.#proposals.skippedThrough(at.index);
    this.#deps.logger.info(`installed snapshot ${LogPosition.format(at)} from the leader`);
    this.#afterApply();
    this.#scheduleFlush();
    return true;
  }

  /** Bootstraps a new cluster with `voters` (this node must be empty). */
  bootstrap(voters: readonly NodeId[]): boolean {
    if (this.#stopped || this.#down) return false;
    const result = this.#node.createCluster(voters);
    if (result.ok) this.#flushNow();
    return result.ok;
  }

  /** Proposes a command; resolves when it is applied (or cannot be known). */
  submit(payload: Uint8Array | string): Promise<SubmitOutcome<R>> {
    if (this.#stopped || this.#down || this.#node.role !== "leader") return Promise.resolve({ kind: "not_leader" });
    if (this.#proposals.isFull) return Promise.resolve({ kind: "overloaded" });
    this.#noteBatchBytes(typeof payload === "string" ? payload.length : payload.byteLength);
    if (this.#down || this.#node.role !== "leader") return Promise.resolve({ kind: "not_leader" });
    const result = this.#node.proposeCommand(payload);
    if (!result.ok) return Promise.resolve({ kind: "not_leader" });
    this.#scheduleFlush();
    return this.#proposals.track(result.position);
  }

  /**
   * Waits until a read may be served linearizably from the local state machine: a quorum confirmed
   * this leader after the call, and every entry committed before it has been applied.
   */
  readBarrier(): Promise<ReadOutcome | "overloaded"> {
    const node = this.#node;
    if (this.#stopped || this.#down || node.role !== "leader") return Promise.resolve("not_leader");
    if (this.#reads.isFull) return Promise.resolve("overloaded");
    const heartbeat = node.heartbeat();
    if (!heartbeat.ok) return Promise.resolve("not_leader");
    this.#scheduleFlush();
    return this.#reads.wait(heartbeat.seq, readIndexOf(node));
  }

  /** Re-reads peer URLs (after the address book changed). */
  refreshPeers(): void {
    this.#peerKey = "";
    this.#refreshPeers();
  }

  /** Stops timers, answers every waiting client and closes the transport and storage. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#timer.stop();
    if (this.#recoveryTimer !== null) this.#deps.clock.clearTimeout(this.#recoveryTimer);
    this.#proposals.stopAll();
    this.#reads.stopAll("stopped");
    this.#deps.transport.close();
    this.#deps.storage.close();
  }

  // ------------------------------------------------------------ recovery

  #recoverNode(recovered = this.#deps.storage.recovered): RaftNode {
    const snapshot = recovered.snapshot;
    if (snapshot !== null && !this.#deps.stateMachine.restore(snapshot.data)) {
      throw new Error(`the stored snapshot ${LogPosition.format(snapshot.position)} does not decode`);
    }
    const options = {
      trackDurableIndex: true,
      maxEntriesPerMessage: MAX_MESSAGE_ENTRIES,
      maxBytesPerMessage: MAX_MESSAGE_PAYLOAD_BYTES,
    };
    const fresh = recovered.term === 0 && recovered.entries.lastIndex === 0 && snapshot === null;
    if (fresh) return RaftNode.start(this.#options.id, options);
    const log = new Log(snapshot?.config ?? ClusterConfig.EMPTY, recovered.entries);
    const generation = Generation.of(recovered.generation);
    return RaftNode.restart(this.#options.id, generation, recovered.term, recovered.votedFor, log, options);
  }

  // ------------------------------------------------------------ the loop

  #onTimer(): void {
    if (this.#stopped || this.#down) return;
    this.#node.handleElectionTimeout();
    this.#flushNow();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#stopped) return;
    this.#flushScheduled = true;
    setImmediate(() => this.#flushNow());
  }

  #flushNow(): void {
    this.#flushScheduled = false;
    if (this.#stopped || this.#down) return;
    this.#guard(() => this.#flushBody());
  }

  /** Bounds the bytes one group commit writes: past the limit, the batch so far is flushed now. */
  #noteBatchBytes(bytes: number): void {
    this.#batchBytes += bytes;
    if (this.#batchBytes >= MAX_BATCH_BYTES) this.#flushNow();
  }

  #flushBody(): void {
    this.#batchBytes = 0;
    for (let round = 0; round < 8 && !this.#node.actions.isEmpty; round++) this.#runActions();
    this.#logRoleChange();
    this.#applyCommitted();
    this.#refreshPeers();
    this.#reads.poll((seq) => this.#node.getHeartbeatStatus(seq), this.appliedIndex);
    this.#maybeNotifyCommit();
    if (!this.#node.actions.isEmpty || this.appliedIndex < this.#node.commitIndex) this.#scheduleFlush();
  }

  /** Drains the node's actions once, in the order the durability contract requires. */
  #runActions(): void {
    const node = this.#node;
    const actions = node.actions;
    this.#refreshPeers(); // Links to new members and new contacts exist before anything is sent.
    if (actions.setElectionTimeout) this.#timer.reset(node.role === "leader");
    const hardState = actions.saveCurrentTerm || actions.saveVotedFor;
    const broadcast = actions.broadcastMessage;
    const append = actions.appendLogEntries;
    const sends = [...actions.sendMessages];
    const installs = [...actions.installSnapshots];
    clearActions(actions);
    const storage = this.#deps.storage;
    if (hardState) storage.saveHardState(node.currentTerm, node.votedFor);
    if (broadcast !== null && !hardState) this.#broadcast(broadcast); // Before our own fsync (§10.2.1).
    if (append !== null) storage.append(append);
    if (hardState || append !== null) storage.sync();
    if (append !== null) node.handleLogDurable(append.lastPosition);
    if (broadcast !== null && hardState) this.#broadcast(broadcast);
    for (const [to, message] of sends) this.#deps.transport.send(to, message);
    for (const to of installs) this.#sendSnapshot(to);
  }

  #logRoleChange(): void {
    const node = this.#node;
    const key = `${node.role}/${node.currentTerm}/${node.leaderId}`;
    if (key === this.#roleKey) return;
    this.#roleKey = key;
    const leader = node.leaderId === null ? "no known leader" : `leader ${node.leaderId}`;
    this.#deps.logger.info(`${node.role} in term ${node.currentTerm} (${leader})`);
  }

  #broadcast(message: Message): void {
    if (message.type === "AppendEntriesCall") {
      capEntries(message);
      this.#noteSentCommit(message);
    }
    const peers = this.#node.peers;
    if (peers.length > 0) this.#deps.transport.broadcast(peers, message);
  }

  #noteSentCommit(call: AppendEntriesCall): void {
    if (call.commitIndex > this.#sentCommit) this.#sentCommit = call.commitIndex;
  }

  /** A leader tells followers about a new commit index soon, unless a proposal carries it first. */
  #maybeNotifyCommit(): void {
    const node = this.#node;
    if (node.role !== "leader" || node.commitIndex <= this.#sentCommit || this.#commitNoticeScheduled) return;
    this.#commitNoticeScheduled = true;
    setImmediate(() => {
      this.#commitNoticeScheduled = false;
      if (this.#stopped || this.#node.role !== "leader" || this.#node.commitIndex <= this.#sentCommit) return;
      this.#node.heartbeat();
      this.#flushNow();
    });
  }

  // ------------------------------------------------------------ apply and snapshots

  #applyCommitted(): void {
    const node = this.#node;
    const machine = this.#deps.stateMachine;
    const entries = node.log.entries;
    const until = Math.min(node.commitIndex, machine.appliedIndex + APPLY_BATCH);
    if (machine.appliedIndex >= until) return;
    for (let i = machine.appliedIndex + 1; i <= until; i++) {
      const entry = entries.getEntry(i);
      if (entry === undefined) throw new Error(`committed entry ${i} is missing from the log`);
      if (entry.kind !== "command") {
        machine.skip(i);
        continue;
      }
      const result = machine.apply(i, entry.data);
      this.#proposals.applied(i, entries.getTerm(i) as number, result);
    }
    this.#afterApply();
    this.#maybeSnapshot();
  }

  #afterApply(): void {
    this.#deps.onApplied?.(this.appliedIndex);
  }

  #maybeSnapshot(): void {
    const node = this.#node;
    const applied = this.appliedIndex;
    if (applied - node.log.snapshotPosition.index < this.#options.snapshotEvery) return;
    const at = node.log.getPositionAndConfig(applied);
    if (at === undefined) return;
    const snapshot = { position: at.position, config: at.config, data: this.#deps.stateMachine.snapshot() };
    this.#deps.storage.installSnapshot(snapshot, true); // A failure here goes through #guard (reopen).
    if (!node.handleSnapshotInstalled(at.position, at.config)) {
      throw new Error(`the core refused local snapshot ${LogPosition.format(at.position)}`);
    }
    this.#deps.logger.info(`snapshot at ${LogPosition.format(at.position)}; log compacted`);
  }

  #sendSnapshot(to: NodeId): void {
    const last = this.#snapshotSends.get(to);
    const now = this.#deps.clock.now();
    if (last !== undefined && (last < 0 || now - last < SNAPSHOT_COOLDOWN_MS)) return; // In flight or just sent.
    const snapshot = this.#deps.storage.latestSnapshot();
    if (snapshot === null) return;
    this.#snapshotSends.set(to, -1);
    this.#deps.logger.info(`sending snapshot ${LogPosition.format(snapshot.position)} to ${to}`);
    this.#deps.transport.sendSnapshot(to, snapshot).then(
      () => this.#snapshotSends.set(to, this.#deps.clock.now()),
      () => this.#snapshotSends.set(to, this.#deps.clock.now()),
    );
  }

  // ------------------------------------------------------------ storage failures

  /** Runs `fn`; a storage error takes the node down and starts recovery (other errors propagate). */
  #guard<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (error) {
      if (!(error instanceof StorageError)) throw error;
      this.#storageFailed(error);
      return undefined;
    }
  }

  #storageFailed(error: StorageError): void {
    this.#deps.logger.error(
      `storage failed (${error.message}); nothing unsynced was acknowledged; restarting from disk`,
    );
    this.#down = true;
    this.#timer.stop();
    clearActions(this.#node.actions);
    this.#proposals.stopAll();
    this.#reads.stopAll("not_leader");
    this.#scheduleRecovery();
  }

  #scheduleRecovery(): void {
    const delay = this.#recoveryDelayMs;
    this.#recoveryDelayMs = Math.min(RECOVERY_MAX_MS, delay * 2);
    this.#recoveryTimer = this.#deps.clock.setTimeout(() => this.#tryRecover(), delay);
  }

  #tryRecover(): void {
    this.#recoveryTimer = null;
    if (this.#stopped) return;
    try {
      const recovered = this.#deps.storage.reopen();
      this.#deps.stateMachine.reset();
      this.#node = this.#recoverNode(recovered);
    } catch (error) {
      this.#deps.logger.error(`storage still unavailable: ${error instanceof Error ? error.message : String(error)}`);
      this.#scheduleRecovery();
      return;
    }
    this.#down = false;
    this.#recoveryDelayMs = RECOVERY_MIN_MS;
    this.#deps.logger.info(`storage reopened; node restarted as generation ${this.#node.generation}`);
    this.refreshPeers();
    this.#scheduleFlush();
  }

  // ------------------------------------------------------------ peers

  #noteContact(id: NodeId): void {
    if (this.#contacts.has(id)) return;
    if (this.#contacts.size >= MAX_CONTACTS) this.#contacts.delete(this.#contacts.values().next().value as NodeId);
    this.#contacts.add(id);
    this.#peerKey = "";
  }

  #refreshPeers(): void {
    const peers = [...new Set([...this.#node.peers, ...this.#contacts])].filter((id) => id !== this.#node.id);
    const resolved = peers.flatMap((id) => {
      const url = this.#deps.resolveUrl(id);
      return url === undefined ? [] : [{ id, url }];
    });
    const key = resolved.map((p) => `${p.id}=${p.url}`).join(",");
    if (key === this.#peerKey) return;
    this.#peerKey = key;
    this.#deps.transport.setPeers(resolved);
  }
}

/**
 * The index a linearizable read must wait for: the commit index, once this leader has committed an
 * entry of its own term; before that, its own first entry (Raft §8: a new leader learns the commit
 * index only by committing an entry of its term).
 */
function readIndexOf(node: RaftNode): number {
  const entries = node.log.entries;
  if (entries.getTerm(node.commitIndex) === node.currentTerm) return node.commitIndex;
  const termStart = entries.lastIndexWithTermAtMost(node.currentTerm - 1, entries.lastIndex) + 1;
  return Math.max(node.commitIndex, termStart);
}

function entriesBytes(entries: LogEntries): number {
  let bytes = 0;
  for (const entry of entries.entries()) bytes += payloadBytes(entry);
  return bytes;
}

/** Truncates a broadcast's entries to the per-message payload budget (the rest follows on catch-up). */
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

function clearActions(actions: RaftNode["actions"]): void {
  actions.setElectionTimeout = false;
  actions.saveCurrentTerm = false;
  actions.saveVotedFor = false;
  actions.broadcastMessage = null;
  actions.appendLogEntries = null;
  actions.sendMessages.clear();
  actions.installSnapshots.clear();
}
