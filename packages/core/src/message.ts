/** Raft messages between nodes, and how two pending messages to the same destination merge. */
import { assert } from "./assert.ts";
import type { Generation, LogIndex, NodeId, Term } from "./ids.ts";
import type { LogEntries } from "./log_entries.ts";
import type { LogPosition } from "./position.ts";

/** A candidate asks for a vote. */
export interface RequestVoteCall {
  readonly type: "RequestVoteCall";
  /** The candidate. */
  readonly from: NodeId;
  /** The candidate's term. */
  readonly term: Term;
  /** The candidate's last log position; voters grant only if it is at least their own. */
  readonly lastPosition: LogPosition;
  /**
   * True for a pre-vote (Raft thesis §9.6): `term` is the term the sender would campaign in, and
   * neither side changes its term or vote. A voter grants it only if the sender's log is at least
   * as up to date and the voter has not heard from a leader within an election timeout. Absent
   * means false.
   */
  readonly preVote?: boolean;
  /**
   * True when the sender campaigns because its leader handed leadership to it (TimeoutNow):
   * voters grant it even while they still hear from that leader. Absent means false.
   */
  readonly transfer?: boolean;
}

/** The answer to a {@link RequestVoteCall}. Refusals for log or vote reasons are not sent. */
export interface RequestVoteReply {
  readonly type: "RequestVoteReply";
  /** The voter. */
  readonly from: NodeId;
  /** The voter's term. */
  readonly term: Term;
  /** True iff the vote was granted. */
  readonly voteGranted: boolean;
  /** True iff this answers a pre-vote; a granted pre-vote carries the term asked about. Absent means false. */
  readonly preVote?: boolean;
}

/** The leader replicates entries (or, with none, sends a heartbeat). */
export interface AppendEntriesCall {
  readonly type: "AppendEntriesCall";
  /** The leader. */
  readonly from: NodeId;
  /** The leader's term. */
  readonly term: Term;
  /** The leader's commit index. */
  readonly commitIndex: LogIndex;
  /** The entries; `entries.prevPosition` is the paper's prevLogIndex/prevLogTerm. May be truncated in transit. */
  readonly entries: LogEntries;
  /** The leader's heartbeat sequence number when sent; replies echo it (read barrier). */
  readonly seq: number;
}

/** The answer to an {@link AppendEntriesCall}: the follower's log position after handling it. */
export interface AppendEntriesReply {
  readonly type: "AppendEntriesReply";
  /** The follower. */
  readonly from: NodeId;
  /** The follower's term. */
  readonly term: Term;
  /** The follower's restart generation; lets the leader spot restarts and delayed replies. */
  readonly generation: Generation;
  /** The follower's last log position after handling the call. */
  readonly lastPosition: LogPosition;
  /** True iff the follower could not attach the call's entries to its log. */
  readonly rejected: boolean;
  /**
   * True iff the follower does not count the sender as a member (it is outside the follower's
   * configuration): the follower changed nothing, not even its term, and only reports where its
   * log ends. A leader answers it with a snapshot, whose configuration names the leader.
   * Absent means false.
   */
  readonly refused?: boolean;
  /** The `seq` of the call answered. */
  readonly seq: number;
}

/**
 * A leader hands leadership to an up-to-date follower (Raft thesis §3.10): the follower starts an
 * election at once, without a pre-vote, and its vote requests carry `transfer`.
 */
export interface TimeoutNow {
  readonly type: "TimeoutNow";
  /** The leader. */
  readonly from: NodeId;
  /** The leader's term. */
  readonly term: Term;
}

/** Every message a node sends to another. */
export type Message = RequestVoteCall | RequestVoteReply | AppendEntriesCall | AppendEntriesReply | TimeoutNow;

/**
 * Merges a newer message into an older pending one from the same sender to the same destination.
 * The newer one wins, except that two AppendEntriesCalls of one term concatenate when the older
 * one's entries contain the newer one's prev position (a heartbeat merged into a pending batch
 * only refreshes its commit index and seq). May reuse (mutate) `older.entries`, which the caller owns.
 */
export function mergeMessages(older: Message, newer: Message): Message {
  assert(older.from === newer.from, "merged messages come from one sender");
  assert(newer.term >= older.term, "a sender's term never decreases");
  if (older.type !== "AppendEntriesCall" || newer.type !== "AppendEntriesCall") return newer;
  if (older.term !== newer.term || !older.entries.contains(newer.entries.prevPosition)) return newer;
  older.entries.append(newer.entries);
  return { ...newer, entries: older.entries };
}
