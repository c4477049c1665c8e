/**
 * RaftNode: an I/O-free Raft node. It takes events (messages, timeouts, proposals), changes its
 * state, and records the I/O it needs as pending {@link Actions}. It reads no clock, draws no
 * random number and performs no I/O; the same inputs always yield the same actions.
 */
import { Actions } from "./action.ts";
import { assert } from "./assert.ts";
import { configChangeProblem, finalConfigOf } from "./conf_change.ts";
import { ClusterConfig, type ClusterConfigInit } from "./config.ts";
import { LogEntry, type Payload } from "./entry.ts";
import { HeartbeatBarrier, type HeartbeatStatus } from "./heartbeat_barrier.ts";
import { Generation, type LogIndex, NodeId, Term } from "./ids.ts";
import { Log } from "./log.ts";
import { LogEntries, payloadBytes } from "./log_entries.ts";
import type {
  AppendEntriesCall,
  AppendEntriesReply,
  Message,
  RequestVoteCall,
  RequestVoteReply,
  TimeoutNow,
} from "./message.ts";
import { type RaftNodeOptions, type ResolvedOptions, resolveOptions } from "./options.ts";
import { LogPosition } from "./position.ts";
import { type FollowerProgress, type Progress, ProgressTracker } from "./progress.ts";
import { hasJointMajority } from "./quorum.ts";
import type {
  CommitStatus,
  HeartbeatResult,
  ProposeRefusal,
  ProposeRejection,
  ProposeResult,
  TransferResult,
} from "./results.ts";
import type { Role } from "./role.ts";
import { FOLLOWER, type LeaderState, type RoleState } from "./role_state.ts";

export type { HeartbeatStatus } from "./heartbeat_barrier.ts";
export type { RaftNodeOptions } from "./options.ts";
export type { FollowerProgress, ReplicationState } from "./progress.ts";
export type {
  CommitStatus,
  HeartbeatResult,
  ProposeRefusal,
  ProposeRejection,
  ProposeResult,
  TransferRejection,
  TransferResult,
} from "./results.ts";

/** An I/O-free Raft node. See the module documentation and {@link Actions} for the I/O contract. */
export class RaftNode {
  readonly #id: NodeId;
  readonly #generation: Generation;
  readonly #options: ResolvedOptions;
  readonly #actions = new Actions();
  /** The role and the state kept only in it. */
  #state: RoleState = FOLLOWER;
  #currentTerm: Term;
  #votedFor: NodeId | null;
  #leaderId: NodeId | null = null;
  #log: Log;
  /** Invariant: never decreases; snapshot index <= commitIndex <= last index. */
  #commitIndex: LogIndex;
  /** Entries up to here are durable (meaningful with trackDurableIndex). */
  #durableIndex: LogIndex;
  readonly #barrier = new HeartbeatBarrier();
  #inconsistency: string | null = null;
  /** True once the election timer expired since this node last heard from a leader (or led). */
  #timedOutWithoutLeader = false;

  private constructor(
    id: NodeId,
    generation: Generation,
    term: Term,
    votedFor: NodeId | null,
    log: Log,
    options: RaftNodeOptions,
  ) {
    this.#id = NodeId.of(id);
    this.#generation = Generation.of(generation);
    this.#currentTerm = Term.of(term);
    this.#votedFor = votedFor;
    this.#log = log;
    this.#commitIndex = log.snapshotPosition.index;
    this.#durableIndex = log.lastPosition.index;
    this.#options = resolveOptions(options);
    assert(log.lastPosition.term <= this.#currentTerm, "the log holds no entry from a future term");
  }

  /** A fresh node: follower, term 0, no vote, empty log, no actions. */
  static start(id: NodeId, options: RaftNodeOptions = {}): RaftNode {
    return new RaftNode(
      id,
      Generation.ZERO,
      Term.ZERO,
      null,
      Log.empty(ClusterConfig.EMPTY, LogPosition.ZERO),
      options,
    );
  }

  /**
   * Rebuilds a node from what was durably persisted. `generation` must be greater than that of every
   * earlier run of this node (e.g. a persisted counter plus one). The node takes ownership of `log`,
   * starts as a follower with commit index = snapshot index, and asks for an election timeout.
   */
  static restart(
    id: NodeId,
    generation: Generation,
    currentTerm: Term,
    votedFor: NodeId | null,
    log: Log,
    options: RaftNodeOptions = {},
  ): RaftNode {
    const node = new RaftNode(id, generation, currentTerm, votedFor, log, options);
    node.#actions.setElectionTimeout = true;
    return node;
  }

  // ---------------------------------------------------------------- accessors

  /** This node's id. */
  get id(): NodeId {
    return this.#id;
  }

  /** This node's restart generation. */
  get generation(): Generation {
    return this.#generation;
  }

  /** The current role. */
  get role(): Role {
    return this.#state.kind;
  }

  /** The current term (persist it on SaveCurrentTerm). */
  get currentTerm(): Term {
    return this.#currentTerm;
  }

  /** The candidate voted for in the current term, if any (persist it on SaveVotedFor). */
  get votedFor(): NodeId | null {
    return this.#votedFor;
  }

  /** The leader of the current term, if this node knows it (itself when leader). */
  get leaderId(): NodeId | null {
    return this.#leaderId;
  }

  /** The in-memory log. Read-only for the user. */
  get log(): Log {
    return this.#log;
  }

  /** The highest index known to be committed. Never decreases. */
  get commitIndex(): LogIndex {
    return this.#commitIndex;
  }

  /** The highest index reported durable through {@link RaftNode.handleLogDurable} (or restored). */
  get durableIndex(): LogIndex {
    return this.#durableIndex;
  }

  /** The latest configuration in the log (it takes effect when appended, not when committed). */
  get config(): ClusterConfig {
    return this.#log.latestConfig();
  }

  /** Every member of the latest configuration except this node: the broadcast targets. */
  get peers(): NodeId[] {
    return this.#log
      .latestConfig()
      .uniqueNodes()
      .filter((id) => id !== this.#id);
  }

  /** The pending actions; drain them (in order) after each batch of calls. */
  get actions(): Actions {
    return this.#actions;
  }

  /**
   * Non-null once a peer sent input that contradicts a Raft invariant (two leaders in one term, a
   * conflict at or below the commit point). The node ignored that input; the runtime should alert.
   */
  get inconsistency(): string | null {
    return this.#inconsistency;
  }

  // ---------------------------------------------------------------- user calls

  /**
   * Bootstraps a new cluster whose voters are `voters` (reachable at `addresses`, which the core
   * only replicates): appends the initial configuration at 1 and starts an election (a single
   * voter becomes leader at once). Refused unless the log is empty and has no configuration, and
   * `voters` is non-empty.
   */
  createCluster(voters: readonly NodeId[], addresses?: ClusterConfigInit["addresses"]): ProposeResult {
    if (this.#log.lastPosition.index !== 0 || !this.#log.latestConfig().isEmpty) {
      return this.#reject("already_initialized", "this node already has a log or a configuration");
    }
    if (voters.length === 0) return this.#reject("no_voters", "a cluster needs at least one voter");
    const prev = this.#log.lastPosition;
    const entry = LogEntry.config(new ClusterConfig({ voters, addresses }));
    this.#log.entries.push(entry);
    this.#actions.addAppend(LogEntries.of(prev, entry));
    this.#transitionToCandidate();
    return { ok: true, position: this.#log.entries.positionAt(1) as LogPosition };
  }

  /**
   * Appends a command carrying `data` (leader only) and replicates it. Returns the entry's position;
   * follow it with {@link RaftNode.getCommitStatus}.
   */
  proposeCommand(data: Payload): ProposeResult {
    const state = this.#state;
    if (state.kind !== "leader") return this.#notLeader();
    if (state.transfer !== null) return this.#transferring(state.transfer.target);
    const entry = LogEntry.command(data);
    const limit = this.#options.maxUncommittedBytes;
    if (limit !== Number.POSITIVE_INFINITY) {
      const bytes = payloadBytes(entry);
      if (state.uncommittedBytes > 0 && state.uncommittedBytes + bytes > limit) {
        return this.#reject(
          "uncommitted_limit",
          `${state.uncommittedBytes} bytes are waiting to commit; ${bytes} more would pass the limit of ${limit}`,
        );
      }
      state.uncommittedBytes += bytes;
    }
    return { ok: true, position: this.#propose(entry) };
  }

  /**
   * Proposes a membership change (leader only). `config.voters` must equal the current voters; a
   * voter change uses joint consensus (`config.newVoters` set, e.g. via `toJointConsensus`), which
   * the leader finalises itself once committed. A change touching only non-voters is applied
   * directly. Refused while the latest configuration is joint or not yet committed, or before this
   * leader has committed an entry of its own term.
   */
  proposeConfig(config: ClusterConfig): ProposeResult {
    const state = this.#state;
    if (state.kind !== "leader") return this.#notLeader();
    if (state.transfer !== null) return this.#transferring(state.transfer.target);
    const current = this.#log.latestConfig();
    if (current.isJoint) {
      return this.#reject(
        "config_change_in_progress",
        "the configuration is joint: its second phase is not committed yet",
      );
    }
    if (this.#commitIndex < this.#log.latestConfigIndex()) {
      return this.#reject("config_change_in_progress", "the latest configuration change is not committed yet");
    }
    if (this.#log.entries.getTerm(this.#commitIndex) !== this.#currentTerm) {
      // Commit our term entry first (the single-server change bug).
      return this.#reject("leader_not_ready", "this leader has not committed an entry of its term yet; retry shortly");
    }
    const problem = configChangeProblem(current, config);
    if (problem !== null) return this.#reject("invalid_config", problem);
    return { ok: true, position: this.#propose(LogEntry.config(config)) };
  }

  /**
   * Leader only: proposes the joint configuration that makes learner `id` a voter, once it has
   * caught up: it has acknowledged entries (match index above 0) and its match index is at most
   * `maxLag` entries behind this leader's commit index (default 0: it has reached it). Refused with `not_a_learner`, `learner_behind`, or any
   * refusal of {@link RaftNode.proposeConfig}.
   */
  promoteLearner(id: NodeId, maxLag = 0): ProposeResult {
    const state = this.#state;
    if (state.kind !== "leader") return this.#notLeader();
    const current = this.#log.latestConfig();
    if (!current.nonVoters.includes(id)) return this.#reject("not_a_learner", `${id} is not a learner`);
    const match = state.followers.get(id)?.matchIndex ?? 0;
    // A learner that has acknowledged nothing may be unreachable (a wrong URL, not started yet):
    // however short the log, a voter this leader never heard from would only weaken the quorum.
    if (match === 0) {
      return this.#reject("learner_behind", `${id} has not acknowledged any entry yet; retry once it replicates`);
    }
    if (match + maxLag < this.#commitIndex) {
      return this.#reject(
        "learner_behind",
        `${id} has ${match} of ${this.#commitIndex} committed entries; retry once it caught up`,
      );
    }
    return this.proposeConfig(current.toJointConsensus([id], []));
  }

  /**
   * Leader only: hands leadership to voter `target` (Raft thesis §3.10). The leader brings the
   * target up to date, then sends it TimeoutNow, on which the target campaigns at once. Until
   * the transfer ends, proposals are refused (`transfer_in_progress`); the transfer is abandoned
   * after an election timeout (`electionTicks` heartbeats) if the target has not taken over. A
   * new call replaces the transfer under way; naming this node cancels it. Refused for a learner,
   * a node outside the latest configuration, or (during joint consensus) a voter being removed.
   */
  transferLeadership(target: NodeId): TransferResult {
    const state = this.#state;
    if (state.kind !== "leader") {
      return { ok: false, reason: "not_leader", detail: "this node is not the leader", leaderHint: this.#leaderId };
    }
    if (target === this.#id) {
      state.transfer = null;
      return { ok: true };
    }
    const config = this.#log.latestConfig();
    const p = state.followers.get(target);
    if (p === undefined) {
      const detail = `${target} is not a member of the latest configuration`;
      return { ok: false, reason: "unknown_target", detail, leaderHint: this.#id };
    }
    if (!(config.isJoint ? config.newVoters : config.voters).includes(target)) {
      const detail = `${target} is not a voter of the latest configuration`;
      return { ok: false, reason: "target_not_voter", detail, leaderHint: this.#id };
    }
    state.transfer = { target, ticks: 0, timeoutSent: false };
    this.#advanceTransfer(state, target, p);
    return { ok: true };
  }

  /** The voter a leadership transfer under way hands leadership to; null if none (or not leader). */
  get leadTransferee(): NodeId | null {
    return this.#state.kind === "leader" ? (this.#state.transfer?.target ?? null) : null;
  }

  /**
   * Makes a leader step down to follower in its term (for an operator, or a runtime whose disk
   * stalls); another voter is elected once its timer expires. False (and nothing changes) if
   * this node does not lead.
   */
  stepDown(): boolean {
    if (this.#state.kind !== "leader") return false;
    this.#leaderId = null;
    this.#transitionToFollower(this.#currentTerm);
    return true;
  }

  /** A leader's view of each follower (see {@link FollowerProgress}), by id; empty unless this node leads. */
  progress(): FollowerProgress[] {
    const state = this.#state;
    if (state.kind !== "leader") return [];
    const config = this.#log.latestConfig();
    return [...state.followers].map(([id, p]) => p.view(id, config.isVoter(id)));
  }

  /**
   * Leader only: broadcasts an empty AppendEntriesCall and returns a new heartbeat sequence number.
   * Once {@link RaftNode.getHeartbeatStatus} says `confirmed` for it, a quorum acknowledged this
   * node's leadership after the call, which is the barrier for a linearizable read. It does not
   * re-arm the leader's timer: heartbeat rounds (check-quorum, transfer deadlines) keep their pace.
   */
  heartbeat(): HeartbeatResult {
    const state = this.#state;
    if (state.kind !== "leader") return { ok: false, reason: "not_leader", leaderHint: this.#leaderId };
    const seq = this.#barrier.next();
    state.followers.clearProbes();
    if (state.followers.size > 0) {
      const last = this.#log.lastPosition;
      this.#actions.addBroadcast(this.#appendEntriesCall(new LogEntries(last)));
      // Merged into a pending broadcast that leaves out followers with a full window, the heartbeat
      // would miss them: they get their own, unless a call to them is pending already.
      for (const to of this.#actions.broadcastExcept) {
        if (!this.#actions.sendMessages.has(to)) this.#send(to, this.#appendEntriesCall(new LogEntries(last)));
      }
    }
    return { ok: true, seq };
  }

  /** Whether the heartbeat numbered `seq` has been acknowledged by a quorum in this leadership term. */
  getHeartbeatStatus(seq: number): HeartbeatStatus {
    const state = this.#state;
    if (state.kind !== "leader") return "rejected";
    return this.#barrier.status(seq, this.#log.latestConfig(), state.followers);
  }

  /** Where the entry at `position` stands (see {@link CommitStatus}); valid on any node. */
  getCommitStatus(position: LogPosition): CommitStatus {
    if (LogPosition.isInvalid(position)) return "rejected";
    if (position.index < this.#log.snapshotPosition.index) return "unknown";
    if (position.index <= this.#commitIndex) {
      return this.#log.entries.contains(position) ? "committed" : "rejected";
    }
    // Terms grow along the log: a lower-term entry above the commit point can never commit.
    const committedTerm = this.#log.entries.getTerm(this.#commitIndex);
    if (committedTerm !== undefined && committedTerm > position.term) return "rejected";
    return "in_progress";
  }

  /**
   * True iff `message` is a higher-term RequestVoteCall that would disrupt a working leadership:
   * this node leads, or follows a leader it has heard from since its election timer was last armed
   * (the timer re-arms on every call from the leader, and its expiry forgets the leader). A runtime
   * may drop such messages before {@link RaftNode.handleMessage}: this is the Raft thesis §4.2.3
   * lease, measured with the election timer. Unlike raftbare's predicate it does not keep filtering
   * for a node that merely voted for someone else, which could stall elections forever.
   */
  couldBeDisruptiveRequestVote(message: Message): boolean {
    if (message.type !== "RequestVoteCall" || message.term <= this.#currentTerm) return false;
    if (message.preVote === true || message.transfer === true) return false; // Harmless, or wanted by the leader.
    if (this.#state.kind === "leader") return true;
    return this.#state.kind === "follower" && this.#leaderId !== null && this.#leaderId !== message.from;
  }

  // ---------------------------------------------------------------- events

  /**
   * True iff this node takes messages from `id`: `id` is a member of the latest configuration, or
   * of the one before it while the latest is not committed (a member removed by a change that is
   * not committed may still be needed to elect a leader, Raft thesis §4.2.2), or this node has no
   * configuration yet (a fresh node joins the cluster that reaches it first). Messages from any other sender
   * never change this node's term, role, vote or log (see {@link RaftNode.handleMessage}).
   */
  acceptsMessagesFrom(id: NodeId): boolean {
    const latest = this.#log.latestConfig();
    if (latest.isEmpty || latest.contains(id)) return true;
    return this.#previousConfigIfUncommitted()?.contains(id) ?? false;
  }

  /**
   * True iff a snapshot from `from` whose configuration is `config` may be installed here: this
   * node hears `from` now (a member, the leader it follows, or anyone once it lost its leader; see
   * {@link RaftNode.handleMessage}), or the snapshot's configuration names the sender (a leader
   * added after this node's log ends catches it up this way; the entries after the snapshot then
   * bring the configuration that names this node).
   */
  acceptsSnapshotFrom(from: NodeId, config: ClusterConfig): boolean {
    return this.acceptsMessagesFrom(from) || this.#hearsOutsider(from) || config.contains(from);
  }

  /**
   * Handles a message from a peer. Stale, duplicated or reordered messages are harmless. A message
   * whose term exceeds {@link Term.MAX} is ignored. A message from a sender this node does not take
   * messages from (see {@link RaftNode.acceptsMessagesFrom}) changes nothing while this node is
   * part of a working cluster: an AppendEntriesCall gets a `refused` reply that reports where this
   * log ends, and anything else is ignored. Once this node has lost its leader (its timer expired
   * since it last heard from one), it hears outsiders like members: a member added after this log
   * ends may need its vote, or lead it.
   */
  handleMessage(message: Message): void {
    if (message.from === this.#id) return; // A message from ourselves (e.g. a broadcast loop): ignore.
    if (message.term > Term.MAX) return; // No node may hold such a term: invalid peer input.
    if (this.#ignoresVoteRequest(message)) return;
    if (this.acceptsMessagesFrom(message.from)) this.#handleMemberMessage(message);
    else this.#handleOutsiderMessage(message);
  }

  /**
   * Check-quorum's leader stickiness (Raft thesis §4.2.3): while this node leads, or follows a
   * leader it heard from since its election timer was last armed, a vote request for a later term
   * is ignored, unless the leader asked for it (a transfer). Pre-votes are answered (they move no
   * term; such a voter refuses them).
   */
  #ignoresVoteRequest(message: Message): boolean {
    if (!this.#options.checkQuorum || message.type !== "RequestVoteCall") return false;
    if (message.preVote === true || message.transfer === true || message.term <= this.#currentTerm) return false;
    return this.#hasLeader();
  }

  /** True iff this node leads, or follows a leader it heard from since its timer was last armed. */
  #hasLeader(): boolean {
    return this.#leaderId !== null;
  }

  #handleMemberMessage(message: Message): void {
    // A pre-vote and a granted pre-vote reply carry the term asked about, which nobody holds yet.
    if (message.term > this.#currentTerm && !carriesFutureTerm(message)) this.#transitionToFollower(message.term);
    switch (message.type) {
      case "RequestVoteCall":
        this.#handleRequestVoteCall(message);
        break;
      case "RequestVoteReply":
        this.#handleRequestVoteReply(message);
        break;
      case "AppendEntriesCall":
        this.#handleAppendEntriesCall(message);
        break;
      case "AppendEntriesReply":
        this.#handleAppendEntriesReply(message);
        break;
      case "TimeoutNow":
        this.#handleTimeoutNow(message);
        break;
    }
  }

  /**
   * Handles the expiry of the timer armed by SetElectionTimeout. A leader counts a heartbeat round
   * (check-quorum may step it down, a transfer may be abandoned) and sends a heartbeat. Any other
   * node forgets the leader it knew and, if it may campaign, starts an election, or with `preVote`
   * a pre-vote; a learner or removed node does nothing more and leaves the timer unarmed.
   */
  handleElectionTimeout(): void {
    const state = this.#state;
    if (state.kind === "leader") {
      this.#leaderTick(state);
      return;
    }
    this.#leaderId = null; // No word from the leader for a whole timeout: stop deferring to it.
    this.#timedOutWithoutLeader = true;
    if (this.#options.preVote) this.#transitionToPreCandidate();
    else this.#transitionToCandidate();
  }

  /** One expiry of the leader's timer: a heartbeat round. */
  #leaderTick(state: LeaderState): void {
    state.followers.tick();
    const ticks = this.#options.electionTicks;
    if (state.transfer !== null && ++state.transfer.ticks >= ticks) state.transfer = null; // Abandoned.
    state.ticks += 1;
    if (this.#options.checkQuorum && state.ticks >= ticks) {
      state.ticks = 0;
      if (!state.followers.endQuorumRound(this.#log.latestConfig())) {
        this.stepDown(); // No quorum answered for an election timeout: we may well be cut off.
        return;
      }
    }
    this.heartbeat();
    this.#actions.setElectionTimeout = true;
  }

  /**
   * Before a snapshot received from the leader is stored: true iff {@link RaftNode.handleSnapshotInstalled}
   * would take a snapshot at `position` (it is above the commit index, its term is at most
   * {@link Term.MAX}, and this node does not lead). A snapshot from a term newer than the current
   * one moves the node to that term first (as a follower, with no vote): SaveCurrentTerm and
   * SaveVotedFor are then pending, and they must be durable before the snapshot is, because a
   * snapshot from a term after the durable term leaves a log holding an entry from a future term,
   * from which no node can restart. The election timer is re-armed (SetElectionTimeout), as by a
   * call from the leader. Changes nothing when it returns false.
   */
  prepareSnapshotInstall(position: LogPosition): boolean {
    if (!this.#takesLeaderSnapshot(position)) return false;
    if (position.term > this.#currentTerm) this.#transitionToFollower(position.term);
    // Like a call from the leader, a snapshot (re)arms the timer: a node that was seeded with one
    // must still notice when nobody leads it.
    this.#actions.setElectionTimeout = true;
    return true;
  }

  /**
   * Tells the node a snapshot covering everything up to `position` (with `config` in force there)
   * is durable. Two uses: local compaction (`position` at or below the commit index, in the log,
   * and `config` equal to the log's config there), and a snapshot received from the leader
   * (`position` above the commit index; refused on a leader; see {@link RaftNode.prepareSnapshotInstall},
   * whose term change this repeats if it was not called). Entries after `position` that this log
   * already matches are kept, and so is their pending storage append; otherwise the whole log is
   * replaced, and pending replies that report entries of the replaced log are dropped. The user
   * must then drop stored entries at or below `position.index` — all stored entries if
   * `log.lastPosition` equals `position`. Returns false (and changes nothing) if refused.
   */
  handleSnapshotInstalled(position: LogPosition, config: ClusterConfig): boolean {
    if (position.index <= this.#log.snapshotPosition.index) return false; // Already covered.
    const keepsSuffix = this.#log.entries.contains(position);
    if (position.index <= this.#commitIndex) {
      if (!keepsSuffix) return false; // Local compaction must name an entry of this log.
      if (!config.equals(this.#log.getConfig(position.index) as ClusterConfig)) return false;
    } else if (!this.prepareSnapshotInstall(position)) {
      return false; // A leader has every committed entry; it never installs someone else's snapshot.
    }
    const suffix = keepsSuffix ? this.#log.entries.since(position) : undefined;
    this.#log = new Log(config, suffix ?? new LogEntries(position));
    this.#trimPendingAppend(position, keepsSuffix);
    if (!keepsSuffix) this.#dropStaleReplies();
    if (position.index > this.#commitIndex) this.#commitIndex = position.index; // Snapshots hold committed state only.
    if (!keepsSuffix || this.#durableIndex < position.index) this.#durableIndex = position.index;
    return true;
  }

  /**
   * Reports that the log is durable up to `position` (every entry at or before it). Only needed
   * with `trackDurableIndex`; a position no longer in the log (overwritten since) is ignored.
   */
  handleLogDurable(position: LogPosition): void {
    if (position.index <= this.#durableIndex) return; // Nothing new.
    if (!this.#log.entries.contains(position)) return; // Overwritten since the write was issued.
    this.#durableIndex = position.index;
    this.#maybeAdvanceCommit();
  }

  // ---------------------------------------------------------------- elections

  #canCampaign(): boolean {
    if (this.#log.latestConfig().isVoter(this.#id)) return true;
    // Raft thesis §4.2.2: a node removed by an uncommitted config may still be needed to elect a leader.
    return this.#previousConfigIfUncommitted()?.isVoter(this.#id) ?? false;
  }

  /**
   * The configuration before the latest one, while the latest is not known to be committed (it
   * may yet be replaced, and its members may be needed); undefined once it is committed.
   */
  #previousConfigIfUncommitted(): ClusterConfig | undefined {
    const at = this.#log.latestConfigIndex();
    if (this.#commitIndex >= at) return undefined;
    return this.#log.getConfig(at - 1);
  }

  /** True iff this node lost its leader (its timer expired since it last heard from one), or follows `id`. */
  #hearsOutsider(id: NodeId): boolean {
    if (id === this.#leaderId) return true;
    return this.#state.kind !== "leader" && this.#leaderId === null && this.#timedOutWithoutLeader;
  }

  #takesLeaderSnapshot(position: LogPosition): boolean {
    if (position.index <= this.#commitIndex) return false; // Stale: we have committed past it.
    if (position.term > Term.MAX) return false; // No node may hold such a term: invalid input.
    return this.#state.kind !== "leader"; // A leader has every committed entry.
  }

  /** True iff this node may campaign now (it is a voter, and its term can still grow). */
  #mayCampaign(): boolean {
    if (!this.#canCampaign()) return false; // Learners and removed nodes do not campaign.
    if (this.#currentTerm >= Term.MAX) {
      this.#flagInconsistency(`term ${this.#currentTerm} is the highest a node may hold; it cannot campaign`);
      return false;
    }
    return true;
  }

  /** Pre-vote (Raft thesis §9.6): asks whether a quorum would vote for us in the next term; changes no term. */
  #transitionToPreCandidate(): void {
    if (!this.#mayCampaign()) return;
    const granted = new Set([this.#id]);
    this.#state = { kind: "precandidate", granted };
    if (hasJointMajority(this.#log.latestConfig(), granted)) {
      this.#transitionToCandidate(); // The only voter.
      return;
    }
    const call: RequestVoteCall = {
      type: "RequestVoteCall",
      from: this.#id,
      term: (this.#currentTerm + 1) as Term,
      lastPosition: this.#log.lastPosition,
      preVote: true,
    };
    this.#actions.addBroadcast(call);
    this.#actions.setElectionTimeout = true;
  }

  #transitionToCandidate(transfer = false): void {
    if (!this.#mayCampaign()) return;
    this.#setTerm((this.#currentTerm + 1) as Term);
    this.#votedFor = this.#id;
    this.#actions.saveVotedFor = true;
    const granted = new Set([this.#id]);
    this.#state = { kind: "candidate", granted };
    if (hasJointMajority(this.#log.latestConfig(), granted)) {
      this.#transitionToLeader(); // The only voter.
      return;
    }
    const base = {
      type: "RequestVoteCall",
      from: this.#id,
      term: this.#currentTerm,
      lastPosition: this.#log.lastPosition,
    } as const;
    const call: RequestVoteCall = transfer ? { ...base, transfer: true } : base;
    this.#actions.addBroadcast(call);
    this.#actions.setElectionTimeout = true;
  }

  /**
   * A pre-vote for `call.term`: granted iff that term is later than ours, the asker's log is at
   * least as up to date, and we heard from no leader since our timer was last armed (Raft thesis
   * §9.6). Nothing changes here; a refusal carries our term, so a pre-candidate that fell behind
   * in terms catches up.
   */
  #handlePreVoteCall(call: RequestVoteCall): void {
    const grant =
      call.term > this.#currentTerm &&
      !this.#hasLeader() &&
      LogPosition.compare(call.lastPosition, this.#log.lastPosition) >= 0;
    const term = grant ? call.term : this.#currentTerm;
    this.#send(call.from, { type: "RequestVoteReply", from: this.#id, term, voteGranted: grant, preVote: true });
  }

  #handleRequestVoteCall(call: RequestVoteCall): void {
    if (call.preVote === true) {
      this.#handlePreVoteCall(call);
      return;
    }
    if (call.term < this.#currentTerm) {
      this.#send(call.from, this.#voteReply(false)); // Tell the stale candidate our newer term.
      return;
    }
    const kind = this.#state.kind;
    if (kind === "candidate" || kind === "leader") return; // They voted for themselves this term.
    if (this.#votedFor !== null && this.#votedFor !== call.from) return; // Already voted for another.
    if (this.#leaderId !== null && this.#leaderId !== call.from) return; // This term already has a leader.
    // Raft §5.4.1: grant only to a candidate whose log is at least as up-to-date (term, then index).
    if (LogPosition.compare(call.lastPosition, this.#log.lastPosition) < 0) return;
    if (this.#votedFor === null) {
      this.#votedFor = call.from;
      this.#actions.saveVotedFor = true;
    }
    this.#send(call.from, this.#voteReply(true));
    this.#actions.setElectionTimeout = true;
  }

  #handleRequestVoteReply(reply: RequestVoteReply): void {
    const state = this.#state;
    if (reply.preVote === true) {
      if (state.kind !== "precandidate") return; // The pre-vote is over.
      if (!reply.voteGranted || reply.term !== this.#currentTerm + 1) return; // A refusal, or a delayed reply.
      state.granted.add(reply.from);
      if (hasJointMajority(this.#log.latestConfig(), state.granted)) this.#transitionToCandidate();
      return;
    }
    if (state.kind !== "candidate") return; // The election is over.
    if (reply.term !== this.#currentTerm) return; // Delayed reply from an old term.
    if (!reply.voteGranted) return;
    state.granted.add(reply.from);
    if (hasJointMajority(this.#log.latestConfig(), state.granted)) this.#transitionToLeader();
  }

  /** The leader hands leadership to us: campaign at once (no pre-vote), asking voters to ignore stickiness. */
  #handleTimeoutNow(message: TimeoutNow): void {
    if (message.term !== this.#currentTerm || this.#state.kind === "leader") return; // Stale.
    if (this.#leaderId !== null && this.#leaderId !== message.from) return; // Not from our leader.
    this.#transitionToCandidate(true);
  }

  #transitionToLeader(): void {
    assert(this.#state.kind === "candidate", "only a candidate becomes leader");
    assert(this.#votedFor === this.#id, "a leader voted for itself");
    this.#state = {
      kind: "leader",
      followers: new ProgressTracker(this.#id),
      ticks: 0,
      transfer: null,
      uncommittedBytes: this.#uncommittedBytes(),
      configCommitSeen: -1,
    };
    this.#leaderId = this.#id;
    this.#timedOutWithoutLeader = false;
    this.#barrier.startLeadership();
    this.#syncFollowers();
    this.#propose(LogEntry.term(this.#currentTerm));
    this.#actions.setElectionTimeout = true; // From now on: the heartbeat interval.
  }

  /** Becomes a follower in `term` (>= the current term). Re-arms the timer only when leaving leader/candidate. */
  #transitionToFollower(term: Term): void {
    assert(term >= this.#currentTerm, "terms never decrease");
    const wasActive = this.#state.kind !== "follower";
    if (term > this.#currentTerm) {
      this.#setTerm(term);
      this.#votedFor = null;
      this.#actions.saveVotedFor = true;
    }
    this.#state = FOLLOWER;
    if (wasActive) this.#actions.setElectionTimeout = true;
  }

  #setTerm(term: Term): void {
    this.#currentTerm = term;
    this.#actions.saveCurrentTerm = true;
    this.#leaderId = null;
  }

  #voteReply(granted: boolean): RequestVoteReply {
    return { type: "RequestVoteReply", from: this.#id, term: this.#currentTerm, voteGranted: granted };
  }

  // ---------------------------------------------------------------- outsiders

  /**
   * A message from a sender outside our configuration. While this node is part of a working
   * cluster (it leads, or follows a leader it heard from since its timer last expired), such a
   * message changes nothing: an AppendEntriesCall gets a refused reply (a leader added after our
   * log ends then sends a snapshot), anything else is ignored. Once this node has lost its leader,
   * it hears outsiders as every Raft server should (Raft thesis §4.1): a member added after its
   * log ends may need its vote, or lead it; and it keeps hearing the outsider it then follows.
   */
  #handleOutsiderMessage(message: Message): void {
    if (this.#hearsOutsider(message.from)) {
      this.#handleMemberMessage(message); // Lost our leader, or it is the outsider we follow already.
      return;
    }
    if (message.type !== "AppendEntriesCall") return; // Votes and replies from outsiders are ignored.
    this.#send(message.from, { ...this.#appendReply(message.seq, true), refused: true });
  }

  // ---------------------------------------------------------------- follower side

  #handleAppendEntriesCall(call: AppendEntriesCall): void {
    if (call.term < this.#currentTerm) {
      this.#send(call.from, this.#appendReply(call.seq, true)); // Tell the stale leader our newer term.
      return;
    }
    if (this.#state.kind === "leader") {
      this.#flagInconsistency(`two leaders in term ${call.term}: ${this.#id} and ${call.from}`);
      return;
    }
    if (this.#leaderId !== null && this.#leaderId !== call.from) {
      this.#flagInconsistency(`two leaders in term ${call.term}: ${this.#leaderId} and ${call.from}`);
      return;
    }
    if (this.#state.kind !== "follower") this.#transitionToFollower(this.#currentTerm); // The term has a leader.
    this.#leaderId = call.from;
    this.#timedOutWithoutLeader = false;
    this.#actions.setElectionTimeout = true;
    const accepted = this.#appendFromLeader(call.entries);
    if (accepted) {
      const upTo = Math.min(call.commitIndex, call.entries.lastIndex) as LogIndex;
      if (upTo > this.#commitIndex) this.#commitIndex = upTo;
    }
    this.#send(call.from, this.#appendReply(call.seq, !accepted));
  }

  /** Adds the leader's entries to the log; false if they do not attach to it. */
  #appendFromLeader(entries: LogEntries): boolean {
    const local = this.#log.entries;
    if (!entries.isEmpty && local.endsAt(entries.prevPosition)) {
      // The usual case: the entries extend our log. The log copies them; the storage action may
      // take the call's segment as it is (borrowed: it may reach other destinations too, so the
      // actions copy it before anything would change it).
      local.append(entries);
      this.#actions.addAppend(entries, true);
      return true;
    }
    if (local.contains(entries.lastPosition)) return true; // Nothing new (duplicate or reordered call).
    if (!local.contains(entries.prevPosition)) {
      this.#dropConflictAt(entries.prevPosition);
      return false;
    }
    const from = local.firstDifferentIndex(entries);
    assert(from !== undefined, "a call whose last position is missing has a new entry");
    if (from <= this.#commitIndex) {
      this.#flagInconsistency(`leader ${entries.prevPosition.term} rewrites committed index ${from}`);
      return false;
    }
    const suffix = entries.since(local.positionAt(from - 1) as LogPosition) as LogEntries;
    if (from <= local.lastIndex) this.#truncateLog(from - 1);
    local.append(suffix); // Copies: `suffix` stays a separate object, owned by the action below.
    this.#actions.addAppend(suffix);
    return true;
  }

  /** The leader's prev position is missing here; drop a local entry that conflicts with it. */
  #dropConflictAt(prev: LogPosition): void {
    const local = this.#log.entries;
    if (!local.containsIndex(prev.index)) return; // Simply behind: the reply reports where we are.
    if (prev.index <= this.#commitIndex) {
      this.#flagInconsistency(`leader's entry ${LogPosition.format(prev)} conflicts with committed state`);
      return;
    }
    this.#truncateLog(prev.index - 1);
  }

  /**
   * Drops in-memory entries after `index`, the pending storage append for them, and the pending
   * replies that report them (a reply vouches for the entries it reports, and those will never be
   * stored).
   */
  #truncateLog(index: number): void {
    assert(index >= this.#commitIndex, "committed entries are never truncated");
    this.#log.entries.truncateAfter(index);
    if (this.#durableIndex > index) this.#durableIndex = index as LogIndex;
    this.#dropStaleReplies();
    const pending = this.#actions.appendLogEntries;
    if (pending === null || pending.lastIndex <= index) return;
    if (pending.prevIndex >= index) this.#actions.appendLogEntries = null;
    else (this.#actions.ownedAppend() as LogEntries).truncateAfter(index);
  }

  /** Drops pending AppendEntriesReplies whose reported last position is no longer in the log. */
  #dropStaleReplies(): void {
    const entries = this.#log.entries;
    for (const [to, message] of this.#actions.sendMessages) {
      if (message.type !== "AppendEntriesReply" || message.lastPosition.index < entries.prevIndex) continue;
      if (!entries.contains(message.lastPosition)) this.#actions.sendMessages.delete(to);
    }
  }

  #trimPendingAppend(position: LogPosition, keepsSuffix: boolean): void {
    const pending = this.#actions.appendLogEntries;
    if (pending === null) return;
    if (!keepsSuffix || pending.lastIndex <= position.index) {
      this.#actions.appendLogEntries = null; // Wholly covered by the snapshot, or the log was replaced.
      return;
    }
    if (pending.prevIndex >= position.index) return; // Entirely after the snapshot: keep it all.
    this.#actions.appendLogEntries = pending.since(position) ?? null;
    assert(this.#actions.appendLogEntries !== null, "a pending append matches the log it was taken from");
  }

  #appendReply(seq: number, rejected: boolean): AppendEntriesReply {
    return {
      type: "AppendEntriesReply",
      from: this.#id,
      term: this.#currentTerm,
      generation: this.#generation,
      lastPosition: this.#log.lastPosition,
      rejected,
      seq,
    };
  }

  #flagInconsistency(what: string): void {
    if (this.#inconsistency === null) this.#inconsistency = what;
  }

  // ---------------------------------------------------------------- leader side

  /** Appends `entry` as leader, stores and broadcasts it, and tries to commit. */
  #propose(entry: LogEntry): LogPosition {
    const state = this.#leaderState();
    const entries = this.#log.entries;
    const prev = entries.lastPosition;
    entries.push(entry);
    this.#queueAppend(prev, entry);
    if (entry.kind === "config") this.#syncFollowers();
    if (state.followers.size > 0) this.#broadcastEntry(state, prev, entry);
    // The leader's timer is its heartbeat interval and proposals do not re-arm it: heartbeats (and
    // with them the retransmission of lost catch-up data, see heartbeat()) keep a steady pace under load.
    const position = entries.lastPosition;
    // Our own append moves the majority only when we alone form a quorum (we hold the longest log).
    if (state.followers.selfQuorum) this.#maybeAdvanceCommit();
    return position;
  }

  #queueAppend(prev: LogPosition, entry: LogEntry): void {
    const pending = this.#actions.appendLogEntries;
    if (pending?.endsAt(prev) === true) (this.#actions.ownedAppend() as LogEntries).push(entry);
    else this.#actions.addAppend(LogEntries.of(prev, entry));
  }

  #broadcastEntry(state: LeaderState, prev: LogPosition, entry: LogEntry): void {
    const last = this.#log.entries.lastIndex;
    const pending = this.#actions.broadcastMessage;
    const extending =
      pending !== null &&
      pending.type === "AppendEntriesCall" &&
      pending.term === this.#currentTerm &&
      pending.entries.lastIndex === prev.index &&
      pending.entries.lastTerm === prev.term;
    if (extending) {
      // Commit changes refresh the pending broadcast and heartbeats merge into it, so it is current.
      assert(
        pending.commitIndex === this.#commitIndex && pending.seq === this.#barrier.seq,
        "pending broadcast is current",
      );
      pending.entries.push(entry);
    } else {
      this.#actions.addBroadcast(this.#appendEntriesCall(LogEntries.of(prev, entry)));
    }
    const window = this.#options.maxInflightMessages;
    if (window === Number.POSITIVE_INFINITY) {
      // No window: nothing to count (the progress view then shows no sends in flight).
      const list = state.followers.list;
      for (let k = 0; k < list.length; k++) if (list[k].nextIndex === prev.index + 1) list[k].sentThrough(last, false);
      return;
    }
    const except = this.#actions.broadcastExcept;
    // By index, not by the map's iterator: this runs per proposal.
    const ids = state.followers.ids;
    const list = state.followers.list;
    for (let k = 0; k < list.length; k++) {
      const id = ids[k];
      const p = list[k];
      if (except.size > 0 && except.has(id)) continue; // Left out of the pending broadcast already: it catches up later.
      if (p.isPaused(window)) {
        except.add(id); // Flow control: its window is full.
      } else if (p.nextIndex === prev.index + 1) {
        p.sentThrough(last, true, extending);
      }
    }
  }

  #appendEntriesCall(entries: LogEntries): AppendEntriesCall {
    return {
      type: "AppendEntriesCall",
      from: this.#id,
      term: this.#currentTerm,
      commitIndex: this.#commitIndex,
      entries,
      seq: this.#barrier.seq,
    };
  }

  /** Makes the follower map match the latest configuration (new members start optimistic). */
  #syncFollowers(): void {
    const { followers } = this.#leaderState();
    followers.sync(this.#log.latestConfig(), this.peers, this.#log.entries.lastIndex + 1);
  }

  /** The leader's role state; asserts that this node leads. */
  #leaderState(): LeaderState {
    const state = this.#state;
    assert(state.kind === "leader", "only a leader has followers");
    return state;
  }

  #handleAppendEntriesReply(reply: AppendEntriesReply): void {
    const state = this.#state;
    if (state.kind !== "leader") return; // Not the leader (any more): a delayed reply.
    const p = state.followers.get(reply.from);
    if (p === undefined) return; // Not a member of the latest configuration.
    if (reply.refused === true) {
      // The follower's configuration does not name us (we joined after its log ends): only a
      // snapshot, whose configuration names us, can bring it up to date.
      p.needsSnapshot();
      this.#actions.installSnapshots.add(reply.from);
      return;
    }
    if (reply.term < this.#currentTerm) return; // Delayed reply from an old term.
    p.heard();
    const newRound = reply.seq > p.seqAck && reply.seq <= this.#barrier.seq;
    p.ackSeq(reply.seq, this.#barrier.seq); // A larger seq than ours was never sent.
    // The first answer after a heartbeat frees one slot of a full window: a send may have been lost.
    if (newRound && p.isPaused(this.#options.maxInflightMessages)) p.freeOldest();
    if (reply.generation < p.generation) return; // From an older incarnation of the follower.
    if (reply.generation > p.generation) {
      // The follower restarted: what it reports now is the truth, even if it lost an unsynced tail.
      p.restarted(reply.generation);
    } else if (reply.lastPosition.index < p.matchIndex) {
      return; // Delayed reply: the follower has already reported more.
    }
    if (!this.#log.entries.contains(reply.lastPosition)) {
      this.#repairFollower(reply.from, p, reply.lastPosition);
      return;
    }
    this.#advanceMatch(p, reply.lastPosition.index);
    if (this.#state.kind !== "leader") return; // Stepped down: the committed configuration excludes us.
    if (!state.followers.has(reply.from)) return; // Its removal (C_new) was appended by this reply's commit.
    this.#continueReplication(reply.from, p, reply);
    if (state.transfer?.target === reply.from) this.#advanceTransfer(state, reply.from, p);
  }

  /** Moves a transfer on: once the target holds our whole log, it is told to campaign; until then it is caught up. */
  #advanceTransfer(state: LeaderState, target: NodeId, p: Progress): void {
    const transfer = state.transfer;
    if (transfer === null || transfer.timeoutSent) return;
    if (p.matchIndex === this.#log.entries.lastIndex) {
      transfer.timeoutSent = true;
      this.#send(target, { type: "TimeoutNow", from: this.#id, term: this.#currentTerm });
      return;
    }
    const entries = this.#log.entries;
    if (p.matchIndex < entries.prevIndex) {
      p.needsSnapshot();
      this.#actions.installSnapshots.add(target);
    } else if (p.nextIndex > entries.lastIndex) {
      // Everything is in flight or was lost: resend from the known match so the target catches up now.
      this.#sendEntriesSince(target, p, entries.positionAt(p.matchIndex) as LogPosition);
    }
  }

  #advanceMatch(p: Progress, index: number): void {
    if (p.matched(index) && index > this.#commitIndex) this.#maybeAdvanceCommit();
  }

  /** The follower matches us up to its last position; send what it lacks unless it is in flight. */
  #continueReplication(id: NodeId, p: Progress, reply: AppendEntriesReply): void {
    const from = reply.lastPosition;
    if (from.index >= this.#log.entries.lastIndex) return; // Up to date.
    if (reply.rejected) {
      if (p.isProbing(from.index)) return; // A catch-up from here is already on its way.
      p.refusedEntries();
      p.startProbe(from.index);
    } else if (from.index + 1 < p.nextIndex || p.isPaused(this.#options.maxInflightMessages)) {
      return; // The rest is in flight, or the window is full.
    }
    this.#sendEntriesSince(id, p, from);
  }

  /**
   * The follower's last position is not in our log: it is behind our snapshot, or holds entries
   * from old terms. Its entries of term > its last term cannot match ours above the last index
   * where our term is at most its last term, so resend from there (one round trip per divergent term).
   */
  #repairFollower(id: NodeId, p: Progress, last: LogPosition): void {
    const entries = this.#log.entries;
    if (last.index < entries.prevIndex) {
      p.needsSnapshot();
      this.#actions.installSnapshots.add(id); // Behind our snapshot: only a snapshot can help.
      return;
    }
    const from = entries.lastIndexWithTermAtMost(last.term, Math.min(last.index, entries.lastIndex));
    if (p.isProbing(from)) return; // A repair from here is already on its way.
    p.refusedEntries();
    p.startProbe(from);
    this.#sendEntriesSince(id, p, entries.positionAt(from) as LogPosition);
  }

  #sendEntriesSince(id: NodeId, p: Progress, from: LogPosition): void {
    const { maxEntriesPerMessage, maxBytesPerMessage } = this.#options;
    const entries = this.#log.entries.since(from, maxEntriesPerMessage, maxBytesPerMessage);
    assert(entries !== undefined, `the leader's log contains ${LogPosition.format(from)}`);
    if (this.#options.maxInflightMessages === Number.POSITIVE_INFINITY) {
      p.sentThrough(entries.lastIndex, false); // No window: nothing to count.
    } else {
      const pending = this.#actions.sendMessages.get(id);
      // A pending call this one extends leaves as one message (see mergeMessages).
      const extends_ =
        pending?.type === "AppendEntriesCall" &&
        pending.term === this.#currentTerm &&
        pending.entries.contains(entries.prevPosition);
      p.sentThrough(entries.lastIndex, entries.length > 0, extends_);
    }
    this.#send(id, this.#appendEntriesCall(entries));
  }

  #ownMatchIndex(): number {
    const last = this.#log.entries.lastIndex;
    return this.#options.trackDurableIndex ? Math.min(last, this.#durableIndex) : last;
  }

  #maybeAdvanceCommit(): void {
    const state = this.#state;
    if (state.kind !== "leader") return;
    const majority = state.followers.quorumMatch(this.#log.latestConfig(), this.#ownMatchIndex());
    if (majority <= this.#commitIndex) return;
    // Raft §5.4.2: only an entry of the current term commits by counting replicas.
    if (this.#log.entries.getTerm(majority) !== this.#currentTerm) return;
    if (this.#options.maxUncommittedBytes !== Number.POSITIVE_INFINITY) {
      state.uncommittedBytes = Math.max(0, state.uncommittedBytes - this.#payloadBytesIn(this.#commitIndex, majority));
    }
    this.#commitIndex = majority as LogIndex;
    this.#refreshPendingCommit();
    this.#handleConfigCommitted(state);
  }

  /** A pending broadcast carries the newest commit index, so followers learn it without delay. */
  #refreshPendingCommit(): void {
    const pending = this.#actions.broadcastMessage;
    if (pending === null || pending.type !== "AppendEntriesCall" || pending.term !== this.#currentTerm) return;
    this.#actions.broadcastMessage = { ...pending, commitIndex: this.#commitIndex };
  }

  #handleConfigCommitted(state: LeaderState): void {
    const at = this.#log.latestConfigIndex();
    if (this.#commitIndex < at || state.configCommitSeen === at) return;
    // Acting on it again would change nothing: it proposes C_new (a new latest config) or steps down.
    state.configCommitSeen = at;
    const config = this.#log.latestConfig();
    if (config.isJoint) {
      this.#propose(LogEntry.config(finalConfigOf(config))); // Joint consensus, second phase: C_new.
      return;
    }
    if (!config.isVoter(this.#id)) {
      this.#leaderId = null;
      this.#transitionToFollower(this.#currentTerm); // Our removal is committed: step down.
    }
  }

  #send(to: NodeId, message: Message): void {
    this.#actions.addSend(to, message);
  }

  /** Payload bytes of the entries after the commit index (counted when maxUncommittedBytes is set). */
  #uncommittedBytes(): number {
    if (this.#options.maxUncommittedBytes === Number.POSITIVE_INFINITY) return 0;
    return this.#payloadBytesIn(this.#commitIndex, this.#log.entries.lastIndex);
  }

  /** Payload bytes of the entries in (after, upTo]. */
  #payloadBytesIn(after: number, upTo: number): number {
    let bytes = 0;
    for (let i = after + 1; i <= upTo; i++) {
      const entry = this.#log.entries.getEntry(i);
      if (entry !== undefined) bytes += payloadBytes(entry);
    }
    return bytes;
  }

  #reject(reason: ProposeRejection, detail: string): ProposeRefusal {
    return { ok: false, reason, detail, leaderHint: this.#leaderId };
  }

  #notLeader(): ProposeRefusal {
    const leader = this.#leaderId;
    return this.#reject("not_leader", leader === null ? "no leader is known" : `the leader is ${leader}`);
  }

  #transferring(target: NodeId): ProposeRefusal {
    return this.#reject("transfer_in_progress", `leadership is being transferred to ${target}; retry shortly`);
  }
}

/** True iff `message` is a pre-vote or grants one: its term is the one asked about, not the sender's. */
function carriesFutureTerm(message: Message): boolean {
  if (message.type === "RequestVoteCall") return message.preVote === true;
  return message.type === "RequestVoteReply" && message.preVote === true && message.voteGranted;
}
