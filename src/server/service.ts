/**
 * The node service facade: what the HTTP routes need from a running Raft node. The runtime
 * implements it; route tests use a fake. Every method resolves (never rejects) with a tagged result.
 */

import type { KvEntry } from "../kv/mod.ts";

export type { KvEntry };

/** A cluster member as the API shows it: its id and the base URL other nodes reach it at. */
export interface MemberInfo {
  readonly id: string;
  readonly url: string;
}

/** Read consistency levels for KV reads. */
export type Consistency = "linearizable" | "leader" | "stale";

/** Error codes of the service; routes map each to one HTTP status. */
export type ServiceErrorCode =
  | "not_leader" // This node is not the leader (routes forward or redirect using `leader`).
  | "no_leader" // No leader is known right now (503).
  | "storage_unavailable" // This node's storage failed (a full disk, say); it retries reopening it (503).
  | "timeout" // Proposed, but the outcome is unknown (504, definite: false).
  | "leader_unreachable" // Forwarded to the leader over the peer link, which dropped before the answer (502, definite: false).
  | "overloaded" // A bounded queue is full, or the leader's uncommitted entries reached their limit (503); nothing was proposed.
  | "leader_transferring" // The leader is handing leadership to another node (503); nothing was proposed.
  | "compare_failed" // A compare-and-set did not match (409); committed, definite.
  | "idempotency_key_reused" // The idempotency key came with a different request before (422); committed, no effect.
  | "already_bootstrapped" // POST /v1/cluster on a node that is already in a cluster (409).
  | "nothing_to_snapshot" // POST /v1/snapshot on a node that has applied nothing yet (409).
  | "not_found" // Key or member not found (404).
  | "member_conflict" // A member with this id exists at another URL (409); nothing changed.
  | "learner_behind" // The learner is not caught up yet, so it cannot be promoted (409); nothing changed.
  | "change_in_progress" // Another configuration change is not finished yet (409); nothing changed.
  | "quorum_at_risk" // The change would leave fewer reachable voters than a quorum (409); nothing changed.
  | "invalid_request" // Semantically invalid input that passed schema validation (400).
  | "shutting_down" // The node is stopping (503).
  | "internal"; // A bug or a storage failure (500).

/** A failed service call. */
export interface ServiceError {
  readonly ok: false;
  /** The node whose answer this is, when not this one (the leader, for a write forwarded over the link). */
  readonly servedBy?: string;
  readonly code: ServiceErrorCode;
  readonly message: string;
  /** For writes: true iff the write certainly did not and will not take effect. */
  readonly definite?: boolean;
  /** The current leader, when known (for forwarding and redirects). */
  readonly leader?: MemberInfo | null;
  /** Extra machine-readable context. */
  readonly details?: Record<string, unknown>;
  /** True when this answer repeats the first result of a write with the same idempotency key. */
  readonly replayed?: boolean;
}

/** A member with its role in the latest configuration. */
export interface MemberStatus {
  readonly id: string;
  /** Null until this node has learned the member's URL (from the replicated directory or a handshake). */
  readonly url: string | null;
  readonly role: "voter" | "learner" | "joining_voter" | "leaving_voter";
}

/** One member as `GET /v1/cluster/members` shows it. */
export interface MemberView extends MemberStatus {
  /** True iff it is the leader this node knows. */
  readonly leader: boolean;
  /** Highest index known in its log (the leader's view; null on other nodes, and for the leader itself). */
  readonly matchIndex: number | null;
  /** Entries it lacks behind the leader's commit index (null where `matchIndex` is). */
  readonly lag: number | null;
  /** Milliseconds since the leader last heard from it (null if never, or not known here). */
  readonly lastContactMs: number | null;
  /** Whether the leader heard from it within an election timeout (null where not known). */
  readonly reachable: boolean | null;
  /** True iff it will be promoted to voter automatically once caught up. */
  readonly promotionPending: boolean;
}

/** The result of a membership change: the configuration it ended in. */
export interface MembershipChange {
  readonly ok: true;
  /** False iff nothing had to change (the request was already satisfied). */
  readonly changed: boolean;
  readonly members: readonly MemberView[];
}

/** The result of a leadership transfer. */
export interface LeaderChange {
  readonly ok: true;
  readonly leader: MemberInfo;
  readonly term: number;
}

/** What readiness is judged from (see `GET /readyz`). */
export interface ReadinessFacts {
  /** False once the node's storage failed (it restarts from disk) or the node is stopping. */
  readonly storageWritable: boolean;
  /** While the node's storage is failing: why (the latest storage error); absent otherwise. */
  readonly storageFailure?: string;
  /** On the leader: whether a quorum of voters answered within an election timeout; null elsewhere. */
  readonly leaderQuorum: boolean | null;
  /** Committed entries this node has not applied yet. */
  readonly applyLag: number;
}

/** Result of a successful read of one key (`kv` is null if absent). */
export interface GetResult {
  readonly ok: true;
  /** The node whose answer this is, when not this one (the leader that decided a forwarded write or confirmed a read index). */
  readonly servedBy?: string;
  readonly kv: KvEntry | null;
  /** The applied log index the read reflects. */
  readonly index: number;
}

/** Result of a successful prefix listing. */
export interface ListResult {
  readonly ok: true;
  /** The node whose answer this is, when not this one (the leader that decided a forwarded write or confirmed a read index). */
  readonly servedBy?: string;
  readonly items: readonly KvEntry[];
  /** True iff more keys matched than `limit`. */
  readonly more: boolean;
  readonly index: number;
}

/** Result of a committed and applied write. */
export interface WriteResult {
  readonly ok: true;
  /** The node whose answer this is, when not this one (the leader that decided a forwarded write or confirmed a read index). */
  readonly servedBy?: string;
  /** Log index of the write. */
  readonly index: number;
  /** The key's revision after the write (equals `index`); for a delete of a missing key, 0. */
  readonly revision: number;
  /** The entry before the write, if any. */
  readonly prev: KvEntry | null;
  /** True when this repeats the first result of a write with the same idempotency key (nothing changed now). */
  readonly replayed: boolean;
}

/** Options of a put: compare-and-set on the current value or revision (0 = key must not exist). */
export interface PutOptions {
  readonly expectValue?: string;
  readonly expectRevision?: number;
  /** The write is applied once per key: a repeat answers the first result and changes nothing. */
  readonly idempotencyKey?: string;
}

/** Options of a delete: compare-and-set as for put. */
export type DeleteOptions = PutOptions;

/** A follower's replication progress as the leader sees it. */
export interface FollowerProgressStatus {
  readonly id: string;
  /** True iff the follower votes (false for a learner). */
  readonly voter: boolean;
  /** The highest index known to be in the follower's log. */
  readonly matchIndex: number;
  /** The next index the leader sends it. */
  readonly nextIndex: number;
  /** AppendEntriesCalls with entries sent to it and not yet answered. */
  readonly inflight: number;
  /** Probing for where its log matches, replicating, or catching up through a snapshot. */
  readonly state: "probe" | "replicate" | "snapshot";
  /** Leader heartbeat intervals since it last answered. */
  readonly ticksSinceContact: number;
  /** Milliseconds since this node last received any message from it; null if it never did. */
  readonly lastContactMs: number | null;
}

/** The Raft options in force on the node. */
export interface NodeOptionsStatus {
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
}

/** The node's status. */
export interface NodeStatus {
  readonly id: string;
  readonly url: string;
  /** `precandidate`: asking for pre-votes, without having raised its term. */
  readonly role: "follower" | "precandidate" | "candidate" | "leader";
  readonly term: number;
  readonly leader: MemberInfo | null;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly lastIndex: number;
  readonly snapshotIndex: number;
  readonly members: readonly MemberStatus[];
  /** On the leader, one entry per follower; empty on every other node. */
  readonly progress: readonly FollowerProgressStatus[];
  readonly options: NodeOptionsStatus;
  readonly runtime: { readonly name: "bun" | "deno" | "node"; readonly version: string };
}

/** A snapshot on this node: the last log position it covers and the length of its file. */
export interface SnapshotInfo {
  readonly ok: true;
  readonly index: number;
  readonly term: number;
  /** The length in bytes of the snapshot file (what a download of it sends). */
  readonly bytes: number;
}

/** The latest snapshot, ready to send: its position, length and SHA-256, and its file's bytes. */
export interface SnapshotDownload extends SnapshotInfo {
  /** The SHA-256 of the whole file, as 64 lower-case hex digits. */
  readonly sha256: string;
  /** The file's bytes, pulled chunk by chunk; the file is released when it ends or is cancelled. */
  readonly body: ReadableStream<Uint8Array>;
}

/** What the HTTP layer needs from a node. */
export interface NodeService {
  /** This node's id and advertised URL. */
  readonly self: MemberInfo;
  /** The leader as this node knows it, or null. */
  leader(): MemberInfo | null;
  /** True iff this node is the leader now. */
  isLeader(): boolean;
  /** The node's status. */
  status(): NodeStatus;
  /** The node's current term (what `status().term` says, without building the whole status). */
  currentTerm(): number;
  /** What readiness is judged from. */
  readiness(): ReadinessFacts;
  /** Bootstraps a new cluster with these members (this node must be one of them). */
  bootstrap(members: readonly MemberInfo[]): Promise<{ ok: true; members: readonly MemberInfo[] } | ServiceError>;
  /** Reads one key. */
  get(key: string, consistency: Consistency): Promise<GetResult | ServiceError>;
  /** Lists keys with a prefix, in key order, at most `limit`. */
  list(prefix: string, limit: number, consistency: Consistency, after?: string): Promise<ListResult | ServiceError>;
  /**
   * Writes one key (on the leader; a follower whose link to the leader is open forwards it there
   * and answers the leader's result, else answers `not_leader`).
   */
  put(key: string, value: string, options: PutOptions): Promise<WriteResult | ServiceError>;
  /** Deletes one key (like {@link NodeService.put}). */
  delete(key: string, options: DeleteOptions): Promise<WriteResult | ServiceError>;
  /**
   * True iff this follower serves key-value writes and linearizable reads itself through its peer
   * link to the leader (the write forwarded in a frame, the read after a read index from the
   * leader) rather than forwarding the HTTP request. Absent: never.
   */
  forwardsOverLink?(): boolean;
  /** Every member of the latest configuration, with what this node knows of its replication. */
  members(): readonly MemberView[];
  /** Adds a member as a learner (leader only); unless `learner`, it is promoted once caught up. */
  addMember(member: MemberInfo, options: { readonly learner: boolean }): Promise<MembershipChange | ServiceError>;
  /** Promotes a caught-up learner to voter (leader only). */
  promoteMember(id: string): Promise<MembershipChange | ServiceError>;
  /** Removes a member (leader only); `force` skips the reachable-quorum check. */
  removeMember(id: string, options: { readonly force: boolean }): Promise<MembershipChange | ServiceError>;
  /** Hands leadership to voter `to`, or the most caught-up voter (leader only). */
  transferLeader(to: string | undefined): Promise<LeaderChange | ServiceError>;
  /**
   * Snapshots this node's state machine now and compacts its log (a local operation, on any
   * node); when nothing was applied since the latest snapshot, answers that one.
   */
  takeSnapshot(): Promise<SnapshotInfo | ServiceError>;
  /** This node's latest snapshot file, to download (`not_found` if it has none). */
  downloadSnapshot(): Promise<SnapshotDownload | ServiceError>;
}
