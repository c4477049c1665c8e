import { describe, expect, it } from "bun:test";
import { Generation, LogIndex, LogPosition, NodeId, RaftInvariantError, Term } from "../../packages/core/src/mod.ts";

describe("NodeId", () => {
  it("NodeId.of() brands a non-empty string without changing it", () => {
    const n = NodeId.of("node-a");
    expect(n).toBe(NodeId.of("node-a"));
    expect(typeof n).toBe("string");
    expect(`${n}`).toBe("node-a");
  });

  it("NodeId.of() refuses the empty string", () => {
    expect(() => NodeId.of("")).toThrow(RaftInvariantError);
  });
});

describe("Term, LogIndex and Generation", () => {
  const constructors = [
    ["Term", Term.of, Term.ZERO],
    ["LogIndex", LogIndex.of, LogIndex.ZERO],
    ["Generation", Generation.of, Generation.ZERO],
  ] as const;

  for (const [name, of, zero] of constructors) {
    it(`${name}.ZERO is 0 and ${name}.of() keeps the number`, () => {
      expect<number>(zero).toBe(0);
      expect<number>(of(0)).toBe(0);
      expect<number>(of(42)).toBe(42);
      expect<number>(of(Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
    });

    it(`${name}.of() refuses negative, fractional, non-finite and unsafe numbers`, () => {
      for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 1]) {
        expect(() => of(bad)).toThrow(RaftInvariantError);
      }
    });
  }

  it("RaftInvariantError names the violated invariant", () => {
    let caught: unknown;
    try {
      Term.of(-3);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(RaftInvariantError);
    expect((caught as Error).name).toBe("RaftInvariantError");
    expect((caught as Error).message).toContain("raft invariant violated");
    expect((caught as Error).message).toContain("-3");
  });
});

describe("LogPosition", () => {
  it("LogPosition.ZERO is 0/0 and LogPosition.INVALID is the largest safe term at index 0", () => {
    expect<unknown>(LogPosition.ZERO).toEqual({ term: 0, index: 0 });
    expect<unknown>(LogPosition.INVALID).toEqual({ term: Number.MAX_SAFE_INTEGER, index: 0 });
    expect(Object.isFrozen(LogPosition.ZERO)).toBe(true);
    expect(Object.isFrozen(LogPosition.INVALID)).toBe(true);
  });

  it("LogPosition.isInvalid() is true only for INVALID", () => {
    expect(LogPosition.isInvalid(LogPosition.INVALID)).toBe(true);
    expect(LogPosition.isInvalid(LogPosition.of(Number.MAX_SAFE_INTEGER, 0))).toBe(true);
    expect(LogPosition.isInvalid(LogPosition.ZERO)).toBe(false);
    expect(LogPosition.isInvalid(LogPosition.of(Number.MAX_SAFE_INTEGER, 1))).toBe(false);
    expect(LogPosition.isInvalid(LogPosition.of(3, 0))).toBe(false);
  });

  it("LogPosition.of() validates both parts", () => {
    expect<unknown>(LogPosition.of(2, 7)).toEqual({ term: 2, index: 7 });
    expect(() => LogPosition.of(-1, 0)).toThrow(RaftInvariantError);
    expect(() => LogPosition.of(0, 0.5)).toThrow(RaftInvariantError);
  });

  it("LogPosition.equals() compares term and index", () => {
    expect(LogPosition.equals(LogPosition.of(2, 7), LogPosition.of(2, 7))).toBe(true);
    expect(LogPosition.equals(LogPosition.of(2, 7), LogPosition.of(3, 7))).toBe(false);
    expect(LogPosition.equals(LogPosition.of(2, 7), LogPosition.of(2, 8))).toBe(false);
  });

  it("LogPosition.compare() orders by term first, then by index", () => {
    const a = LogPosition.of(1, 10);
    const b = LogPosition.of(2, 1);
    const c = LogPosition.of(2, 5);
    expect(LogPosition.compare(a, b)).toBeLessThan(0);
    expect(LogPosition.compare(b, a)).toBeGreaterThan(0);
    expect(LogPosition.compare(b, c)).toBeLessThan(0);
    expect(LogPosition.compare(c, b)).toBeGreaterThan(0);
    expect(LogPosition.compare(c, LogPosition.of(2, 5))).toBe(0);
    const sorted = [c, LogPosition.ZERO, a, b].sort(LogPosition.compare);
    expect(sorted).toEqual([LogPosition.ZERO, a, b, c]);
    expect(LogPosition.compare(LogPosition.INVALID, LogPosition.of(1_000_000, 1_000_000))).toBeGreaterThan(0);
  });

  it("LogPosition.format() renders term/index", () => {
    expect(LogPosition.format(LogPosition.of(3, 7))).toBe("3/7");
    expect(LogPosition.format(LogPosition.ZERO)).toBe("0/0");
  });

  it("LogPosition.format() refuses a value that is not a position", () => {
    expect(() => LogPosition.format({ term: "3", index: 7 } as unknown as LogPosition)).toThrow(RaftInvariantError);
  });
});
