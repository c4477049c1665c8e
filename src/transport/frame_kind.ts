/**
 * The kinds of frames a node sends and receives, as metric labels: one per Raft message type and
 * one for snapshot chunks, and one per request a follower forwards to its leader. A fixed set, so per-kind series stay bounded whatever peers send.
 */
import type { Message } from "../../packages/core/src/mod.ts";

/** A frame's kind, in snake case. */
export type FrameKind =
  | "request_vote_call"
  | "request_vote_reply"
  | "append_entries_call"
  | "append_entries_reply"
  | "timeout_now"
  | "snapshot_chunk"
  | "forward_proposal"
  | "read_index_request";

/** Every {@link FrameKind}, in protocol order. */
export const FRAME_KINDS: readonly FrameKind[] = [
  "request_vote_call",
  "request_vote_reply",
  "append_entries_call",
  "append_entries_reply",
  "timeout_now",
  "snapshot_chunk",
  "forward_proposal",
  "read_index_request",
];

const KIND_OF_TYPE: Readonly<Record<Message["type"], FrameKind>> = {
  RequestVoteCall: "request_vote_call",
  RequestVoteReply: "request_vote_reply",
  AppendEntriesCall: "append_entries_call",
  AppendEntriesReply: "append_entries_reply",
  TimeoutNow: "timeout_now",
};

/** The kind of the frame that carries `message`. */
export function frameKindOf(message: Message): FrameKind {
  return KIND_OF_TYPE[message.type];
}
