import { describe, expect, it } from "bun:test";
import { type AppendEntriesCall, mergeMessages, RaftInvariantError } from "../../packages/core/src/mod.ts";
import {
  appendCall,
  appendReply,
  commandEntry,
  expectSameEntries,
  expectSameMessage,
  pos,
  segment,
  termEntry,
  voteCall,
  voteReply,
} from "../helpers/core_harness.ts";

const X = commandEntry;

describe("mergeMessages()", () => {
  it("mergeMessages() lets a newer message of another type replace the older one", () => {
    const older = voteCall("n1", 3, pos(2, 5));
    const newer = appendCall({ from: "n1", term: 3, commitIndex: 4, entries: segment(pos(3, 6), []), seq: 1 });
    expect(mergeMessages(older, newer)).toBe(newer);
    const reply = voteReply("n1", 4, true);
    expect(mergeMessages(newer, reply)).toBe(reply);
  });

  it("mergeMessages() lets a newer reply replace an older reply", () => {
    const older = appendReply({ from: "n1", term: 2, lastPosition: pos(2, 3), rejected: true, seq: 1 });
    const newer = appendReply({ from: "n1", term: 2, lastPosition: pos(2, 5), rejected: false, seq: 2 });
    expect(mergeMessages(older, newer)).toBe(newer);
  });

  it("mergeMessages() concatenates chained AppendEntriesCalls and takes the newer commit index and seq", () => {
    const older = appendCall({ from: "n0", term: 2, commitIndex: 3, entries: segment(pos(2, 3), [X("a")]), seq: 1 });
    const newer = appendCall({ from: "n0", term: 2, commitIndex: 4, entries: segment(pos(2, 4), [X("b")]), seq: 2 });
    const merged = mergeMessages(older, newer) as AppendEntriesCall;
    expectSameMessage(
      merged,
      appendCall({ from: "n0", term: 2, commitIndex: 4, entries: segment(pos(2, 3), [X("a"), X("b")]), seq: 2 }),
    );
    expect(merged.entries).toBe(older.entries); // The older segment is reused, not copied.
  });

  it("mergeMessages() folds a heartbeat into a pending batch: entries kept, commit index and seq refreshed", () => {
    const older = appendCall({ from: "n0", term: 2, commitIndex: 3, entries: segment(pos(2, 3), [X(), X()]), seq: 1 });
    const heartbeat = appendCall({ from: "n0", term: 2, commitIndex: 5, entries: segment(pos(2, 5), []), seq: 7 });
    const merged = mergeMessages(older, heartbeat) as AppendEntriesCall;
    expect<number>(merged.commitIndex).toBe(5);
    expect(merged.seq).toBe(7);
    expectSameEntries(merged.entries, segment(pos(2, 3), [X(), X()]));
  });

  it("mergeMessages() truncates the older entries back to the newer call's prev position", () => {
    const older = appendCall({ from: "n0", term: 3, commitIndex: 1, entries: segment(pos(2, 3), [X(), X()]), seq: 0 });
    const newer = appendCall({
      from: "n0",
      term: 3,
      commitIndex: 1,
      entries: segment(pos(2, 4), [termEntry(3)]),
      seq: 0,
    });
    const merged = mergeMessages(older, newer) as AppendEntriesCall;
    expectSameEntries(merged.entries, segment(pos(2, 3), [X(), termEntry(3)]));
  });

  it("mergeMessages() keeps only the newer call when it does not chain onto the older one", () => {
    const older = appendCall({ from: "n0", term: 2, commitIndex: 3, entries: segment(pos(2, 3), [X()]), seq: 1 });
    const gap = appendCall({ from: "n0", term: 2, commitIndex: 3, entries: segment(pos(2, 9), [X()]), seq: 1 });
    expect(mergeMessages(older, gap)).toBe(gap);
    const otherTerm = appendCall({ from: "n0", term: 2, commitIndex: 3, entries: segment(pos(1, 3), [X()]), seq: 1 });
    expect(mergeMessages(older, otherTerm)).toBe(otherTerm);
    expectSameEntries(older.entries, segment(pos(2, 3), [X()])); // Untouched.
  });

  it("mergeMessages() keeps only the newer call of a higher term", () => {
    const older = appendCall({ from: "n0", term: 2, commitIndex: 3, entries: segment(pos(2, 3), [X()]), seq: 1 });
    const newer = appendCall({ from: "n0", term: 3, commitIndex: 3, entries: segment(pos(2, 4), [X()]), seq: 1 });
    expect(mergeMessages(older, newer)).toBe(newer);
    expectSameEntries(older.entries, segment(pos(2, 3), [X()]));
  });

  it("mergeMessages() refuses messages from two senders", () => {
    expect(() => mergeMessages(voteCall("n1", 3, pos(0, 0)), voteCall("n2", 3, pos(0, 0)))).toThrow(RaftInvariantError);
  });

  it("mergeMessages() refuses a newer message with a lower term", () => {
    expect(() => mergeMessages(voteCall("n1", 3, pos(0, 0)), voteCall("n1", 2, pos(0, 0)))).toThrow(RaftInvariantError);
  });
});
