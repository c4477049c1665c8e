/**
 * The durability checks must be able to fail: each test sends a message that a fabricated disk
 * does not back, next to one it does.
 */
import { describe, expect, it } from "bun:test";
import {
  ClusterConfig,
  Generation,
  LogEntries,
  LogEntry,
  LogIndex,
  LogPosition,
  type Message,
  NodeId,
  Term,
} from "../../packages/core/src/mod.ts";
import { MemoryDisk } from "../../src/storage/mod.ts";
import { checkSentDurable, DurabilityViolation, diskHolds } from "./durability.ts";

const n0 = NodeId.of("n0");
const n1 = NodeId.of("n1");
const n2 = NodeId.of("n2");

function disk(term: number, votedFor: NodeId | null): MemoryDisk {
  const d = new MemoryDisk();
  d.hardState = { term: Term.of(term), votedFor };
  return d;
}

function voteReply(term: number, granted: boolean): Message {
  return { type: "RequestVoteReply", from: n0, term: Term.of(term), voteGranted: granted };
}

function appendReply(term: number, lastTerm: number, lastIndex: number): Message {
  return {
    type: "AppendEntriesReply",
    from: n0,
    term: Term.of(term),
    generation: Generation.ZERO,
    lastPosition: LogPosition.of(lastTerm, lastIndex),
    rejected: false,
    seq: 0,
  };
}

describe("checkSentDurable(): terms and votes", () => {
  it("checkSentDurable() detects a message of a term that is not durable", () => {
    const call: Message = { type: "RequestVoteCall", from: n0, term: Term.of(3), lastPosition: LogPosition.ZERO };
    expect(() => checkSentDurable(n0, disk(3, n0), n1, call)).not.toThrow();
    expect(() => checkSentDurable(n0, disk(2, n0), n1, call)).toThrow(/durable term is 2/);
  });

  it("checkSentDurable() detects a granted vote that is not durable", () => {
    expect(() => checkSentDurable(n0, disk(3, n1), n1, voteReply(3, true))).not.toThrow();
    expect(() => checkSentDurable(n0, disk(4, null), n1, voteReply(3, true))).not.toThrow(); // A later term.
    expect(() => checkSentDurable(n0, disk(3, null), n1, voteReply(3, false))).not.toThrow();
    expect(() => checkSentDurable(n0, disk(3, null), n1, voteReply(3, true))).toThrow(DurabilityViolation);
    expect(() => checkSentDurable(n0, disk(3, n2), n1, voteReply(3, true))).toThrow(/durable vote is n2/);
  });

  it("checkSentDurable() detects a leader whose vote for itself is not durable", () => {
    const call: Message = {
      type: "AppendEntriesCall",
      from: n0,
      term: Term.of(3),
      commitIndex: LogIndex.of(0),
      entries: new LogEntries(LogPosition.ZERO),
      seq: 1,
    };
    expect(() => checkSentDurable(n0, disk(3, n0), n1, call)).not.toThrow();
    expect(() => checkSentDurable(n0, disk(3, null), n1, call)).toThrow(/a vote for n0/);
  });
});

describe("checkSentDurable(): reported positions", () => {
  function diskWithLog(): MemoryDisk {
    const d = disk(2, null);
    d.entries = LogEntries.from(LogPosition.ZERO, [LogEntry.term(Term.of(1)), LogEntry.command("a")]);
    return d;
  }

  it("checkSentDurable() detects an AppendEntriesReply reporting entries that are not durable", () => {
    const d = diskWithLog();
    expect(() => checkSentDurable(n0, d, n1, appendReply(2, 1, 2))).not.toThrow();
    expect(() => checkSentDurable(n0, d, n1, appendReply(2, 1, 3))).toThrow(/reported 1\/3 to n1/);
    expect(() => checkSentDurable(n0, d, n1, appendReply(2, 2, 2))).toThrow(DurabilityViolation);
  });

  it("diskHolds() counts positions under a saved snapshot, at its term", () => {
    const d = diskWithLog();
    const meta = { position: LogPosition.of(2, 5), config: ClusterConfig.EMPTY };
    d.snapshots.set(5, { meta, data: new Uint8Array() });
    expect(diskHolds(d, LogPosition.of(2, 4))).toBe(true);
    expect(diskHolds(d, LogPosition.of(2, 5))).toBe(true);
    expect(diskHolds(d, LogPosition.of(1, 5))).toBe(false);
    expect(diskHolds(d, LogPosition.of(2, 6))).toBe(false);
  });
});
