/**
 * raftbare-ts core: an I/O-free Raft node. Feed it events, drain its actions, perform the I/O.
 * This module imports nothing outside its own folder (a test enforces it).
 *
 * @module
 */
export { type Action, type ActionBatch, Actions } from "./action.ts";
export { assert, RaftInvariantError } from "./assert.ts";
export { ClusterConfig, type ClusterConfigInit } from "./config.ts";
export { LogEntry, type Payload } from "./entry.ts";
export { Generation, LogIndex, NodeId, Term } from "./ids.ts";
export { Log } from "./log.ts";
export { entriesEqual, LogEntries, payloadBytes } from "./log_entries.ts";
export {
  type AppendEntriesCall,
  type AppendEntriesReply,
  type Message,
  mergeMessages,
  type RequestVoteCall,
  type RequestVoteReply,
  type TimeoutNow,
} from "./message.ts";
export {
  type CommitStatus,
  type FollowerProgress,
  type HeartbeatResult,
  type HeartbeatStatus,
  type ProposeRefusal,
  type ProposeRejection,
  type ProposeResult,
  RaftNode,
  type RaftNodeOptions,
  type ReplicationState,
  type TransferRejection,
  type TransferResult,
} from "./node.ts";
export { LogPosition } from "./position.ts";
export { hasJointMajority, hasMajority, jointMajorityValue, majorityValue } from "./quorum.ts";
export type { Role } from "./role.ts";
