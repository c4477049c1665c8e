/**
 * Storage must match what a node acknowledged. Checked on the node's disk whenever a message
 * leaves it (the durability contract of `Action`):
 *
 * - every term and vote a message implies is durable: its term (for a pre-vote, the term before
 *   the one it asks about), the vote for itself of a candidate or leader, the vote a granted
 *   RequestVoteReply hands out (a pre-vote hands out none);
 * - the last position an AppendEntriesReply reports is durable, in the log or under a snapshot
 *   (a reply vouches for the entries it reports).
 *
 * Every failed check throws {@link DurabilityViolation}.
 */
import { LogPosition, type Message, type NodeId } from "../../packages/core/src/mod.ts";
import type { MemoryDisk } from "../../src/storage/mod.ts";

/** Thrown when a node sends a message its disk does not back. */
export class DurabilityViolation extends Error {
  /** Creates the violation; `message` names the node, the message and what the disk holds. */
  constructor(message: string) {
    super(message);
    this.name = "DurabilityViolation";
  }
}

/** The vote `message` (sent by `from` to `to`) implies `from` cast in its term, if any. */
function impliedVote(from: NodeId, to: NodeId, message: Message): NodeId | undefined {
  switch (message.type) {
    case "RequestVoteCall":
      return message.preVote === true ? undefined : from; // Candidates voted for themselves; pre-candidates did not.
    case "AppendEntriesCall":
    case "TimeoutNow":
      return from; // Leaders voted for themselves.
    case "RequestVoteReply":
      return message.voteGranted && message.preVote !== true ? to : undefined; // A pre-vote casts nothing.
    case "AppendEntriesReply":
      return undefined;
  }
}

/**
 * The term `message` implies its sender holds: its term, except for a pre-vote, which asks about
 * the term after the sender's, and a granted pre-vote, which names that later term.
 */
function impliedTerm(message: Message): number {
  if (message.type === "RequestVoteCall" && message.preVote === true) return message.term - 1;
  if (message.type === "RequestVoteReply" && message.preVote === true && message.voteGranted) return 0;
  return message.term;
}

/** The latest snapshot position saved on `disk` (the log's compaction point if no snapshot is newer). */
function latestSnapshot(disk: MemoryDisk): LogPosition {
  let best = disk.snapshot.position;
  for (const s of disk.snapshots.values()) if (s.meta.position.index > best.index) best = s.meta.position;
  return best;
}

/** True iff `disk` durably holds `position`: in its log, or covered by a saved snapshot. */
export function diskHolds(disk: MemoryDisk, position: LogPosition): boolean {
  const snapshot = latestSnapshot(disk);
  if (position.index < snapshot.index) return true;
  if (position.index === snapshot.index) return position.term === snapshot.term;
  return disk.entries.contains(position);
}

/** Checks that `disk` backs `message`, which `from` is sending to `to` now. */
export function checkSentDurable(from: NodeId, disk: MemoryDisk, to: NodeId, message: Message): void {
  const durable = disk.hardState;
  if (impliedTerm(message) > durable.term) {
    throw new DurabilityViolation(
      `${from} sent ${message.type} of term ${message.term} to ${to}, but its durable term is ${durable.term}`,
    );
  }
  const vote = impliedVote(from, to, message);
  if (vote !== undefined && message.term === durable.term && durable.votedFor !== vote) {
    throw new DurabilityViolation(
      `${from} sent ${message.type} of term ${message.term} to ${to} (a vote for ${vote}), but its durable vote is ${durable.votedFor ?? "none"}`,
    );
  }
  if (message.type !== "AppendEntriesReply" || diskHolds(disk, message.lastPosition)) return;
  throw new DurabilityViolation(
    `${from} reported ${LogPosition.format(message.lastPosition)} to ${to}, but its disk holds ${LogPosition.format(disk.entries.prevPosition)}..${LogPosition.format(disk.entries.lastPosition)} and a snapshot at ${LogPosition.format(latestSnapshot(disk))}`,
  );
}
