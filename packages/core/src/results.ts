/** What the node's calls answer: proposal outcomes and refusals, transfer outcomes, commit status. */
import type { NodeId } from "./ids.ts";
import type { LogPosition } from "./position.ts";

/** Why a proposal (or createCluster) was refused; nothing changed. */
export type ProposeRejection =
  | "not_leader"
  | "already_initialized"
  | "no_voters"
  | "config_change_in_progress"
  | "leader_not_ready"
  | "invalid_config"
  | "transfer_in_progress"
  | "uncommitted_limit"
  | "not_a_learner"
  | "learner_behind";

/** A refused proposal: why (a code and a sentence), and who leads if this node knows. Nothing was appended. */
export interface ProposeRefusal {
  readonly ok: false;
  readonly reason: ProposeRejection;
  /** Why, in one sentence. */
  readonly detail: string;
  readonly leaderHint: NodeId | null;
}

/** The outcome of a proposal: the new entry's position, or why nothing was appended. */
export type ProposeResult = { readonly ok: true; readonly position: LogPosition } | ProposeRefusal;

/** Why {@link RaftNode.transferLeadership} was refused; nothing changed. */
export type TransferRejection = "not_leader" | "unknown_target" | "target_not_voter";

/** The outcome of {@link RaftNode.transferLeadership}. */
export type TransferResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly reason: TransferRejection;
      readonly detail: string;
      readonly leaderHint: NodeId | null;
    };

/** The outcome of {@link RaftNode.heartbeat}: the read-barrier sequence number, or not leader. */
export type HeartbeatResult =
  | { readonly ok: true; readonly seq: number }
  | { readonly ok: false; readonly reason: "not_leader"; readonly leaderHint: NodeId | null };

/**
 * Where a proposed entry stands, asked of any node: `committed` (it is, and always will be, in the
 * log), `rejected` (it never will be), `in_progress`, or `unknown` (it is below the snapshot).
 */
export type CommitStatus = "in_progress" | "committed" | "rejected" | "unknown";
