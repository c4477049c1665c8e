import { describe, expect, it } from "bun:test";
import { fingerprintOf, IDEMPOTENCY_BUDGET, IDEMPOTENCY_WINDOW, IdempotencyTable } from "../../src/kv/idempotency.ts";
import {
  crc32,
  KvInvariantError,
  KvStateMachine,
  SNAPSHOT_HEADER_BYTES,
  SNAPSHOT_JSON_VERSION,
} from "../../src/kv/mod.ts";
import type { ApplyResult } from "../../src/kv/types.ts";
import { del, payload, put } from "./kv_helpers.ts";

/** `result` as its repeat answers: the same, marked with the first command's index. */
function replayOf(result: ApplyResult, index: number): ApplyResult {
  if (!result.ok && result.code !== "compare_failed") throw new Error(`a ${result.code} result is never remembered`);
  return { ...result, replayOf: index };
}

/** The state machine restored from `sm`'s snapshot; throws if it is refused. */
function roundTrip(sm: KvStateMachine): KvStateMachine {
  const restored = KvStateMachine.restore(sm.snapshot());
  if (!(restored instanceof KvStateMachine)) throw new Error(restored.error);
  return restored;
}

/** A snapshot of `body` (JSON) in the current format, with a correct checksum. */
function snapshotWithBody(body: unknown): Uint8Array {
  const bodyBytes = new TextEncoder().encode(JSON.stringify(body));
  const bytes = new Uint8Array(SNAPSHOT_HEADER_BYTES + bodyBytes.length);
  bytes.set(new KvStateMachine().snapshot().subarray(0, SNAPSHOT_HEADER_BYTES));
  bytes[4] = SNAPSHOT_JSON_VERSION; // A JSON body.
  const view = new DataView(bytes.buffer);
  view.setBigUint64(8, BigInt(bodyBytes.length));
  view.setUint32(16, crc32(bodyBytes));
  bytes.set(bodyBytes, SNAPSHOT_HEADER_BYTES);
  return bytes;
}

function refusal(bytes: Uint8Array): string {
  const restored = KvStateMachine.restore(bytes);
  if (restored instanceof KvStateMachine) throw new Error("the snapshot was accepted");
  return restored.error;
}

describe("idempotency keys in the KV state machine", () => {
  it("applies a key's first write once; a repeat answers the first result at the first index and changes nothing", () => {
    const sm = new KvStateMachine();
    put(sm, 1, "a", "old");
    const first = put(sm, 2, "a", "new", { idempotencyKey: "k1" });
    expect(first).toEqual({ ok: true, revision: 2, prev: expect.objectContaining({ value: "old", version: 1 }) });
    put(sm, 3, "b", "other");
    const again = put(sm, 4, "a", "new", { idempotencyKey: "k1" });
    expect(again).toEqual(replayOf(first, 2));
    expect(sm.get("a")).toEqual({ key: "a", value: "new", revision: 2, createRevision: 1, version: 2 });
    expect(sm.appliedIndex).toBe(4);
  });

  it("a repeat of a failed compare-and-set answers the same failure, even once the expectation would hold", () => {
    const sm = new KvStateMachine();
    put(sm, 1, "a", "x");
    const failed = put(sm, 2, "a", "y", { expectValue: "z", idempotencyKey: "cas" });
    expect(failed).toEqual({ ok: false, code: "compare_failed", current: expect.objectContaining({ value: "x" }) });
    put(sm, 3, "a", "z");
    expect(put(sm, 4, "a", "y", { expectValue: "z", idempotencyKey: "cas" })).toEqual(replayOf(failed, 2));
    expect(sm.get("a")?.value).toBe("z");
  });

  it("deletes are deduplicated too, including a delete of a missing key", () => {
    const sm = new KvStateMachine();
    put(sm, 1, "a", "x");
    const first = del(sm, 2, "a", { idempotencyKey: "d" });
    put(sm, 3, "a", "back");
    expect(del(sm, 4, "a", { idempotencyKey: "d" })).toEqual(replayOf(first, 2));
    expect(sm.get("a")?.value).toBe("back");
    const missing = del(sm, 5, "nothing", { idempotencyKey: "m" });
    expect(missing).toEqual({ ok: true, revision: 0, prev: null });
    expect(del(sm, 6, "nothing", { idempotencyKey: "m" })).toEqual(replayOf(missing, 5));
  });

  it("the same key with another request is refused and changes nothing", () => {
    const sm = new KvStateMachine();
    put(sm, 1, "a", "x", { idempotencyKey: "k" });
    const variants = [
      () => put(sm, 2, "a", "y", { idempotencyKey: "k" }),
      () => put(sm, 3, "b", "x", { idempotencyKey: "k" }),
      () => put(sm, 4, "a", "x", { idempotencyKey: "k", expectRevision: 1 }),
      () => put(sm, 5, "a", "x", { idempotencyKey: "k", expectValue: "x" }),
      () => del(sm, 6, "a", { idempotencyKey: "k" }),
    ];
    for (const variant of variants) {
      expect(variant()).toEqual({ ok: false, code: "idempotency_key_reused", firstIndex: 1 });
    }
    expect(sm.get("a")).toEqual({ key: "a", value: "x", revision: 1, createRevision: 1, version: 1 });
    expect(sm.get("b")).toBeNull();
  });

  it("the request id is not part of the request: a retry with another id is still a repeat", () => {
    const sm = new KvStateMachine();
    const first = sm.apply(1, payload({ op: "put", id: "try-1", key: "a", value: "v", idempotencyKey: "k" }));
    const again = sm.apply(2, payload({ op: "put", id: "try-2", key: "a", value: "v", idempotencyKey: "k" }));
    expect(again).toEqual(replayOf(first, 1));
    expect(sm.get("a")?.version).toBe(1);
  });

  it("writes without a key are never deduplicated", () => {
    const sm = new KvStateMachine();
    put(sm, 1, "a", "v");
    expect(put(sm, 2, "a", "v")).toEqual({ ok: true, revision: 2, prev: expect.objectContaining({ version: 1 }) });
    expect(sm.get("a")?.version).toBe(2);
    expect(sm.idempotencyKeys).toBe(0);
  });

  it("forgets a key once the log has moved the window past its first write, by log position alone", () => {
    const sm = new KvStateMachine();
    put(sm, 10, "a", "v", { idempotencyKey: "k" });
    sm.noteIndex(10 + IDEMPOTENCY_WINDOW - 2);
    // One entry short of the window: still a repeat.
    expect(put(sm, 10 + IDEMPOTENCY_WINDOW - 1, "a", "v", { idempotencyKey: "k" })).toMatchObject({ replayOf: 10 });
    expect(sm.get("a")?.version).toBe(1);
    // At the window: forgotten, so the write applies again.
    const later = put(sm, 10 + IDEMPOTENCY_WINDOW, "a", "v", { idempotencyKey: "k" });
    expect(later).toEqual({
      ok: true,
      revision: 10 + IDEMPOTENCY_WINDOW,
      prev: expect.objectContaining({ version: 1 }),
    });
    expect(sm.get("a")?.version).toBe(2);
    expect(sm.idempotencyKeys).toBe(1);
  });

  it("forgets the oldest keys first when the remembered results exceed the budget", () => {
    const sm = new KvStateMachine();
    const big = "x".repeat(1024 * 1024);
    const writes = Math.ceil(IDEMPOTENCY_BUDGET / big.length) + 4;
    for (let i = 1; i <= writes; i++) put(sm, i, "k", big, { idempotencyKey: `w${i}` });
    expect(sm.idempotencyKeys).toBeLessThan(writes);
    expect(sm.idempotencyKeys).toBeGreaterThan(writes / 2);
    const forgotten = writes - sm.idempotencyKeys;
    // The newest is remembered, the oldest is not.
    expect(put(sm, writes + 1, "k", big, { idempotencyKey: `w${writes}` })).toMatchObject({ replayOf: writes });
    expect(put(sm, writes + 2, "k", big, { idempotencyKey: `w${forgotten}` })).toMatchObject({
      ok: true,
      revision: writes + 2,
    });
  });

  it("the table is in the snapshot: a restored replica answers repeats alike and snapshots byte-identically", () => {
    const sm = new KvStateMachine();
    put(sm, 1, "a", "x");
    put(sm, 2, "a", "y", { idempotencyKey: "p" });
    put(sm, 3, "a", "q", { expectRevision: 0, idempotencyKey: "c" });
    del(sm, 4, "a", { idempotencyKey: "d" });
    sm.noteIndex(5);
    const restored = roundTrip(sm);
    expect(restored.snapshot()).toEqual(sm.snapshot());
    expect(restored.idempotencyKeys).toBe(3);
    for (const machine of [sm, restored]) {
      expect(put(machine, 6, "a", "y", { idempotencyKey: "p" })).toMatchObject({ ok: true, revision: 2, replayOf: 2 });
      expect(put(machine, 7, "a", "q", { expectRevision: 0, idempotencyKey: "c" })).toMatchObject({
        code: "compare_failed",
        replayOf: 3,
      });
      expect(del(machine, 8, "a", { idempotencyKey: "d" })).toMatchObject({ ok: true, revision: 4, replayOf: 4 });
      expect(put(machine, 9, "a", "z", { idempotencyKey: "p" })).toMatchObject({ code: "idempotency_key_reused" });
    }
    expect(restored.snapshot()).toEqual(sm.snapshot());
  });

  it("a version-2 snapshot (before the table existed) restores with an empty table", () => {
    const body = { appliedIndex: 3, entries: [["a", "x", 2, 2, 1]] };
    const bytes = snapshotWithBody(body);
    bytes[4] = 2;
    const restored = KvStateMachine.restore(bytes);
    if (!(restored instanceof KvStateMachine)) throw new Error(restored.error);
    expect(restored.idempotencyKeys).toBe(0);
    expect(restored.get("a")?.value).toBe("x");
  });

  it("refuses a snapshot whose table is inconsistent", () => {
    const entries = [["a", "x", 2, 2, 1]];
    const ok = ["ok", 2, null];
    const body = (idempotency: unknown[]) => snapshotWithBody({ appliedIndex: 5, entries, idempotency });
    expect(KvStateMachine.restore(body([["k", 2, "f", ok]]))).toBeInstanceOf(KvStateMachine);
    expect(refusal(body([["k", 6, "f", ["ok", 6, null]]]))).toContain("above the applied index 5");
    expect(
      refusal(
        body([
          ["k", 2, "f", ok],
          ["k", 3, "f", ["ok", 3, null]],
        ]),
      ),
    ).toContain("is repeated");
    expect(
      refusal(
        body([
          ["k", 3, "f", ["ok", 3, null]],
          ["j", 2, "f", ok],
        ]),
      ),
    ).toContain("out of log order");
    expect(refusal(body([["k", 2, "f", ["ok", 1, null]]]))).toContain("neither its index 2 nor 0");
    expect(refusal(body([["k", 2, "f", ["compare_failed", ["a", "x", 2, 2, 1]]]]))).toContain("not below its index 2");
    expect(refusal(body([["", 2, "f", ok]]))).toContain("idempotency");
    expect(refusal(body([["k", 2, "f", ["maybe", null]]]))).toContain("idempotency");
  });
});

describe("IdempotencyTable", () => {
  const result = { ok: true, revision: 1, prev: null } as const;

  it("refuses records out of log order or with a key it already holds", () => {
    const table = new IdempotencyTable();
    table.remember({ key: "a", index: 5, fingerprint: "f", result });
    expect(() => table.remember({ key: "b", index: 5, fingerprint: "f", result })).toThrow(KvInvariantError);
    expect(() => table.remember({ key: "a", index: 6, fingerprint: "f", result })).toThrow(KvInvariantError);
    expect(table.records().map((r) => r.key)).toEqual(["a"]);
  });

  it("expires exactly the records a window or more behind, oldest first", () => {
    const table = IdempotencyTable.from(
      [1, 2, 3].map((index) => ({ key: `k${index}`, index, fingerprint: "f", result })),
    );
    table.expire(1 + IDEMPOTENCY_WINDOW);
    expect(table.records().map((r) => r.key)).toEqual(["k2", "k3"]);
    table.expire(2 + IDEMPOTENCY_WINDOW - 1);
    expect(table.size).toBe(2);
  });
});

describe("fingerprintOf()", () => {
  it("tells apart every field of the request, and nothing else", () => {
    const base = { op: "put", key: "a", value: "v" } as const;
    const prints = new Set([
      fingerprintOf(base),
      fingerprintOf({ ...base, value: "w" }),
      fingerprintOf({ ...base, key: "b" }),
      fingerprintOf({ ...base, expectValue: "v" }),
      fingerprintOf({ ...base, expectRevision: 0 }),
      fingerprintOf({ op: "delete", key: "a" }),
      fingerprintOf({ op: "delete", key: "a", expectRevision: 0 }),
    ]);
    expect(prints.size).toBe(7);
    expect(fingerprintOf({ ...base, id: "x", idempotencyKey: "k" })).toBe(fingerprintOf(base));
  });
});
