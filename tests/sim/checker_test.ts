/**
 * The checker must be able to fail: each test feeds it a fabricated violation of one safety
 * property and expects it to be detected, next to a legal history that must pass.
 */
import { describe, expect, it } from "bun:test";
import { LogEntries, LogEntry, LogPosition, NodeId, Term } from "../../packages/core/src/mod.ts";
import { checkLogsMatch, SafetyChecker, SafetyViolation } from "./checker.ts";

const n0 = NodeId.of("n0");
const n1 = NodeId.of("n1");

function cmd(data: string): LogEntry {
  return LogEntry.command(data);
}

function term(t: number): LogEntry {
  return LogEntry.term(Term.of(t));
}

function segment(prevTerm: number, prevIndex: number, entries: LogEntry[]): LogEntries {
  return LogEntries.from(LogPosition.of(prevTerm, prevIndex), entries);
}

describe("SafetyChecker: election safety", () => {
  it("SafetyChecker.observeLeader() detects two leaders in one term", () => {
    const c = new SafetyChecker();
    c.observeLeader(3, n0);
    c.observeLeader(3, n0); // The same leader seen again is fine.
    c.observeLeader(4, n1); // So is another leader in another term.
    expect(() => c.observeLeader(3, n1)).toThrow(/election safety: n0 and n1 are both leaders of term 3/);
  });
});

describe("SafetyChecker: committed entries", () => {
  it("SafetyChecker.observeCommitted() detects a changed committed entry", () => {
    const c = new SafetyChecker();
    expect(c.observeCommitted(n0, 5, 2, cmd("a"), 2)).toBe(true);
    expect(c.observeCommitted(n1, 5, 2, cmd("a"), 3)).toBe(false); // Same entry seen by another node.
    expect(() => c.observeCommitted(n1, 5, 2, cmd("b"), 3)).toThrow(SafetyViolation);
    expect(() => c.checkCommitted(n1, 5, 3, cmd("a"))).toThrow(/committed entry changed/);
    c.checkCommitted(n1, 6, 9, cmd("z")); // Nothing known at 6: nothing to contradict.
    expect(c.maxCommitted).toBe(5);
  });

  it("SafetyChecker.checkLeaderHasCommitted() detects a later leader missing a committed entry", () => {
    const c = new SafetyChecker();
    c.observeCommitted(n0, 1, 1, term(1), 1);
    c.observeCommitted(n0, 2, 1, cmd("a"), 1);
    const full = segment(0, 0, [term(1), cmd("a"), term(2)]);
    c.checkLeaderHasCommitted(n1, 2, full);
    const short = segment(0, 0, [term(1)]);
    expect(() => c.checkLeaderHasCommitted(n1, 2, short)).toThrow(
      /leader completeness: leader n1 of term 2 lacks committed index 2/,
    );
    const other = segment(0, 0, [term(1), cmd("b"), term(2)]);
    expect(() => c.checkLeaderHasCommitted(n1, 2, other)).toThrow(/committed entry changed/);
    c.observeCommitted(n0, 3, 5, term(5), 5);
    c.checkLeaderHasCommitted(n1, 4, full); // Committed in term 5: a leader of term 4 need not hold it.
  });

  it("SafetyChecker.checkSnapshotPosition() detects a snapshot that contradicts a committed entry", () => {
    const c = new SafetyChecker();
    c.observeCommitted(n0, 4, 2, cmd("a"), 2);
    c.checkSnapshotPosition(n1, { term: 2, index: 4 });
    expect(() => c.checkSnapshotPosition(n1, { term: 3, index: 4 })).toThrow(/installed a snapshot at 3\/4/);
  });
});

describe("SafetyChecker: state machine safety", () => {
  it("SafetyChecker.observeAppliedAt() detects two nodes applying different commands at one index", () => {
    const c = new SafetyChecker();
    c.observeAppliedAt(n0, 3, "a");
    c.observeAppliedAt(n0, 5, "b");
    c.observeAppliedAt(n1, 3, "a"); // The same command: fine.
    expect(c.appliedCount).toBe(2);
    expect(() => c.observeAppliedAt(n1, 5, "c")).toThrow(
      /state machine safety: n1 applied c at index 5, another node applied b there/,
    );
  });

  it("SafetyChecker.observeSnapshot() detects two different snapshots at one index", () => {
    const c = new SafetyChecker();
    c.observeSnapshot(n0, 7, "10:123");
    c.observeSnapshot(n1, 7, "10:123");
    c.observeSnapshot(n1, 8, "11:9");
    expect(() => c.observeSnapshot(n0, 8, "11:10")).toThrow(/n0 and n1 hold different snapshots at index 8/);
  });

  it("SafetyChecker.checkCommitMonotonic() detects a commit index going back", () => {
    const c = new SafetyChecker();
    c.checkCommitMonotonic(n0, 3, 3);
    c.checkCommitMonotonic(n0, 3, 4);
    expect(() => c.checkCommitMonotonic(n0, 4, 3)).toThrow(/commit index of n0 decreased from 4 to 3/);
  });
});

describe("SafetyChecker: log matching", () => {
  it("SafetyChecker.observeEntries() detects two entries named by one (index, term)", () => {
    const c = new SafetyChecker();
    c.observeEntries(n0, segment(0, 0, [term(1), cmd("a")]));
    c.observeEntries(n1, segment(1, 1, [cmd("a")])); // The same entry, held by another node.
    expect(() => c.observeEntries(n1, segment(1, 1, [cmd("b")]))).toThrow(
      /log matching: n1 holds command\(b\) at 1\/2/,
    );
  });

  it("SafetyChecker.observeEntries() detects an entry that follows another predecessor term", () => {
    const c = new SafetyChecker();
    c.observeEntries(n0, segment(1, 4, [cmd("a")]));
    expect(() => c.observeEntries(n1, segment(2, 4, [term(2)]))).not.toThrow(); // Another term at 5: fine.
    expect(() => c.observeEntry(n1, 5, 1, cmd("a"), 0)).toThrow(/after an entry of term 0/);
  });

  it("SafetyChecker.observeEntries() without register only compares", () => {
    const c = new SafetyChecker();
    c.observeEntries(n0, segment(0, 0, [term(1)]), false);
    c.observeEntries(n1, segment(0, 0, [term(2)])); // Nothing was named at 1/1, so 2/1 is new.
    c.observeEntries(n0, segment(0, 0, [term(1), cmd("x")]));
    expect(() => c.observeEntries(n1, segment(1, 1, [cmd("y")]), false)).toThrow(SafetyViolation);
  });

  it("checkLogsMatch() detects logs that share an (index, term) but differ below it", () => {
    const a = segment(0, 0, [term(1), cmd("a"), cmd("b"), term(2)]);
    const b = segment(0, 0, [term(1), cmd("x"), cmd("b"), term(2)]);
    expect(() => checkLogsMatch({ id: n0, log: a }, { id: n1, log: b })).toThrow(/share 2\/4 but differ at 2/);
  });

  it("checkLogsMatch() accepts logs that diverge after their last shared (index, term)", () => {
    const a = segment(0, 0, [term(1), cmd("a"), term(2), cmd("b")]);
    const b = segment(0, 0, [term(1), cmd("a"), term(3)]);
    checkLogsMatch({ id: n0, log: a }, { id: n1, log: b });
    const compacted = segment(1, 2, [term(2), cmd("b")]); // Snapshot at 1/2, then the same entries.
    checkLogsMatch({ id: n0, log: a }, { id: n1, log: compacted });
    const wrongBase = segment(2, 2, [term(2), cmd("b")]);
    expect(() => checkLogsMatch({ id: n0, log: a }, { id: n1, log: wrongBase })).toThrow(/differ in the term at 2/);
  });
});
