/**
 * The node runtime: one event loop that feeds the core, has the {@link ActionExecutor} perform
 * its actions, and applies committed entries. Inputs (peer messages, timer fires, proposals,
 * reads, snapshots) change the core at once; a turn scheduled for later on the event loop then
 * executes every pending action as one batch (group commit). The node process and the simulator
 * run this same code over different ports.
 */
import {
  assert,
  ClusterConfig,
  type FollowerProgress,
  Generation,
  type HeartbeatResult,
  Log,
  type LogEntries,
  LogPosition,
  type Message,
  type NodeId,
  type ProposeRefusal,
  type ProposeRejection,
  type ProposeResult,
  payloadBytes,
  RaftInvariantError,
  RaftNode,
  type RaftNodeOptions,
  Term,
  type TransferResult,
} from "../../packages/core/src/mod.ts";
import { StorageError } from "../storage/mod.ts";
import { ActionExecutor, MAX_MESSAGE_PAYLOAD_BYTES } from "./action_executor.ts";
import type { Clock, TimerHandle } from "./clock.ts";
import { ElectionTimer } from "./election_timer.ts";
import type { Logger } from "./logger.ts";
import { MemberDirectory } from "./member_directory.ts";
import { PeerContact } from "./peer_contact.ts";
import type {
  RecoveredState,
  RuntimeStorage,
  RuntimeTransport,
  SnapshotFileReader,
  SnapshotJob,
  StateMachine,
  StoredSnapshot,
} from "./ports.ts";
import { type ProposalOutcome, ProposalTracker } from "./proposal_tracker.ts";
import { ReadBarrier, type ReadOutcome } from "./read_barrier.ts";
import {
  NO_RUNTIME_METRICS,
  type RuntimeMetrics,
  type SnapshotInstallOutcome,
  type SnapshotTrigger,
} from "./runtime_metrics.ts";
import { snapshotDue } from "./snapshot_policy.ts";

/** Settings of the runtime loop. */
export interface RuntimeOptions {
  readonly id: NodeId;
  readonly electionTimeoutMs: number;
  readonly heartbeatMs: number;
  /**
   * Fewest applied entries between two automatic snapshots; past it, a snapshot is taken once the
   * log since the latest one holds an eighth of that snapshot's bytes (see snapshot_policy.ts).
   */
  readonly snapshotEvery: number;
  readonly maxPendingProposals: number;
  readonly maxPendingReads: number;
  /** How long a proposal or a read may wait. */
  readonly requestTimeoutMs: number;
  /**
   * When set, a vote request that could depose the leader is dropped only within this many
   * milliseconds of the last call from the leader (the lease of Raft thesis §4.2.3). By default it
   * is dropped while the node follows a leader it heard from since its election timer was armed.
   * Not used with `checkQuorum`: the core then ignores such requests itself (see
   * RaftRuntime.handleMessage).
   */
  readonly voteLeaseMs?: number;
  /**
   * Pre-vote (Raft thesis §9.6): a node whose election timer expired raises its term only once a
   * quorum said it would vote for it, so a node cut off from the cluster never deposes a working
   * leader when it comes back. Passed to the core node. Default: off.
   */
  readonly preVote?: boolean;
  /**
   * Check-quorum: a leader that heard from no quorum within an election timeout steps down, and a
   * voter that heard from a leader within an election timeout ignores vote requests for a later
   * term. Passed to the core node. Default: off.
   */
  readonly checkQuorum?: boolean;
  /**
   * Flow control: AppendEntriesCalls with entries a follower may have unacknowledged (see
   * RaftNodeOptions.maxInflightMessages). Default {@link DEFAULT_MAX_INFLIGHT_MESSAGES}.
   */
  readonly maxInflightMessages?: number;
  /**
   * Flow control: payload bytes that may wait to commit before the leader refuses commands
   * (`overloaded`, certain not to be applied). Default {@link DEFAULT_MAX_UNCOMMITTED_BYTES}.
   */
  readonly maxUncommittedBytes?: number;
}

/** Sends with entries in flight per follower: with 1 MiB catch-up messages, at most 64 MiB per follower. */
export const DEFAULT_MAX_INFLIGHT_MESSAGES = 64;
/** Payload bytes a leader lets wait to commit: a leader cut off from its quorum stops growing its log here. */
export const DEFAULT_MAX_UNCOMMITTED_BYTES = 64 * 1024 * 1024;

/** Collaborators of the runtime. */
export interface RuntimeDeps<R> {
  readonly storage: RuntimeStorage;
  readonly transport: RuntimeTransport;
  readonly stateMachine: StateMachine<R>;
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: Logger;
  /** Where batch sizes and snapshots are reported; default: nowhere. */
  readonly metrics?: RuntimeMetrics;
}

/** A member of a new cluster: its id and the base URL its peers reach it at. */
export interface BootstrapMember {
  readonly id: NodeId;
  readonly url: string;
}

/**
 * The core refused a proposal for a reason other than not leading (a leadership transfer under
 * way, too many uncommitted bytes): nothing was appended. `detail` is the core's sentence saying why.
 */
export interface ProposalRefusal {
  readonly kind: "refused";
  readonly reason: Exclude<ProposeRejection, "not_leader">;
  readonly detail: string;
}

/** The outcome of a proposal submitted to the runtime. */
export type SubmitOutcome<R> =
  | ProposalOutcome<R>
  | { readonly kind: "not_leader" }
  | { readonly kind: "overloaded" }
  | ProposalRefusal;

/**
 * A follower's replication progress as the leader sees it: the core's view, and when the runtime
 * last received any message from it (`lastContactMs`, milliseconds on the runtime's clock; null if
 * it never did).
 */
export type PeerProgress = FollowerProgress & { readonly lastContactMs: number | null };

/** The options in force on this node (defaults filled in). */
export interface ActiveOptions {
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
}

/**
 * The outcome of {@link RaftRuntime.snapshotNow}: a new snapshot, the latest one (nothing was
 * applied after it), nothing to snapshot (nothing applied yet), or a node that is not running.
 */
export type SnapshotNowOutcome =
  | { readonly kind: "taken" | "unchanged"; readonly position: LogPosition }
  | { readonly kind: "empty" }
  | { readonly kind: "unavailable"; readonly reason: "stopped" | "storage" };

/** Thrown when the persisted state is one the node cannot run from; the node does not start. */
export class StartupError extends Error {
  /** Creates the error; `message` says what is wrong and what to do. */
  constructor(message: string) {
    super(message);
    this.name = "StartupError";
  }
}

/** Entries applied per turn before yielding to the event loop. */
const APPLY_BATCH = 5000;
/** After streaming a snapshot to a peer, wait this long before streaming another one to it. */
const SNAPSHOT_COOLDOWN_MS = 1000;
/** Retry delays for reopening storage after a failed write. */
const RECOVERY_MIN_MS = 500;
const RECOVERY_MAX_MS = 10_000;
/** Payload bytes one turn (one group commit) may write; storage refuses much larger batches. */
const MAX_BATCH_BYTES = 16 * 1024 * 1024;
/** Entries per catch-up AppendEntriesCall. */
const MAX_MESSAGE_ENTRIES = 4096;
/** Committed configurations logged at once, at most (a restarted node finds its whole log committed). */
const MAX_CONFIGS_LOGGED = 4;
/** How often {@link RaftRuntime.waitForLeader} looks. */
const LEADER_POLL_MS = 20;

/** One Raft node's event loop. */
export class RaftRuntime<R> {
  readonly #options: RuntimeOptions;
  readonly #deps: RuntimeDeps<R>;
  readonly #timer: ElectionTimer;
  readonly #proposals: ProposalTracker<R>;
  readonly #reads: ReadBarrier;
  readonly #directory: MemberDirectory;
  readonly #contact = new PeerContact();
  #node: RaftNode;
  #executor: ActionExecutor;
  #turnScheduled = false;
  #stopped = false;
  /** True while storage is failing: the node is down until storage reopens. */
  #down = false;
  /** Why storage is failing (the latest error), while {@link RaftRuntime.down}; else null. */
  #storageFailure: string | null = null;
  #recoveryTimer: TimerHandle | null = null;
  #recoveryDelayMs = RECOVERY_MIN_MS;
  #commitNoticeScheduled = false;
  #peerKey = "";
  #roleKey = "";
  /** The core's inconsistency report logged last. */
  #inconsistencyLogged: string | null = null;
  /** The index of the latest configuration logged as committed (-1: none yet). */
  #committedConfigIndex = -1;
  readonly #metrics: RuntimeMetrics;
  /** Payload bytes taken in since the last turn. */
  #batchBytes = 0;
  /** When this node last handled a call from the leader it follows. */
  #leaderContactAt = Number.NEGATIVE_INFINITY;
  readonly #snapshotSends = new Map<NodeId, number>();
  /** When the executor started its sync in flight (clock milliseconds). */
  #syncStartedAt = 0;
  /** A heartbeat requested for reads whose broadcast has not been performed yet (see #readHeartbeat). */
  #unsentHeartbeat: { readonly term: number; readonly seq: number } | null = null;
  /** The automatic snapshot being serialised in slices, if any. */
  #snapshotJob: { job: SnapshotJob; at: { position: LogPosition; config: ClusterConfig }; started: number } | null =
    null;
  /** Payload bytes of the entries applied since the latest snapshot (or the open job's index). */
  #logBytesSinceSnapshot = 0;
  /** Size of the latest snapshot taken, installed or recovered (0: none). */
  #lastSnapshotBytes = 0;

  /** Creates the runtime and rebuilds the node from what storage recovered (throws StartupError if it cannot). */
  constructor(options: RuntimeOptions, deps: RuntimeDeps<R>) {
    this.#options = options;
    this.#deps = deps;
    this.#metrics = deps.metrics ?? NO_RUNTIME_METRICS;
    const settings = { electionTimeoutMs: options.electionTimeoutMs, heartbeatMs: options.heartbeatMs };
    this.#timer = new ElectionTimer(deps.clock, deps.random, settings, () => this.#onTimer());
    this.#proposals = new ProposalTracker(options.maxPendingProposals, deps.clock, options.requestTimeoutMs);
    this.#reads = new ReadBarrier(options.maxPendingReads, deps.clock, options.requestTimeoutMs);
    this.#directory = new MemberDirectory(options.id);
    this.#node = this.#recoverNode(deps.storage.recovered);
    this.#executor = this.#newExecutor();
    this.#lastSnapshotBytes = deps.storage.recovered.snapshot?.data.byteLength ?? 0;
  }

  /** The runtime's logger (the membership operations log through it too). */
  get logger(): Logger {
    return this.#deps.logger;
  }

  /** The core node (read-only use: status and accessors). */
  get node(): RaftNode {
    return this.#node;
  }

  /** The options in force (defaults filled in). */
  get options(): ActiveOptions {
    return { preVote: this.#options.preVote ?? false, checkQuorum: this.#options.checkQuorum ?? false };
  }

  /** The replication progress of each follower, with its last contact; empty unless this node leads. */
  progress(): PeerProgress[] {
    const now = this.#deps.clock.now();
    return this.#node
      .progress()
      .map((p: FollowerProgress) => ({ ...p, lastContactMs: this.#contact.sinceMs(p.id, now) }));
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

  /** While {@link RaftRuntime.down}: the latest storage error's message; else null. */
  get storageFailure(): string | null {
    return this.#storageFailure;
  }

  /** Arms the timer and connects to the peers of the recovered configuration. */
  start(): void {
    this.#refreshPeers();
    // The only voter of its configuration need not wait out an election timeout after a restart:
    // no other node can lead it, so it campaigns (and wins) at once.
    const config = this.#node.config;
    const alone = config.voters.length === 1 && config.voters[0] === this.#options.id && !config.isJoint;
    if (alone && this.#node.role === "follower") this.#guard(() => this.#node.handleElectionTimeout());
    this.#scheduleTurn();
  }

  /** The URL of node `id`: from the configuration, else from its handshake; undefined if unknown. */
  urlOf(id: NodeId): string | undefined {
    return id === this.#options.id ? this.#node.config.addressOf(id) : this.#directory.urlOf(id, this.#node.config);
  }

  /** Records the URL a peer advertised when it connected (the configuration's address wins). */
  learnAddress(id: NodeId, url: string): void {
    if (this.#directory.learn(id, url)) this.#refreshPeers();
  }

  /**
   * Handles a message from a peer. Without check-quorum, a vote request that would depose a
   * working leader is dropped here (Raft thesis §4.2.3); with it, the core ignores such requests
   * itself (leader stickiness), so the runtime leaves the decision to it. Either way transfer votes
   * and pre-votes reach the core.
   */
  handleMessage(message: Message): void {
    if (this.#stopped || this.#down) return;
    this.#contact.note(message.from, this.#deps.clock.now(), this.#node.config);
    if (this.#isDisruptive(message)) return;
    if (this.#directory.noteContact(message.from)) this.#refreshPeers(); // We dial back to answer.
    if (message.type === "AppendEntriesCall") this.#noteBatchBytes(entriesBytes(message.entries));
    this.#node.handleMessage(message);
    if (message.type === "AppendEntriesCall" && this.#node.leaderId === message.from) {
      this.#leaderContactAt = this.#deps.clock.now();
    }
    this.#scheduleTurn();
  }

  /** Installs a snapshot received (and verified) from `from`; false if it was refused. */
  handleSnapshot(from: NodeId, snapshot: StoredSnapshot): boolean {
    if (this.#stopped || this.#down) return false;
    return this.#guard(() => this.#installSnapshot(from, snapshot)) ?? false;
  }

  /** Bootstraps a new cluster of `members` (this node must be empty); false if it is not. */
  bootstrap(members: readonly BootstrapMember[]): boolean {
    if (this.#stopped || this.#down) return false;
    const addresses = new Map(members.map((m) => [m.id, m.url]));
    const result = this.#node.createCluster(
      members.map((m) => m.id),
      addresses,
    );
    if (!result.ok) return false;
    this.#refreshPeers();
    this.#turnNow();
    return true;
  }

  /** Proposes a command; resolves when it is applied (or cannot be known). */
  submit(payload: Uint8Array | string): Promise<SubmitOutcome<R>> {
    if (!this.#leading()) return Promise.resolve({ kind: "not_leader" });
    if (this.#proposals.isFull) return Promise.resolve({ kind: "overloaded" });
    this.#noteBatchBytes(typeof payload === "string" ? payload.length : payload.byteLength);
    if (!this.#leading()) return Promise.resolve({ kind: "not_leader" }); // The early turn stepped us down.
    const result = this.#node.proposeCommand(payload);
    if (!result.ok) {
      const { reason, detail } = result;
      return Promise.resolve(reason === "not_leader" ? { kind: "not_leader" } : { kind: "refused", reason, detail });
    }
    this.#scheduleTurn();
    return this.#proposals.track(result.position);
  }

  /**
   * Proposes a membership change (leader only; see `RaftNode.proposeConfig`). Answers the core's
   * result as it is, so a refusal's `detail` reaches the caller.
   */
  proposeConfig(config: ClusterConfig): ProposeResult {
    if (!this.#leading()) return this.#notLeading();
    const result = this.#node.proposeConfig(config);
    if (result.ok) this.#scheduleTurn();
    return result;
  }

  /**
   * Waits until a read may be served linearizably from the local state machine: a quorum confirmed
   * this leader after the call, and every entry committed before it has been applied.
   */
  readBarrier(): Promise<ReadOutcome | "overloaded"> {
    if (!this.#leading()) return Promise.resolve("not_leader");
    if (this.#reads.isFull) return Promise.resolve("overloaded");
    const heartbeat = this.#readHeartbeat();
    if (!heartbeat.ok) return Promise.resolve("not_leader");
    this.#scheduleTurn();
    return this.#reads.wait(heartbeat.seq, readIndexOf(this.#node));
  }

  /**
   * The heartbeat a linearizable read waits for. A heartbeat requested since the last turn sent
   * its messages has not left yet, so its quorum round starts after this read arrived: the read
   * shares it (all the reads of one turn then share one broadcast and one sequence number). Else a
   * new one is requested.
   */
  #readHeartbeat(): HeartbeatResult {
    const unsent = this.#unsentHeartbeat;
    if (unsent !== null && unsent.term === this.#node.currentTerm && this.#node.role === "leader") {
      return { ok: true, seq: unsent.seq };
    }
    const heartbeat = this.#node.heartbeat();
    this.#unsentHeartbeat = heartbeat.ok ? { term: this.#node.currentTerm, seq: heartbeat.seq } : null;
    return heartbeat;
  }

  /** Performs the node's pending actions; a heartbeat requested before has now left (or is held to leave). */
  #execute(): void {
    this.#unsentHeartbeat = null;
    this.#executor.execute(this.#node);
  }

  /**
   * Leader only: a read index for a follower's linearizable reads (Raft thesis §6.4). Resolves once
   * a quorum confirmed this leader after the call, with the index a read must wait for as of the
   * call (the commit index, or this term's first entry before one of this term committed).
   */
  async readIndex(): Promise<
    { readonly ok: true; readonly index: number } | Exclude<ReadOutcome, "ready"> | "overloaded"
  > {
    if (!this.#leading()) return "not_leader";
    if (this.#reads.isFull) return "overloaded";
    const index = readIndexOf(this.#node);
    const heartbeat = this.#readHeartbeat();
    if (!heartbeat.ok) return "not_leader";
    this.#scheduleTurn();
    const outcome = await this.#reads.wait(heartbeat.seq, 0); // Confirmation only: the follower applies.
    return outcome === "ready" ? { ok: true, index } : outcome;
  }

  /**
   * Waits until this node's state machine has applied `index` (a follower serving a read whose
   * read index its leader confirmed); bounded by the request timeout and the pending-read limit.
   */
  waitApplied(index: number): Promise<ReadOutcome | "overloaded"> {
    if (this.#stopped) return Promise.resolve("stopped");
    if (this.appliedIndex >= index) return Promise.resolve("ready");
    if (this.#reads.isFull) return Promise.resolve("overloaded");
    this.#scheduleTurn();
    return this.#reads.waitApplied(index);
  }

  /**
   * Snapshots the state machine at its applied index and compacts the log to it, now (the
   * snapshot file is durable when this returns, the compaction with the next sync); when nothing
   * was applied since the latest snapshot, answers that one's position.
   */
  snapshotNow(): SnapshotNowOutcome {
    if (this.#stopped || this.#down) return { kind: "unavailable", reason: this.#stopped ? "stopped" : "storage" };
    const taken = this.#guard(() => this.#takeSnapshot("api"));
    if (taken === undefined) return { kind: "unavailable", reason: "storage" };
    const position = this.#node.log.snapshotPosition;
    if (taken) return { kind: "taken", position };
    return position.index === 0 ? { kind: "empty" } : { kind: "unchanged", position };
  }

  /** The latest durable snapshot's file, open for reading (see {@link RuntimeStorage.openLatestSnapshot}). */
  openLatestSnapshot(): SnapshotFileReader | null {
    return this.#deps.storage.openLatestSnapshot();
  }

  /** Resolves true once a leader is known, false after `ms` milliseconds or when stopped. */
  async waitForLeader(ms: number): Promise<boolean> {
    return await this.waitUntil(() => this.#node.leaderId !== null, ms);
  }

  /**
   * Resolves true once `done()` holds (checked now and every few milliseconds on the runtime's
   * clock), false after `ms` milliseconds or when the runtime stops. For rare waits such as
   * membership changes; clients' writes and reads have their own trackers.
   */
  async waitUntil(done: () => boolean, ms: number): Promise<boolean> {
    const deadline = this.#deps.clock.now() + ms;
    while (!done() && !this.#stopped && this.#deps.clock.now() < deadline) {
      await new Promise<void>((resolve) => this.#deps.clock.setTimeout(resolve, LEADER_POLL_MS));
    }
    return done();
  }

  /** Leader only: hands leadership to voter `target` (see `RaftNode.transferLeadership`). */
  transferLeadership(target: NodeId): TransferResult {
    if (!this.#leading()) return this.#notLeading();
    const result = this.#node.transferLeadership(target);
    if (result.ok) this.#scheduleTurn();
    return result;
  }

  /** Leader only: proposes making learner `id` a voter once within `maxLag` entries (see `RaftNode.promoteLearner`). */
  promoteLearner(id: NodeId, maxLag: number): ProposeResult {
    if (!this.#leading()) return this.#notLeading();
    const result = this.#node.promoteLearner(id, maxLag);
    if (result.ok) this.#scheduleTurn();
    return result;
  }

  /** The refusal of a leader-only call on a node that does not lead (or does not run). */
  #notLeading(): ProposeRefusal & { readonly reason: "not_leader" } {
    const detail = this.#stopped || this.#down ? "this node is not running" : "this node is not the leader";
    return { ok: false, reason: "not_leader", detail, leaderHint: this.#node.leaderId };
  }

  /** The election timeout (base) and heartbeat interval in force, in milliseconds. */
  get timing(): { readonly electionTimeoutMs: number; readonly heartbeatMs: number } {
    return { electionTimeoutMs: this.#options.electionTimeoutMs, heartbeatMs: this.#options.heartbeatMs };
  }

  /** Stops timers, answers every waiting client and closes the transport and storage. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#cancelSnapshotJob();
    this.#timer.stop();
    if (this.#recoveryTimer !== null) this.#deps.clock.clearTimeout(this.#recoveryTimer);
    this.#proposals.stopAll();
    this.#reads.stopAll("stopped");
    this.#deps.transport.close();
    this.#deps.storage.close();
  }

  // ------------------------------------------------------------ recovery

  #recoverNode(recovered: RecoveredState): RaftNode {
    checkRecovered(this.#options.id, recovered);
    const snapshot = recovered.snapshot;
    if (snapshot !== null && !this.#deps.stateMachine.restore(snapshot.data)) {
      throw new StartupError(`the stored snapshot ${LogPosition.format(snapshot.position)} does not decode`);
    }
    const options: RaftNodeOptions = {
      trackDurableIndex: true,
      maxEntriesPerMessage: MAX_MESSAGE_ENTRIES,
      maxBytesPerMessage: MAX_MESSAGE_PAYLOAD_BYTES,
      preVote: this.#options.preVote ?? false,
      checkQuorum: this.#options.checkQuorum ?? false,
      // The leader's timer fires every heartbeat: this many of them make one (base) election timeout.
      electionTicks: Math.max(1, Math.floor(this.#options.electionTimeoutMs / this.#options.heartbeatMs)),
      maxInflightMessages: this.#options.maxInflightMessages ?? DEFAULT_MAX_INFLIGHT_MESSAGES,
      maxUncommittedBytes: this.#options.maxUncommittedBytes ?? DEFAULT_MAX_UNCOMMITTED_BYTES,
    };
    const empty = recovered.term === 0 && recovered.entries.lastIndex === 0 && snapshot === null;
    const fresh = empty && recovered.generation === 0; // Opened for the first time: nothing to restart from.
    if (fresh) return RaftNode.start(this.#options.id, options);
    const log = new Log(snapshot?.config ?? ClusterConfig.EMPTY, recovered.entries);
    const generation = Generation.of(recovered.generation);
    try {
      return RaftNode.restart(this.#options.id, generation, recovered.term, recovered.votedFor, log, options);
    } catch (error) {
      if (!(error instanceof RaftInvariantError)) throw error;
      throw new StartupError(`the stored state is inconsistent: ${error.message}`);
    }
  }

  #newExecutor(): ActionExecutor {
    return new ActionExecutor(this.#deps.storage, this.#deps.transport, {
      armTimer: () => this.#timer.reset(this.#node.role === "leader"),
      sendSnapshot: (to) => this.#sendSnapshot(to),
      sentAppendEntries: (entries, recipients) => this.#metrics.appendEntriesSent(entries, recipients),
      syncStarted: () => {
        this.#syncStartedAt = this.#deps.clock.now();
      },
      durable: (position) => {
        if (position !== null) this.#node.handleLogDurable(position);
        this.#scheduleTurn();
      },
    });
  }

  // ------------------------------------------------------------ the loop

  #leading(): boolean {
    return !this.#stopped && !this.#down && this.#node.role === "leader";
  }

  /**
   * True iff the runtime drops `message` as a vote request that would depose a working leader.
   * Never a transfer vote (the leader handed leadership over: the core grants it even while it
   * hears from that leader) nor a pre-vote (it changes no term or vote), and never with
   * check-quorum on (the core's leader stickiness decides).
   */
  #isDisruptive(message: Message): boolean {
    if (message.type !== "RequestVoteCall" || message.transfer === true || message.preVote === true) return false;
    if (this.#options.checkQuorum === true) return false;
    if (!this.#node.couldBeDisruptiveRequestVote(message)) return false;
    const lease = this.#options.voteLeaseMs;
    if (lease === undefined || this.#node.role === "leader") return true;
    return this.#deps.clock.now() - this.#leaderContactAt < lease;
  }

  #onTimer(): void {
    if (this.#stopped || this.#down) return;
    if (this.#stepDownIfFlushStalled()) {
      this.#turnNow();
      return;
    }
    // A re-arm the core asked for replaces this timer, even though the turn that performs it has
    // not run yet: the expiry is stale (e.g. a leader's heartbeat timer that fires after the leader
    // stepped down would otherwise start an election at once, racing a leadership transfer).
    if (!this.#node.actions.setElectionTimeout) this.#node.handleElectionTimeout();
    this.#turnNow();
  }

  /**
   * A leader whose log flush has been in flight for an election timeout steps down (its disk
   * stalls): while it leads, nobody else can, and it can neither vote nor acknowledge anything
   * until the flush completes. Its waiting clients learn now that their writes' outcomes are
   * unknown (the other nodes may commit them). It carries on as a follower once the flush completes.
   * True iff it stepped down.
   */
  #stepDownIfFlushStalled(): boolean {
    if (this.#node.role !== "leader" || !this.#executor.syncing) return false;
    const stalledMs = this.#deps.clock.now() - this.#syncStartedAt;
    if (stalledMs < this.#options.electionTimeoutMs || !this.#node.stepDown()) return false;
    const term = this.#node.currentTerm;
    this.#metrics.stalledFlushStepDown();
    this.#deps.logger.warn(
      `the log flush has not completed for ${Math.round(stalledMs)} ms (over an election timeout); stepping down as leader`,
      { event: "storage_stalled", term, stalledMs: Math.round(stalledMs) },
    );
    this.#proposals.stopAll("storage_stalled");
    return true;
  }

  #scheduleTurn(): void {
    if (this.#turnScheduled || this.#stopped) return;
    this.#turnScheduled = true;
    this.#deps.clock.defer(() => this.#turnNow());
  }

  #turnNow(): void {
    this.#turnScheduled = false;
    if (this.#stopped || this.#down) return;
    this.#guard(() => this.#turn());
  }

  /** Bounds the bytes one group commit writes: past the limit, the batch so far is written now. */
  #noteBatchBytes(bytes: number): void {
    this.#batchBytes += bytes;
    if (this.#batchBytes >= MAX_BATCH_BYTES) this.#turnNow();
  }

  /** One turn: execute the pending actions, apply what committed, answer waiting clients. */
  #turn(): void {
    this.#batchBytes = 0;
    this.#refreshPeers(); // Links to new members and contacts exist before anything is sent.
    this.#execute();
    this.#logRoleChange();
    this.#logInconsistency();
    this.#applyCommitted();
    this.#logConfigCommitted();
    this.#refreshPeers();
    this.#reads.poll((seq) => this.#node.getHeartbeatStatus(seq), this.appliedIndex);
    this.#maybeNotifyCommit();
    if (!this.#node.actions.isEmpty || this.appliedIndex < this.#node.commitIndex) this.#scheduleTurn();
  }

  #logRoleChange(): void {
    const node = this.#node;
    const key = `${node.role}/${node.currentTerm}/${node.leaderId}`;
    if (key === this.#roleKey) return;
    this.#roleKey = key;
    const logger = this.#deps.logger;
    const { role, currentTerm: term, leaderId: leader } = node;
    const campaigning = role === "candidate" || role === "precandidate";
    if (campaigning) logger.info(`starting an election for term ${term}`, { event: "election_started", term, role });
    const known = leader === null ? "no known leader" : `leader ${leader}`;
    logger.info(`${role} in term ${term} (${known})`, { event: "role_changed", term, role, leader });
  }

  /** Logs the core's report of peer input that contradicts a Raft invariant, once per report. */
  #logInconsistency(): void {
    const inconsistency = this.#node.inconsistency;
    if (inconsistency === null || inconsistency === this.#inconsistencyLogged) return;
    this.#inconsistencyLogged = inconsistency;
    this.#deps.logger.error(`inconsistent peer input: ${inconsistency}`, {
      event: "inconsistent_peer_input",
      term: this.#node.currentTerm,
    });
  }

  /**
   * Logs each configuration entry once it is committed (on every node: the log is the same
   * everywhere), the joint one of a change included even when its successor follows in the same turn.
   */
  #logConfigCommitted(): void {
    const entries = this.#node.log.entries;
    const newest = entries.configAtOrBefore(this.#node.commitIndex);
    if (newest === undefined || newest.index <= this.#committedConfigIndex) return;
    const fresh: Array<{ readonly index: number; readonly config: ClusterConfig }> = [];
    for (let c: typeof newest | undefined = newest; c !== undefined && c.index > this.#committedConfigIndex; ) {
      fresh.unshift(c);
      if (fresh.length >= MAX_CONFIGS_LOGGED) break; // After a restart: the latest few are enough.
      c = entries.configAtOrBefore(c.index - 1);
    }
    this.#committedConfigIndex = newest.index;
    for (const { index, config } of fresh) {
      const voters = config.isJoint
        ? `${config.voters.join(",")} -> ${config.newVoters.join(",")}`
        : config.voters.join(",");
      this.#deps.logger.info(`configuration at index ${index} committed: voters ${voters}`, {
        event: "config_committed",
        index,
        voters: config.voters,
        newVoters: config.isJoint ? config.newVoters : undefined,
        learners: config.nonVoters,
        joint: config.isJoint,
      });
    }
  }

  /** A leader tells followers about a new commit index soon, unless a proposal carries it first. */
  #maybeNotifyCommit(): void {
    if (!this.#leading() || this.#node.commitIndex <= this.#executor.sentCommit || this.#commitNoticeScheduled) return;
    if (this.#node.peers.length === 0) return; // Nobody to tell (a heartbeat would send nothing, forever).
    this.#commitNoticeScheduled = true;
    this.#deps.clock.defer(() => {
      this.#commitNoticeScheduled = false;
      if (!this.#leading() || this.#node.commitIndex <= this.#executor.sentCommit) return;
      this.#node.heartbeat();
      this.#turnNow();
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
      if (entry === undefined) throw new RaftInvariantError(`committed entry ${i} is missing from the log`);
      if (entry.kind !== "command") {
        machine.skip(i);
        continue;
      }
      this.#logBytesSinceSnapshot += entry.data.length;
      const result = machine.apply(i, entry.data);
      this.#proposals.applied(i, entries.getTerm(i) as number, result);
    }
    if (this.#snapshotJob !== null) return;
    const due = snapshotDue({
      entriesSince: this.appliedIndex - node.log.snapshotPosition.index,
      logBytesSince: this.#logBytesSinceSnapshot,
      lastSnapshotBytes: this.#lastSnapshotBytes,
      minEntries: this.#options.snapshotEvery,
    });
    if (due) this.#startSnapshotJob();
  }

  /**
   * Starts an automatic snapshot at the applied index, serialised a slice per turn of the event
   * loop so writes and reads go on meanwhile; a machine without jobs snapshots whole, now.
   */
  #startSnapshotJob(): void {
    const node = this.#node;
    const machine = this.#deps.stateMachine;
    if (machine.beginSnapshot === undefined) {
      this.#takeSnapshot("auto");
      return;
    }
    const at = node.log.getPositionAndConfig(this.appliedIndex);
    if (at === undefined || at.position.index <= node.log.snapshotPosition.index) return;
    // Snapshot files are not ordered with the log: the term the snapshot is from must be durable first.
    if (this.#deps.storage.durableTerm < at.position.term) this.#executor.flushNow();
    const job = machine.beginSnapshot();
    assert(job.appliedIndex === at.position.index, "a snapshot job starts at the applied index");
    this.#snapshotJob = { job, at, started: this.#deps.clock.now() };
    this.#logBytesSinceSnapshot = 0;
    this.#deps.clock.defer(() => this.#stepSnapshotJob(job));
  }

  /** One slice of the open snapshot job; once complete, stores it and compacts the log to it. */
  #stepSnapshotJob(job: SnapshotJob): void {
    const open = this.#snapshotJob;
    if (open === null || open.job !== job || this.#stopped || this.#down) return;
    const done = this.#guard(() => {
      if (!job.step()) return false;
      this.#snapshotJob = null;
      // A snapshot installed or taken meanwhile may already cover this one.
      if (open.at.position.index <= this.#node.log.snapshotPosition.index) return true;
      this.#storeSnapshot({ position: open.at.position, config: open.at.config, data: job.data }, "auto", open.started);
      return true;
    });
    if (done === false) this.#deps.clock.defer(() => this.#stepSnapshotJob(job));
  }

  /** Abandons the open snapshot job, if any. */
  #cancelSnapshotJob(): void {
    this.#snapshotJob?.job.cancel();
    this.#snapshotJob = null;
  }

  /** Snapshots the state machine at its applied index and compacts the log to it; false if it cannot. */
  #takeSnapshot(trigger: SnapshotTrigger): boolean {
    const node = this.#node;
    const at = node.log.getPositionAndConfig(this.appliedIndex);
    if (at === undefined || at.position.index <= node.log.snapshotPosition.index) return false;
    const started = this.#deps.clock.now();
    // Snapshot files are not ordered with the log: the term the snapshot is from must be durable first.
    if (this.#deps.storage.durableTerm < at.position.term) this.#executor.flushNow();
    this.#cancelSnapshotJob(); // This one covers it.
    this.#logBytesSinceSnapshot = 0;
    const snapshot = { position: at.position, config: at.config, data: this.#deps.stateMachine.snapshot() };
    this.#storeSnapshot(snapshot, trigger, started);
    return true;
  }

  /** Stores a snapshot this node took (durably), compacts the log to it and reports it. */
  #storeSnapshot(snapshot: StoredSnapshot, trigger: SnapshotTrigger, started: number): void {
    const node = this.#node;
    const at = { position: snapshot.position, config: snapshot.config };
    this.#deps.storage.installSnapshot(snapshot, true);
    if (!node.handleSnapshotInstalled(at.position, at.config)) {
      throw new RaftInvariantError(`the core refused local snapshot ${LogPosition.format(at.position)}`);
    }
    const seconds = Math.max(0, this.#deps.clock.now() - started) / 1000;
    const bytes = snapshot.data.byteLength;
    this.#lastSnapshotBytes = bytes;
    this.#metrics.snapshotTaken(trigger, bytes, seconds);
    const { index, term } = at.position;
    this.#deps.logger.info(`snapshot at ${LogPosition.format(at.position)}; log compacted`, {
      event: "snapshot_taken",
      index,
      term,
      trigger,
      bytes,
      durationMs: Math.round(seconds * 1e6) / 1e3,
    });
    this.#scheduleTurn();
  }

  #installSnapshot(from: NodeId, snapshot: StoredSnapshot): boolean {
    const node = this.#node;
    const at = snapshot.position;
    if (!node.acceptsSnapshotFrom(from, snapshot.config)) {
      this.#snapshotRefused(from, snapshot, "not_member", "not a member");
      return false;
    }
    if (!node.prepareSnapshotInstall(at)) {
      this.#metrics.snapshotInstall("stale", snapshot.data.byteLength); // Stale, or we lead: nothing to log.
      return false;
    }
    const machine = this.#deps.stateMachine;
    this.#cancelSnapshotJob(); // Its machine is about to be replaced.
    if (!machine.restore(snapshot.data)) {
      this.#snapshotRefused(from, snapshot, "undecodable", "its state does not decode");
      this.#execute(); // The term may have changed: persist it all the same.
      this.#executor.flushNow();
      return false;
    }
    // A newer term from the snapshot, and everything written before, is durable before the snapshot is.
    this.#execute();
    this.#executor.flushNow();
    this.#deps.storage.installSnapshot(snapshot, node.log.entries.contains(at));
    if (!node.handleSnapshotInstalled(at, snapshot.config)) {
      throw new RaftInvariantError(`the core refused snapshot ${LogPosition.format(at)} after it was stored`);
    }
    this.#proposals.skippedThrough(at.index);
    const bytes = snapshot.data.byteLength;
    this.#metrics.snapshotInstall("installed", bytes);
    this.#lastSnapshotBytes = bytes;
    this.#logBytesSinceSnapshot = 0;
    this.#deps.logger.info(`installed snapshot ${LogPosition.format(at)} from ${from}`, {
      event: "snapshot_installed",
      index: at.index,
      term: at.term,
      from,
      bytes,
    });
    this.#refreshPeers();
    this.#scheduleTurn();
    return true;
  }

  #snapshotRefused(from: NodeId, snapshot: StoredSnapshot, outcome: SnapshotInstallOutcome, why: string): void {
    const at = snapshot.position;
    this.#metrics.snapshotInstall(outcome, snapshot.data.byteLength);
    this.#deps.logger.warn(`ignoring snapshot ${LogPosition.format(at)} from ${from}: ${why}`, {
      event: "snapshot_refused",
      index: at.index,
      term: at.term,
      from,
      reason: outcome,
    });
  }

  #sendSnapshot(to: NodeId): void {
    const last = this.#snapshotSends.get(to);
    const now = this.#deps.clock.now();
    if (last !== undefined && (last < 0 || now - last < SNAPSHOT_COOLDOWN_MS)) return; // In flight or just sent.
    const snapshot = this.#snapshotForTransfer();
    if (snapshot === null) return; // Nothing applied yet that a snapshot could hold; asked again later.
    this.#snapshotSends.set(to, -1);
    const { index, term } = snapshot.position;
    this.#deps.logger.info(`sending snapshot ${LogPosition.format(snapshot.position)} to ${to}`, {
      event: "snapshot_sent",
      index,
      term,
      to,
      bytes: snapshot.data.byteLength,
    });
    const done = () => this.#snapshotSends.set(to, this.#deps.clock.now());
    this.#deps.transport.sendSnapshot(to, snapshot).then(done, done);
  }

  /**
   * The snapshot to send a follower: the latest one, unless its configuration does not name this
   * node (a follower that does not know us takes only a snapshot that does), or there is none:
   * then a new one at the applied index.
   */
  #snapshotForTransfer(): StoredSnapshot | null {
    const latest = this.#deps.storage.latestSnapshot();
    if (latest?.config.contains(this.#options.id)) return latest;
    return this.#takeSnapshot("transfer") ? this.#deps.storage.latestSnapshot() : latest;
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
      { event: "storage_failed", code: error.code },
    );
    this.#down = true;
    this.#cancelSnapshotJob();
    this.#storageFailure = error.message;
    this.#timer.stop();
    this.#node.actions.take(); // Dropped: the node is rebuilt from what is durable.
    this.#proposals.stopAll("storage_failed");
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
      this.#executor = this.#newExecutor();
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      this.#storageFailure = why;
      this.#deps.logger.error(`storage still unavailable: ${why}`, { event: "storage_failed" });
      this.#scheduleRecovery();
      return;
    }
    this.#down = false;
    this.#storageFailure = null;
    this.#recoveryDelayMs = RECOVERY_MIN_MS;
    const generation = this.#node.generation as number;
    this.#deps.logger.info(`storage reopened; node restarted as generation ${generation}`, {
      event: "storage_reopened",
      generation,
      lastIndex: this.#node.log.lastPosition.index,
    });
    this.#peerKey = "";
    this.#refreshPeers();
    this.#scheduleTurn();
  }

  // ------------------------------------------------------------ peers

  #refreshPeers(): void {
    const peers = this.#directory.peers(this.#node.config);
    const key = peers.map((p) => `${p.id}=${p.url}`).join(",");
    if (key === this.#peerKey) return;
    this.#peerKey = key;
    this.#contact.retainMembersOf(this.#node.config);
    this.#deps.transport.setPeers(peers);
  }
}

/** Refuses a persisted state that no node can run from (a clear error, not a crash once running). */
function checkRecovered(id: NodeId, recovered: RecoveredState): void {
  if (recovered.term > Term.MAX) {
    throw new StartupError(
      `the stored term ${recovered.term} is above the highest term a node may hold (${Term.MAX}); node ${id} cannot take part in elections from this state`,
    );
  }
  const last = recovered.entries.lastPosition;
  if (last.term > recovered.term) {
    throw new StartupError(
      `the log of node ${id} ends with an entry of term ${last.term}, after the stored term ${recovered.term}`,
    );
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
