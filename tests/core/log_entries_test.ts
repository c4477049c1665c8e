import { describe, expect, it } from "bun:test";
import { entriesEqual, LogEntries, LogEntry, payloadBytes, RaftInvariantError } from "../../packages/core/src/mod.ts";
import {
  commandEntry,
  configEntry,
  expectSameEntries,
  plainEntries,
  pos,
  segment,
  termEntry,
  voters,
} from "../helpers/core_harness.ts";

const X = commandEntry;
const T = termEntry;

/** The positions of a segment's entries, rendered term/index. */
function positions(entries: LogEntries): string[] {
  return [...entries.withPositions()].map(([p]) => `${p.term}/${p.index}`);
}

describe("LogEntries basics", () => {
  it("LogEntries starts empty at its prev position", () => {
    const e = new LogEntries(pos(3, 7));
    expect(e.isEmpty).toBe(true);
    expect(e.length).toBe(0);
    expect(e.prevPosition).toEqual(pos(3, 7));
    expect(e.lastPosition).toEqual(pos(3, 7));
    expect<number>(e.prevIndex).toBe(7);
    expect<number>(e.lastIndex).toBe(7);
    expect<number>(e.lastTerm).toBe(3);
    expect([...e.entries()]).toEqual([]);
  });

  it("LogEntries.push() advances the last index; a term entry sets the term of what follows", () => {
    const config = voters(["n1"]);
    const e = segment(pos(1, 4), [X("a"), T(2), configEntry(config), X("b")]);
    expect(e.length).toBe(4);
    expect(e.isEmpty).toBe(false);
    expect(e.lastPosition).toEqual(pos(2, 8));
    expect(positions(e)).toEqual(["1/5", "2/6", "2/7", "2/8"]);
    expect(e.getEntry(7)).toEqual(configEntry(config));
    expect(e.getEntry(5)).toEqual(X("a"));
    expect<number>(e.lastConfigIndex() as number).toBe(7);
    expect(e.lastConfig()?.equals(config)).toBe(true);
  });

  it("LogEntries.push() refuses a term entry that lowers the term", () => {
    const e = segment(pos(3, 0), [X()]);
    expect(() => e.push(T(2))).toThrow(RaftInvariantError);
    expect(e.lastPosition).toEqual(pos(3, 1)); // Unchanged.
    e.push(T(3)); // An equal term is allowed.
    expect(e.lastPosition).toEqual(pos(3, 2));
  });

  it("LogEntries.getTerm() covers [prevIndex, lastIndex]; getEntry() covers (prevIndex, lastIndex]", () => {
    const e = segment(pos(1, 2), [X(), T(4), X()]);
    expect(e.getTerm(1)).toBeUndefined();
    expect<number | undefined>(e.getTerm(2)).toBe(1);
    expect<number | undefined>(e.getTerm(3)).toBe(1);
    expect<number | undefined>(e.getTerm(4)).toBe(4);
    expect<number | undefined>(e.getTerm(5)).toBe(4);
    expect(e.getTerm(6)).toBeUndefined();
    expect(e.getEntry(2)).toBeUndefined();
    expect(e.getEntry(4)).toEqual(T(4));
    expect(e.getEntry(6)).toBeUndefined();
    expect(e.positionAt(2)).toEqual(pos(1, 2));
    expect(e.positionAt(5)).toEqual(pos(4, 5));
    expect(e.positionAt(6)).toBeUndefined();
  });

  it("LogEntries.contains() checks the term at the index, and counts the prev position", () => {
    const e = segment(pos(1, 2), [X(), T(4), X()]);
    expect(e.contains(pos(1, 2))).toBe(true);
    expect(e.contains(pos(1, 3))).toBe(true);
    expect(e.contains(pos(4, 5))).toBe(true);
    expect(e.contains(pos(1, 5))).toBe(false);
    expect(e.contains(pos(4, 6))).toBe(false);
    expect(e.contains(pos(0, 1))).toBe(false);
    expect(e.containsIndex(2)).toBe(true);
    expect(e.containsIndex(5)).toBe(true);
    expect(e.containsIndex(1)).toBe(false);
    expect(e.containsIndex(6)).toBe(false);
  });

  it("LogEntries.toArray() and clone() are independent copies", () => {
    const e = segment(pos(0, 0), [T(1), X("a")]);
    const arr = e.toArray();
    arr.push(X("z"));
    expect(e.length).toBe(2);
    const copy = e.clone();
    copy.push(X("b"));
    copy.truncate(0);
    expect(e.lastPosition).toEqual(pos(1, 2));
    expect(e.length).toBe(2);
    expect(copy.lastPosition).toEqual(pos(0, 0));
  });
});

describe("LogEntries.truncate() and truncateAfter()", () => {
  it("LogEntries.truncate() keeps the first entries and recomputes the last term and configs", () => {
    const e = segment(pos(1, 0), [X(), configEntry(voters(["n1"])), T(2), configEntry(voters(["n2"])), X()]);
    e.truncate(3);
    expect(e.lastPosition).toEqual(pos(2, 3));
    expect<number | undefined>(e.lastConfigIndex()).toBe(2);
    e.truncate(2);
    expect(e.lastPosition).toEqual(pos(1, 2));
    expect<unknown>(e.lastConfig()?.voters).toEqual(["n1"]);
    e.truncate(1);
    expect(e.lastConfigIndex()).toBeUndefined();
    expect(e.lastConfig()).toBeUndefined();
  });

  it("LogEntries.truncate() does nothing when the segment is not longer", () => {
    const e = segment(pos(0, 0), [T(1), X()]);
    e.truncate(2);
    e.truncate(10);
    expect(e.lastPosition).toEqual(pos(1, 2));
  });

  it("LogEntries.truncate() refuses a negative or fractional length", () => {
    const e = segment(pos(0, 0), [T(1)]);
    expect(() => e.truncate(-1)).toThrow(RaftInvariantError);
    expect(() => e.truncate(0.5)).toThrow(RaftInvariantError);
  });

  it("LogEntries.truncateAfter() keeps entries up to an absolute index and refuses one before prev", () => {
    const e = segment(pos(1, 10), [X(), T(3), X()]);
    e.truncateAfter(11);
    expect(e.lastPosition).toEqual(pos(1, 11));
    e.truncateAfter(10);
    expect(e.isEmpty).toBe(true);
    expect(e.lastPosition).toEqual(pos(1, 10));
    expect(() => e.truncateAfter(9)).toThrow(RaftInvariantError);
  });
});

describe("LogEntries.since()", () => {
  const e = segment(pos(0, 0), [T(1), X("a"), configEntry(voters(["n1"])), T(2), X("b")]);

  it("LogEntries.since() at the prev position returns the whole segment (raftbare log_entries_since)", () => {
    expectSameEntries(e.since(pos(0, 0)) as LogEntries, e);
  });

  it("LogEntries.since() at a middle position returns the suffix with its positions", () => {
    const tail = e.since(pos(1, 2)) as LogEntries;
    expect(tail.prevPosition).toEqual(pos(1, 2));
    expect(positions(tail)).toEqual(["1/3", "2/4", "2/5"]);
    expect<number | undefined>(tail.lastConfigIndex()).toBe(3);
    const later = e.since(pos(2, 4)) as LogEntries;
    expect(later.lastConfigIndex()).toBeUndefined();
    expect(positions(later)).toEqual(["2/5"]);
  });

  it("LogEntries.since() returns undefined for a position it does not contain", () => {
    expect(e.since(pos(2, 2))).toBeUndefined(); // Wrong term.
    expect(e.since(pos(2, 6))).toBeUndefined(); // Past the end.
  });

  it("LogEntries.since() at the last position returns an empty segment there", () => {
    const empty = e.since(pos(2, 5)) as LogEntries;
    expect(empty.isEmpty).toBe(true);
    expect(empty.prevPosition).toEqual(pos(2, 5));
    expect(empty.lastPosition).toEqual(pos(2, 5));
  });

  it("LogEntries.since() returns at most maxEntries entries", () => {
    const two = e.since(pos(0, 0), 2) as LogEntries;
    expect(positions(two)).toEqual(["1/1", "1/2"]);
    expect(two.lastPosition).toEqual(pos(1, 2));
    expect(two.lastConfigIndex()).toBeUndefined();
    const three = e.since(pos(1, 1), 3) as LogEntries;
    expect(positions(three)).toEqual(["1/2", "1/3", "2/4"]);
    expect<number | undefined>(three.lastConfigIndex()).toBe(3);
  });

  it("LogEntries.since() takes no more than maxBytes of command payload, but always one entry", () => {
    const sized = segment(pos(1, 0), [X("aaa"), X("bbbb"), T(2), X("ccccc")]);
    const upTo = (maxBytes: number) =>
      positions(sized.since(pos(1, 0), Number.POSITIVE_INFINITY, maxBytes) as LogEntries);
    expect(upTo(6)).toEqual(["1/1"]);
    expect(upTo(7)).toEqual(["1/1", "1/2", "2/3"]); // A term entry carries no payload.
    expect(upTo(12)).toEqual(["1/1", "1/2", "2/3", "2/4"]);
    expect(positions(sized.since(pos(1, 0), Number.POSITIVE_INFINITY, 1) as LogEntries)).toEqual(["1/1"]);
    expect(positions(sized.since(pos(1, 2), Number.POSITIVE_INFINITY, 3) as LogEntries)).toEqual(["2/3"]);
    expect(positions(sized.since(pos(1, 0), 1, 100) as LogEntries)).toEqual(["1/1"]); // maxEntries still applies.
    expect(positions(sized.since(pos(1, 0), 3, 100) as LogEntries)).toEqual(["1/1", "1/2", "2/3"]);
  });

  it("LogEntries.since() returns a copy: changing it leaves the source alone", () => {
    const tail = e.since(pos(1, 1)) as LogEntries;
    tail.truncate(0);
    tail.push(X("other"));
    expect(e.lastPosition).toEqual(pos(2, 5));
    expect(e.getEntry(2)).toEqual(X("a"));
  });
});

describe("LogEntries.append()", () => {
  it("LogEntries.append() concatenates at the tail and truncates back to a middle prev (raftbare log_entries_append)", () => {
    const e = segment(pos(0, 0), [T(1), X(), X()]);
    e.append(segment(pos(1, 3), [X("4")]));
    expect(e.lastPosition).toEqual(pos(1, 4));
    expect(e.getEntry(4)).toEqual(X("4"));
    e.append(segment(pos(1, 2), [T(2), X("4b")]));
    expect(e.lastPosition).toEqual(pos(2, 4));
    expect(e.getEntry(3)).toEqual(T(2));
    expect(e.getEntry(4)).toEqual(X("4b"));
    e.append(segment(pos(1, 1), [X("2c")]));
    expect(e.lastPosition).toEqual(pos(1, 2));
    expect(e.getEntry(2)).toEqual(X("2c"));
    expect(e.getEntry(3)).toBeUndefined();
  });

  it("LogEntries.append() carries config entries and drops the configs it truncates", () => {
    const e = segment(pos(0, 0), [T(1), configEntry(voters(["n1"])), X()]);
    e.append(segment(pos(1, 1), [configEntry(voters(["n2"]))]));
    expect<number | undefined>(e.lastConfigIndex()).toBe(2);
    expect<unknown>(e.lastConfig()?.voters).toEqual(["n2"]);
    e.append(segment(pos(1, 2), [X(), configEntry(voters(["n3"]))]));
    expect<number | undefined>(e.lastConfigIndex()).toBe(4);
    expect<unknown>(e.configAtOrBefore(3)?.config.voters).toEqual(["n2"]);
  });

  it("LogEntries.append() replaces the segment when the other one starts earlier", () => {
    const e = segment(pos(2, 5), [X(), X()]);
    const other = segment(pos(1, 3), [T(2), X("r")]);
    e.append(other);
    expectSameEntries(e, segment(pos(1, 3), [T(2), X("r")]));
    other.push(X("later"));
    expect(e.lastPosition).toEqual(pos(2, 5)); // A copy, not the other segment itself.
  });

  it("LogEntries.append() refuses a segment whose prev position it does not contain", () => {
    const e = segment(pos(0, 0), [T(1), X()]);
    expect(() => e.append(segment(pos(1, 5), [X()]))).toThrow(RaftInvariantError);
    expect(() => e.append(segment(pos(3, 2), [X()]))).toThrow(RaftInvariantError); // Same index, other term.
    expect(() => e.append(segment(pos(2, 1), [X()]))).toThrow(RaftInvariantError);
    expect(e.lastPosition).toEqual(pos(1, 2));
  });

  it("LogEntries.append() of an empty segment at the tail changes nothing", () => {
    const e = segment(pos(0, 0), [T(1), X()]);
    e.append(new LogEntries(pos(1, 2)));
    expectSameEntries(e, segment(pos(0, 0), [T(1), X()]));
  });
});

describe("LogEntries.firstDifferentIndex()", () => {
  // raftbare log::tests::log_entries_strip_common_prefix: local is [Term0, Cmd, Term1, Cmd, Cmd].
  const local = segment(pos(0, 0), [T(0), X(), T(1), X(), X()]);

  it("LogEntries.firstDifferentIndex() keeps a remote segment that starts at the local end", () => {
    const remote = segment(pos(1, 5), [X()]);
    expect<number | undefined>(local.firstDifferentIndex(remote)).toBe(6);
  });

  it("LogEntries.firstDifferentIndex() skips the entries the local log already holds", () => {
    const remote = segment(pos(1, 4), [X(), X()]);
    expect<number | undefined>(local.firstDifferentIndex(remote)).toBe(6); // Stripped to prev 1/5.
  });

  it("LogEntries.firstDifferentIndex() finds divergence at a remote term entry", () => {
    const remote = segment(pos(1, 4), [T(2), X()]);
    expect<number | undefined>(local.firstDifferentIndex(remote)).toBe(5); // prev stays 1/4.
  });

  it("LogEntries.firstDifferentIndex() skips a duplicate term entry before the divergence", () => {
    const remote = segment(pos(1, 3), [T(1), T(2)]);
    expect<number | undefined>(local.firstDifferentIndex(remote)).toBe(5); // prev 1/4.
  });

  it("LogEntries.firstDifferentIndex() cuts at the first entry when the remote has no term entry (raftbare HEAD config-entry-no-terms)", () => {
    const joint = voters(["n1"], ["n2"]);
    const remote = segment(pos(0, 0), [configEntry(joint)]);
    const other = segment(pos(0, 0), [T(1), X(), X(), configEntry(voters(["n1"]))]);
    expect<number | undefined>(other.firstDifferentIndex(remote)).toBe(1); // The whole remote, prev 0/0.
  });

  it("LogEntries.firstDifferentIndex() finds a local term entry inside the remote range (spec 9.7)", () => {
    const mine = segment(pos(0, 0), [T(1), X(), T(2), X()]); // Terms 1 1 2 2.
    const remote = segment(pos(1, 1), [X(), X(), X()]); // Terms 1 1 1: no term entry at all.
    expect<number | undefined>(mine.firstDifferentIndex(remote)).toBe(3);
    const withTerm = segment(pos(1, 1), [X(), X(), X(), T(3)]); // Its only term entry is after the divergence.
    expect<number | undefined>(mine.firstDifferentIndex(withTerm)).toBe(3);
  });

  it("LogEntries.firstDifferentIndex() is undefined when the local segment holds all remote entries", () => {
    expect(local.firstDifferentIndex(segment(pos(0, 1), [X(), T(1)]))).toBeUndefined();
    expect(local.firstDifferentIndex(new LogEntries(pos(1, 4)))).toBeUndefined();
  });

  it("LogEntries.firstDifferentIndex() requires the shared prev position", () => {
    expect(() => local.firstDifferentIndex(segment(pos(2, 4), [X()]))).toThrow(RaftInvariantError);
  });
});

describe("LogEntries.lastIndexWithTermAtMost()", () => {
  // Terms by index: 1:1 2:1 3:2 4:2 5:4 after prev 0/0.
  const e = segment(pos(0, 0), [T(1), X(), T(2), X(), T(4)]);

  it("LogEntries.lastIndexWithTermAtMost() finds the last index whose term is at most the given one", () => {
    const table: Array<[number, number, number]> = [
      [0, 5, 0],
      [1, 5, 2],
      [2, 5, 4],
      [3, 5, 4],
      [4, 5, 5],
      [9, 5, 5],
      [9, 3, 3],
      [1, 1, 1],
      [4, 99, 5],
      [4, 0, 0],
    ];
    for (const [term, upTo, expected] of table) {
      expect<number>(e.lastIndexWithTermAtMost(term, upTo)).toBe(expected);
    }
  });

  it("LogEntries.lastIndexWithTermAtMost() returns the prev index when nothing qualifies", () => {
    const later = segment(pos(3, 10), [T(5), X()]);
    expect<number>(later.lastIndexWithTermAtMost(4, 12)).toBe(10);
    expect<number>(later.lastIndexWithTermAtMost(1, 12)).toBe(10);
    expect<number>(later.lastIndexWithTermAtMost(5, 9)).toBe(10);
    expect<number>(later.lastIndexWithTermAtMost(5, 12)).toBe(12);
  });
});

describe("LogEntries configs", () => {
  const a = voters(["n1"]);
  const b = voters(["n1"], ["n2"]);
  const e = segment(pos(1, 10), [X(), configEntry(a), X(), configEntry(b), X()]);

  it("LogEntries.configAtOrBefore() returns the latest config entry at or before an index", () => {
    expect(e.configAtOrBefore(11)).toBeUndefined();
    expect<unknown>(e.configAtOrBefore(12)).toEqual({ index: 12, config: a });
    expect<unknown>(e.configAtOrBefore(13)).toEqual({ index: 12, config: a });
    expect<unknown>(e.configAtOrBefore(14)).toEqual({ index: 14, config: b });
    expect<unknown>(e.configAtOrBefore(99)).toEqual({ index: 14, config: b });
  });

  it("LogEntries.lastConfigIndex() and lastConfig() name the last config entry", () => {
    expect<number | undefined>(e.lastConfigIndex()).toBe(14);
    expect(e.lastConfig()).toBe(b);
    expect(new LogEntries(pos(0, 0)).lastConfig()).toBeUndefined();
  });
});

describe("payloadBytes()", () => {
  it("payloadBytes() is a command's byte length or string length, and 0 for other entries", () => {
    expect(payloadBytes(X("hello"))).toBe(5);
    expect(payloadBytes(LogEntry.command(new Uint8Array(7)))).toBe(7);
    expect(payloadBytes(X(""))).toBe(0);
    expect(payloadBytes(X("\u00e9"))).toBe(1); // The string length, as documented, not its UTF-8 size.
    expect(payloadBytes(T(3))).toBe(0);
    expect(payloadBytes(configEntry(voters(["n1"])))).toBe(0);
  });
});

describe("LogEntries.equals() and entriesEqual()", () => {
  it("LogEntries.equals() compares prev positions, terms and payloads by value", () => {
    const bytes = (xs: number[]) => LogEntry.command(new Uint8Array(xs));
    const a = segment(pos(1, 1), [bytes([1, 2, 3]), T(2), X("s")]);
    expect(a.equals(segment(pos(1, 1), [bytes([1, 2, 3]), T(2), X("s")]))).toBe(true);
    expect(a.equals(segment(pos(1, 1), [bytes([1, 2, 4]), T(2), X("s")]))).toBe(false);
    expect(a.equals(segment(pos(1, 1), [bytes([1, 2]), T(2), X("s")]))).toBe(false);
    expect(a.equals(segment(pos(1, 1), [bytes([1, 2, 3]), T(2), X("t")]))).toBe(false);
    expect(a.equals(segment(pos(1, 1), [bytes([1, 2, 3]), T(3), X("s")]))).toBe(false);
    expect(a.equals(segment(pos(1, 2), [bytes([1, 2, 3]), T(2), X("s")]))).toBe(false);
    expect(a.equals(segment(pos(1, 1), [bytes([1, 2, 3]), T(2)]))).toBe(false);
  });

  it("LogEntries.equals() sees a term difference carried only by the prev position", () => {
    expect(segment(pos(1, 1), [X()]).equals(segment(pos(1, 1), [X()]))).toBe(true);
    expect(segment(pos(1, 1), [X()]).equals(segment(pos(2, 1), [X()]))).toBe(false);
  });

  it("entriesEqual() distinguishes kinds, and strings from bytes", () => {
    expect(entriesEqual(X("ab"), X("ab"))).toBe(true);
    expect(entriesEqual(X("ab"), LogEntry.command(new TextEncoder().encode("ab")))).toBe(false);
    expect(entriesEqual(LogEntry.command(new Uint8Array([7])), LogEntry.command(new Uint8Array([7])))).toBe(true);
    expect(entriesEqual(T(1), T(1))).toBe(true);
    expect(entriesEqual(T(1), T(2))).toBe(false);
    expect(entriesEqual(T(1), X())).toBe(false);
    expect(entriesEqual(X(), T(1))).toBe(false);
    expect(entriesEqual(configEntry(voters(["n1"])), configEntry(voters(["n1"])))).toBe(true);
    expect(entriesEqual(configEntry(voters(["n1"])), configEntry(voters(["n2"])))).toBe(false);
    expect(entriesEqual(configEntry(voters(["n1"])), X())).toBe(false);
    const same = X("z");
    expect(entriesEqual(same, same)).toBe(true);
  });

  it("LogEntries keeps payloads as given (the plain rendering shows the bytes)", () => {
    const e = segment(pos(0, 0), [LogEntry.command(new Uint8Array([9, 8]))]);
    expect(plainEntries(e)).toEqual({
      prev: "0/0",
      last: "0/1",
      entries: [["0/1", { command: new Uint8Array([9, 8]) }]],
    });
  });
});
