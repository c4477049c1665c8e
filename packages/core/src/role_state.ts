/**
 * The state a node keeps only while in one role (raftbare's RoleState): a tagged union, so that
 * leaving a role drops its state with it and nothing is cleared by hand.
 */
import type { NodeId } from "./ids.ts";
import type { ProgressTracker } from "./progress.ts";

/** A follower keeps no role state. */
export interface FollowerState {
  readonly kind: "follower";
}

/** A pre-candidate counts the pre-votes granted to it for the next term (its own included). */
export interface PreCandidateState {
  readonly kind: "precandidate";
  readonly granted: Set<NodeId>;
}

/** A candidate counts the votes granted to it in its term (its own included). */
export interface CandidateState {
  readonly kind: "candidate";
  readonly granted: Set<NodeId>;
}

/** A leadership transfer under way (Raft thesis §3.10). */
export interface TransferState {
  /** The voter that is to lead. */
  readonly target: NodeId;
  /** Leader timer expiries since the transfer started; it is abandoned after an election timeout. */
  ticks: number;
  /** True once TimeoutNow was sent (the target was up to date). */
  timeoutSent: boolean;
}

/** A leader tracks its followers, its heartbeat rounds, a transfer under way and its uncommitted bytes. */
export interface LeaderState {
  readonly kind: "leader";
  readonly followers: ProgressTracker;
  /** Leader timer expiries since the last check-quorum round. */
  ticks: number;
  /** The leadership transfer under way, if any. */
  transfer: TransferState | null;
  /** Payload bytes of the entries after the commit index (tracked only with maxUncommittedBytes). */
  uncommittedBytes: number;
  /**
   * The index of the latest configuration whose commit this leader has acted on (-1: none yet):
   * a committed configuration needs acting on once, not on every later commit.
   */
  configCommitSeen: number;
}

/** The role-only state of a node. */
export type RoleState = FollowerState | PreCandidateState | CandidateState | LeaderState;

/** The follower state (shared: it holds nothing). */
export const FOLLOWER: FollowerState = Object.freeze({ kind: "follower" });
