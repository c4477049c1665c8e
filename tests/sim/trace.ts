/** Compact one-line renderings of messages and node states for the --verbose trace and failure reports. */
import { LogPosition, type Message } from "../../packages/core/src/mod.ts";
import type { SimNode } from "./sim_node.ts";

/** A message in one short line, e.g. `AppendEntriesCall t3 3/7+2 c6`. */
export function formatMessage(m: Message): string {
  switch (m.type) {
    case "RequestVoteCall":
      return `RequestVoteCall t${m.term} last=${LogPosition.format(m.lastPosition)}${m.preVote === true ? " pre-vote" : ""}${m.transfer === true ? " transfer" : ""}`;
    case "RequestVoteReply":
      return `RequestVoteReply t${m.term} ${m.voteGranted ? "granted" : "refused"}${m.preVote === true ? " pre-vote" : ""}`;
    case "AppendEntriesCall":
      return `AppendEntriesCall t${m.term} ${LogPosition.format(m.entries.prevPosition)}+${m.entries.length} c${m.commitIndex}`;
    case "AppendEntriesReply":
      return `AppendEntriesReply t${m.term} g${m.generation} last=${LogPosition.format(m.lastPosition)}${m.rejected ? " rejected" : ""}${m.refused === true ? " refused" : ""}`;
    case "TimeoutNow":
      return `TimeoutNow t${m.term}`;
  }
}

/** A node's state in one line: role, term, vote, log span, commit, applied and config. */
export function formatNode(n: SimNode): string {
  if (!n.up) return `${n.id}: down`;
  const r = n.raft;
  const log = r.log.entries;
  const c = r.config;
  const config = `voters=${c.voters.join(",")}${c.isJoint ? ` new=${c.newVoters.join(",")}` : ""}${c.nonVoters.length > 0 ? ` learners=${c.nonVoters.join(",")}` : ""}`;
  return `${n.id}: ${r.role} t${r.currentTerm} vote=${r.votedFor ?? "-"} log=${LogPosition.format(log.prevPosition)}..${LogPosition.format(log.lastPosition)} commit=${r.commitIndex} applied=${n.applied} durable=${r.durableIndex} ${config}`;
}
