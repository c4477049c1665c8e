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

/** A candidate counts the votes granted to it in its term (its own included). */
export interface CandidateState {
  readonly kind: "candidate";
  readonly granted: Set<NodeId>;
}

/** A leader tracks its followers. */
export interface LeaderState {
  readonly kind: "leader";
  readonly followers: ProgressTracker;
}

/** The role-only state of a node. */
export type RoleState = FollowerState | CandidateState | LeaderState;

/** The follower state (shared: it holds nothing). */
export const FOLLOWER: FollowerState = Object.freeze({ kind: "follower" });
