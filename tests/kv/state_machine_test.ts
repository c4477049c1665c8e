import { describe, expect, it } from "bun:test";
import { KvInvariantError, KvStateMachine } from "../../src/kv/mod.ts";
import { del, payload, put } from "./kv_helpers.ts";

describe("KvStateMachine.apply()", () => {
  it("creates a key with revision, createRevision and version from the log index", () => {
    const sm = new KvStateMachine();
    expect(put(sm, 3, "a", "1")).toEqual({ ok: true, revision: 3, prev: null });
    expect(sm.get("a")).toEqual({ key: "a", value: "1", revision: 3, createRevision: 3, version: 1 });
    expect(sm.appliedIndex).toBe(3);
    expect(sm.size).toBe(1);
  });

  it("overwrites a key, keeping createRevision and counting versions", () => {
    const sm = new KvStateMachine();
    put(sm, 1, "a", "1");
    const first = sm.get("a");
    expect(put(sm, 4, "a", "2")).toEqual({ ok: true, revision: 4, prev: first });
    expect(sm.get("a")).toEqual({ key: "a", value: "2", revision: 4, createRevision: 1, version: 2 });
    put(sm, 9, "a", "3");
    expect(sm.get("a")).toEqual({ key: "a", value: "3", revision: 9, createRevision: 1, version: 3 });
  });

  it("deletes a key and returns its last entry", () => {
    const sm = new KvStateMachine();
    put(sm, 1, "a", "1");
    const before = sm.get("a");
    expect(del(sm, 2, "a")).toEqual({ ok: true, revision: 2, prev: before });
    expect(sm.get("a")).toBeNull();
    expect(sm.size).toBe(0);
  });

  it("succeeds with revision 0 and no previous entry when deleting a missing key", () => {
    const sm = new KvStateMachine();
    expect(del(sm, 1, "nope")).toEqual({ ok: true, revision: 0, prev: null });
    expect(sm.appliedIndex).toBe(1);
  });

  it("restarts createRevision and version when a deleted key is created again", () => {
    const sm = new KvStateMachine();
    put(sm, 1, "a", "1");
    put(sm, 2, "a", "2");
    del(sm, 3, "a");
    put(sm, 7, "a", "again");
    expect(sm.get("a")).toEqual({ key: "a", value: "again", revision: 7, createRevision: 7, version: 1 });
    put(sm, 8, "a", "more");
    expect(sm.get("a")).toEqual({ key: "a", value: "more", revision: 8, createRevision: 7, version: 2 });
  });

  it("applies a put whose expected value matches", () => {
    const sm = new KvStateMachine();
    put(sm, 1, "a", "1");
    expect(put(sm, 2, "a", "2", { expectValue: "1" }).ok).toBe(true);
    expect(sm.get("a")?.value).toBe("2");
  });

  it("refuses a put whose expected value does not match", () => {
    const sm = new KvStateMachine();
    put(sm, 1, "a", "1");
    const current = sm.get("a");
    expect(put(sm, 2, "a", "2", { expectValue: "other" })).toEqual({ ok: false, code: "compare_failed", current });
    expect(sm.get("a")).toBe(current);
    expect(sm.appliedIndex).toBe(2);
  });

  it("refuses a put expecting a value of a missing key", () => {
    const sm = new KvStateMachine();
    expect(put(sm, 1, "a", "2", { expectValue: "" })).toEqual({ ok: false, code: "compare_failed", current: null });
    expect(sm.get("a")).toBeNull();
  });

  it("applies a put whose expected revision matches", () => {
    const sm = new KvStateMachine();
    put(sm, 5, "a", "1");
    expect(put(sm, 6, "a", "2", { expectRevision: 5 })).toMatchObject({ ok: true, revision: 6 });
  });

  it("refuses a put whose expected revision does not match", () => {
    const sm = new KvStateMachine();
    put(sm, 5, "a", "1");
    const current = sm.get("a");
    expect(put(sm, 6, "a", "2", { expectRevision: 4 })).toEqual({ ok: false, code: "compare_failed", current });
    expect(put(sm, 7, "missing", "2", { expectRevision: 5 })).toEqual({
      ok: false,
      code: "compare_failed",
      current: null,
    });
  });

  it("creates a key with expected revision 0 only if it is missing", () => {
    const sm = new KvStateMachine();
    expect(put(sm, 1, "a", "1", { expectRevision: 0 })).toEqual({ ok: true, revision: 1, prev: null });
    const current = sm.get("a");
    expect(put(sm, 2, "a", "2", { expectRevision: 0 })).toEqual({ ok: false, code: "compare_failed", current });
    expect(sm.get("a")?.value).toBe("1");
  });

  it("requires both expectations when a put carries a value and a revision", () => {
    const sm = new KvStateMachine();
    put(sm, 1, "a", "1");
    expect(put(sm, 2, "a", "2", { expectValue: "1", expectRevision: 9 }).ok).toBe(false);
    expect(put(sm, 3, "a", "2", { expectValue: "x", expectRevision: 1 }).ok).toBe(false);
    expect(put(sm, 4, "a", "2", { expectValue: "1", expectRevision: 1 }).ok).toBe(true);
  });

  it("applies a delete whose expectations match and refuses one whose do not", () => {
    const sm = new KvStateMachine();
    put(sm, 1, "a", "1");
    const current = sm.get("a");
    expect(del(sm, 2, "a", { expectRevision: 2 })).toEqual({ ok: false, code: "compare_failed", current });
    expect(del(sm, 3, "a", { expectValue: "2" })).toEqual({ ok: false, code: "compare_failed", current });
    expect(del(sm, 4, "a", { expectRevision: 0 })).toEqual({ ok: false, code: "compare_failed", current });
    expect(del(sm, 5, "a", { expectRevision: 1, expectValue: "1" })).toEqual({ ok: true, revision: 5, prev: current });
  });

  it("treats a delete of a missing key with expected revision 0 as matching", () => {
    const sm = new KvStateMachine();
    expect(del(sm, 1, "a", { expectRevision: 0 })).toEqual({ ok: true, revision: 0, prev: null });
    expect(del(sm, 2, "a", { expectValue: "x" })).toEqual({ ok: false, code: "compare_failed", current: null });
  });

  it("applies an undecodable payload as a no-op with an invalid_command result", () => {
    const sm = new KvStateMachine();
    put(sm, 1, "a", "1");
    const result = sm.apply(2, "{garbage");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.code).toBe("invalid_command");
    expect(sm.apply(3, new Uint8Array([0xff]))).toMatchObject({ ok: false, code: "invalid_command" });
    expect(sm.appliedIndex).toBe(3);
    expect(sm.get("a")?.revision).toBe(1);
  });

  it("stores keys that are special property names like any other key", () => {
    const sm = new KvStateMachine();
    put(sm, 1, "__proto__", "p");
    put(sm, 2, "constructor", "c");
    expect(sm.get("__proto__")?.value).toBe("p");
    expect(sm.list("", 10).items.map((e) => e.key)).toEqual(["__proto__", "constructor"]);
    expect(sm.get("toString")).toBeNull();
  });

  it("applies a noop as a success that changes nothing but the applied index", () => {
    const sm = new KvStateMachine();
    expect(sm.apply(4, payload({ op: "noop", id: "r1" }))).toEqual({ ok: true, revision: 4, prev: null });
    expect(sm.size).toBe(0);
    expect(sm.appliedIndex).toBe(4);
  });
});

describe("KvStateMachine indexes", () => {
  it("KvStateMachine.noteIndex() advances the applied index over non-command entries", () => {
    const sm = new KvStateMachine();
    sm.noteIndex(1);
    sm.noteIndex(2);
    put(sm, 3, "a", "1");
    sm.noteIndex(10);
    expect(sm.appliedIndex).toBe(10);
    expect(put(sm, 11, "a", "2")).toMatchObject({ ok: true, revision: 11 });
  });

  it("KvStateMachine.apply() throws on an index that does not increase", () => {
    const sm = new KvStateMachine();
    put(sm, 5, "a", "1");
    expect(() => put(sm, 5, "b", "1")).toThrow(KvInvariantError);
    expect(() => put(sm, 4, "b", "1")).toThrow("index 4 applied after index 5");
    expect(() => sm.noteIndex(5)).toThrow(KvInvariantError);
    expect(sm.get("b")).toBeNull();
    expect(sm.appliedIndex).toBe(5);
  });

  it("KvStateMachine.apply() throws on an index that is not a positive integer", () => {
    const sm = new KvStateMachine();
    expect(() => put(sm, 0, "a", "1")).toThrow(KvInvariantError);
    expect(() => put(sm, 1.5, "a", "1")).toThrow(KvInvariantError);
    expect(() => sm.noteIndex(Number.NaN)).toThrow(KvInvariantError);
    expect(sm.appliedIndex).toBe(0);
  });
});

describe("KvStateMachine and old members commands", () => {
  it("KvStateMachine.apply() applies a members command of an old log as an invalid no-op", () => {
    const sm = new KvStateMachine();
    const upsert = [{ id: "n1", url: "http://127.0.0.1:7001" }];
    const result = sm.apply(1, JSON.stringify({ op: "members", upsert }));
    expect(result.ok).toBe(false);
    expect(result.ok === false && result.code).toBe("invalid_command");
    expect(sm.appliedIndex).toBe(1);
    expect(sm.size).toBe(0);
  });
});
