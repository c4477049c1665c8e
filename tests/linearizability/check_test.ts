import { describe, expect, it } from "bun:test";
import { CheckerInvariantError } from "./assert.ts";
import { checkOperations } from "./check.ts";
import { cas, DELETE, failed, GET, ok, put, unknown } from "./kv_history.ts";
import { type KvOperation, kvModel } from "./kv_model.ts";

function verdict(operations: KvOperation[]): string {
  return checkOperations(kvModel, operations).verdict;
}

describe("checkOperations() on hand-made kv histories", () => {
  it("checkOperations() passes the empty history and a sequential one", () => {
    expect(verdict([])).toBe("ok");
    expect(verdict([ok(1, put("a"), [0, 1], null), ok(1, GET, [2, 3], "a"), ok(2, GET, [4, 5], "a")])).toBe("ok");
  });

  it("checkOperations() finds a stale read after a completed write", () => {
    const history = [ok(1, put("a"), [0, 1], null), ok(1, put("b"), [2, 3], null), ok(2, GET, [4, 5], "a")];
    expect(verdict(history)).toBe("violation");
  });

  it("checkOperations() finds a read of absent after a completed write", () => {
    expect(verdict([ok(1, put("a"), [0, 1], null), ok(2, GET, [2, 3], null)])).toBe("violation");
  });

  it("checkOperations() passes a read concurrent with a write in either order", () => {
    const write = ok(1, put("a"), [0, 10], null);
    expect(verdict([write, ok(2, GET, [2, 5], null)])).toBe("ok");
    expect(verdict([write, ok(2, GET, [2, 5], "a")])).toBe("ok");
    // Two reads inside the write may see old then new, but not new then old.
    expect(verdict([write, ok(2, GET, [1, 2], null), ok(2, GET, [3, 4], "a")])).toBe("ok");
    expect(verdict([write, ok(2, GET, [1, 2], "a"), ok(2, GET, [3, 4], null)])).toBe("violation");
  });

  it("checkOperations() treats touching intervals (return time = call time) as concurrent", () => {
    expect(verdict([ok(1, put("a"), [0, 5], null), ok(2, GET, [5, 6], null)])).toBe("ok");
  });

  it("checkOperations() passes an unknown write that takes effect late, or never", () => {
    const lost = unknown(1, put("a"), 0);
    expect(verdict([lost, ok(2, GET, [10, 11], null), ok(2, GET, [20, 21], "a")])).toBe("ok");
    expect(verdict([lost, ok(2, GET, [10, 11], null), ok(2, GET, [20, 21], null)])).toBe("ok");
    // But once seen it stays: it takes effect once.
    expect(verdict([lost, ok(2, GET, [10, 11], "a"), ok(2, GET, [20, 21], null)])).toBe("violation");
  });

  it("checkOperations() never lets an unknown write take effect before its call", () => {
    expect(verdict([ok(2, GET, [0, 1], "a"), unknown(1, put("a"), 5)])).toBe("violation");
  });

  it("checkOperations() finds a definitely failed write that becomes visible", () => {
    const history = [failed(1, put("a"), [0, 1]), ok(2, GET, [2, 3], "a")];
    expect(verdict(history)).toBe("violation");
    expect(checkOperations(kvModel, history).failure?.dropped).toEqual([history[0]]);
  });

  it("checkOperations() lets an unknown read constrain nothing", () => {
    const history = [ok(1, put("a"), [0, 1], null), unknown(2, GET, 2), ok(3, GET, [3, 4], "a")];
    expect(verdict(history)).toBe("ok");
    // The model accepts any output of an unknown read.
    expect(kvModel.step("a", GET, undefined)).toEqual({ ok: true, next: "a" });
  });

  it("checkOperations() follows a cas chain and finds a cas that should have failed", () => {
    const chain = [
      ok(1, put("a"), [0, 1], null),
      ok(1, cas("a", "b"), [2, 3], true),
      ok(2, cas("a", "c"), [4, 5], false),
      ok(2, cas("b", "c"), [6, 7], true),
      ok(3, GET, [8, 9], "c"),
    ];
    expect(verdict(chain)).toBe("ok");
    expect(verdict([...chain.slice(0, 2), ok(2, cas("a", "c"), [4, 5], true)])).toBe("violation");
    expect(verdict([...chain.slice(0, 2), ok(2, cas("b", "c"), [4, 5], false)])).toBe("violation");
    expect(verdict([ok(1, cas(null, "a"), [0, 1], true), ok(2, cas(null, "b"), [2, 3], false)])).toBe("ok");
  });

  it("checkOperations() lets an unknown cas apply (only if the value matched) or not", () => {
    const start = ok(1, put("a"), [0, 1], null);
    expect(verdict([start, unknown(2, cas("a", "b"), 2), ok(3, GET, [5, 6], "b")])).toBe("ok");
    expect(verdict([start, unknown(2, cas("a", "b"), 2), ok(3, GET, [5, 6], "a")])).toBe("ok");
    expect(verdict([start, unknown(2, cas("z", "b"), 2), ok(3, GET, [5, 6], "b")])).toBe("violation");
  });

  it("checkOperations() checks deletes", () => {
    const history = [ok(1, put("a"), [0, 1], null), ok(1, DELETE, [2, 3], null)];
    expect(verdict([...history, ok(2, GET, [4, 5], null)])).toBe("ok");
    expect(verdict([...history, ok(2, GET, [4, 5], "a")])).toBe("violation");
  });

  it("checkOperations() checks keys independently and reports the smallest failing key", () => {
    const big = [1, 2, 3].map((c) => ok(c, put(`v${c}`), [c * 10, c * 10 + 1], null, { key: "big" }));
    const bigStale = ok(9, GET, [50, 51], "v1", { key: "big" });
    const small = [ok(4, put("s"), [0, 1], null, { key: "small" }), ok(5, GET, [2, 3], null, { key: "small" })];
    const fine = [ok(6, GET, [0, 1], null, { key: "fine" })];
    const result = checkOperations(kvModel, [...big, bigStale, ...small, ...fine]);
    expect(result.verdict).toBe("violation");
    expect(result.failure?.key).toBe("small");
    expect(result.failure?.operations).toEqual(small);
    // The same writes on distinct keys do not interfere.
    expect(verdict([ok(1, put("a"), [0, 1], null, { key: "p" }), ok(2, GET, [2, 3], null, { key: "q" })])).toBe("ok");
  });

  it("checkOperations() refuses a malformed history", () => {
    const overlapping = [ok(1, put("a"), [0, 5], null), ok(1, GET, [2, 3], "a")];
    expect(() => checkOperations(kvModel, overlapping)).toThrow(CheckerInvariantError);
    const reused = [unknown(1, put("a"), 0), ok(1, GET, [2, 3], "a")];
    expect(() => checkOperations(kvModel, reused)).toThrow(/after an unknown outcome/);
    const backwards = [ok(1, GET, [5, 3], null)];
    expect(() => checkOperations(kvModel, backwards)).toThrow(/before its call/);
  });
});
