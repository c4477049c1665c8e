import { describe, expect, it } from "bun:test";
import { crc32Table as crc32Portable } from "../../src/checksum/crc32.ts";
import {
  crc32,
  encodeSnapshot,
  KvInvariantError,
  KvStateMachine,
  SNAPSHOT_HEADER_BYTES,
  SNAPSHOT_JSON_VERSION,
  SNAPSHOT_VERSION,
  type SnapshotError,
} from "../../src/kv/mod.ts";
import { del, put } from "./kv_helpers.ts";

/** A state machine with overwrites, deletes, CAS failures, an old members command and noted indexes. */
function sample(): KvStateMachine {
  const sm = new KvStateMachine();
  sm.noteIndex(1);
  sm.apply(2, JSON.stringify({ op: "members", upsert: [{ id: "n1", url: "http://127.0.0.1:7001" }] }));
  put(sm, 3, "b", "two");
  put(sm, 4, "a", "one");
  put(sm, 5, "b", "deux");
  put(sm, 6, "c", "🙂 ünïcode");
  del(sm, 7, "a");
  put(sm, 8, "a", "uno", { expectRevision: 0 });
  put(sm, 9, "c", "x", { expectValue: "wrong" });
  sm.apply(10, "not a command");
  sm.noteIndex(12);
  return sm;
}

function refused(bytes: Uint8Array): SnapshotError {
  const restored = KvStateMachine.restore(bytes);
  if (restored instanceof KvStateMachine) throw new Error("snapshot was accepted");
  return restored;
}

/** Rewrites the header's checksum so that only the body's content is wrong. */
function withFixedChecksum(bytes: Uint8Array): Uint8Array {
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(16, crc32(bytes.subarray(SNAPSHOT_HEADER_BYTES)));
  return bytes;
}

/** A snapshot whose body is `body`, with a correct envelope of format `version` (a JSON one by default). */
function withBody(body: string, version = SNAPSHOT_JSON_VERSION): Uint8Array {
  const bodyBytes = new TextEncoder().encode(body);
  const bytes = new Uint8Array(SNAPSHOT_HEADER_BYTES + bodyBytes.length);
  bytes.set(sample().snapshot().subarray(0, SNAPSHOT_HEADER_BYTES));
  bytes[4] = version;
  new DataView(bytes.buffer).setBigUint64(8, BigInt(bodyBytes.length));
  bytes.set(bodyBytes, SNAPSHOT_HEADER_BYTES);
  return withFixedChecksum(bytes);
}

describe("KvStateMachine.snapshot()", () => {
  it("round-trips entries, metadata and the applied index", () => {
    const sm = sample();
    const restored = KvStateMachine.restore(sm.snapshot());
    if (!(restored instanceof KvStateMachine)) throw new Error(restored.error);
    expect(restored.appliedIndex).toBe(12);
    expect(restored.list("", 100)).toEqual(sm.list("", 100));
    expect(restored.get("a")).toEqual({ key: "a", value: "uno", revision: 8, createRevision: 8, version: 1 });
    expect(restored.get("b")).toEqual({ key: "b", value: "deux", revision: 5, createRevision: 3, version: 2 });
    expect(restored.snapshot()).toEqual(sm.snapshot());
  });

  it("lets a restored state machine continue applying where the snapshot ends", () => {
    const restored = KvStateMachine.restore(sample().snapshot()) as KvStateMachine;
    expect(() => put(restored, 12, "d", "1")).toThrow(KvInvariantError);
    expect(put(restored, 13, "b", "trois")).toMatchObject({ ok: true, revision: 13 });
    expect(restored.get("b")?.version).toBe(3);
    expect(restored.list("", 10).items.map((e) => e.key)).toEqual(["a", "b", "c"]);
  });

  it("round-trips an empty state machine", () => {
    const restored = KvStateMachine.restore(new KvStateMachine().snapshot()) as KvStateMachine;
    expect(restored.appliedIndex).toBe(0);
    expect(restored.size).toBe(0);
  });

  it("is byte-identical on two state machines fed the same entries", () => {
    const a = sample();
    const b = sample();
    expect(a.snapshot()).toEqual(b.snapshot());
  });

  it("does not depend on the order in which keys were first inserted", () => {
    const a = new KvStateMachine();
    const b = new KvStateMachine();
    put(a, 1, "x", "1");
    put(a, 2, "y", "1");
    del(a, 3, "x");
    put(a, 4, "x", "1");
    put(b, 1, "y", "0");
    put(b, 2, "y", "1");
    b.noteIndex(3);
    put(b, 4, "x", "1");
    // Same keys and values, but y's metadata differs, so the snapshots must differ too.
    expect(a.snapshot()).not.toEqual(b.snapshot());
    const c = new KvStateMachine();
    put(c, 2, "y", "1");
    put(c, 4, "x", "1");
    expect(c.snapshot()).toEqual(a.snapshot());
  });

  it("starts with the documented header", () => {
    const bytes = sample().snapshot();
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe("RBKV");
    expect(bytes[4]).toBe(SNAPSHOT_VERSION);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(Number(view.getBigUint64(8))).toBe(bytes.length - SNAPSHOT_HEADER_BYTES);
    expect(view.getUint32(16)).toBe(crc32(bytes.subarray(SNAPSHOT_HEADER_BYTES)));
  });
});

describe("KvStateMachine.restore()", () => {
  it("refuses a snapshot with a flipped body byte", () => {
    const bytes = sample().snapshot();
    bytes[SNAPSHOT_HEADER_BYTES + 10] ^= 0x01;
    const error = refused(bytes);
    expect(error.reason).toBe("checksum_mismatch");
    expect(error.error).toMatch(/^Cannot restore KV snapshot: checksum mismatch \(stored 0x[0-9a-f]+, computed/);
  });

  it("refuses a snapshot with a flipped checksum byte", () => {
    const bytes = sample().snapshot();
    bytes[18] ^= 0x80;
    expect(refused(bytes).reason).toBe("checksum_mismatch");
  });

  it("refuses a truncated snapshot", () => {
    const bytes = sample().snapshot();
    expect(refused(bytes.subarray(0, bytes.length - 1)).error).toContain("but only");
    expect(refused(bytes.subarray(0, bytes.length - 1)).reason).toBe("truncated");
    expect(refused(bytes.subarray(0, 7)).error).toContain("shorter than the 20-byte header");
    expect(refused(new Uint8Array()).reason).toBe("truncated");
  });

  it("refuses a snapshot with trailing bytes", () => {
    const bytes = sample().snapshot();
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect(refused(longer)).toMatchObject({ reason: "bad_header" });
  });

  it("refuses a snapshot with the wrong magic bytes", () => {
    const bytes = sample().snapshot();
    bytes[0] = 0x7b;
    expect(refused(bytes)).toEqual({
      reason: "bad_magic",
      error: 'Cannot restore KV snapshot: it does not start with the magic bytes "RBKV" (found 7b 42 4b 56)',
    });
  });

  it("refuses a snapshot of an unknown format version", () => {
    const bytes = sample().snapshot();
    bytes[4] = SNAPSHOT_VERSION + 1;
    expect(refused(bytes)).toEqual({
      reason: "unsupported_version",
      error: `Cannot restore KV snapshot: format version ${SNAPSHOT_VERSION + 1} is not supported (expected 1 to ${SNAPSHOT_VERSION})`,
    });
  });

  it("refuses a snapshot whose reserved header bytes are set", () => {
    const bytes = sample().snapshot();
    bytes[6] = 1;
    expect(refused(bytes).reason).toBe("bad_header");
  });

  it("refuses a checksummed body that is not JSON or does not match the schema", () => {
    expect(refused(withBody("{oops")).error).toContain("the body is not JSON");
    expect(refused(withBody('{"appliedIndex":1,"idempotency":[]}')).error).toContain("entries");
    expect(refused(withBody('{"appliedIndex":1,"entries":[]}')).error).toContain("idempotency");
    expect(refused(withBody('{"appliedIndex":1,"entries":[],"idempotency":[],"members":[]}')).error).toContain(
      "members",
    );
    const badEntry = '{"appliedIndex":5,"entries":[["a","v",0,1,1]],"idempotency":[]}';
    expect(refused(withBody(badEntry)).error).toContain("entries.0.2");
    const longKey = JSON.stringify({ appliedIndex: 5, entries: [["k".repeat(1025), "v", 1, 1, 1]], idempotency: [] });
    expect(refused(withBody(longKey)).error).toContain("the limit is 1024");
  });

  it("refuses a checksummed body whose entries are inconsistent", () => {
    const body = (appliedIndex: number, entries: unknown[]) =>
      withBody(JSON.stringify({ appliedIndex, entries, idempotency: [] }));
    expect(
      refused(
        body(5, [
          ["b", "", 1, 1, 1],
          ["a", "", 2, 2, 1],
        ]),
      ).error,
    ).toContain("out of order");
    expect(
      refused(
        body(5, [
          ["a", "", 1, 1, 1],
          ["a", "", 2, 2, 1],
        ]),
      ).error,
    ).toContain("out of order or repeated");
    expect(refused(body(5, [["a", "", 6, 6, 1]])).error).toContain("above the applied index 5");
    expect(refused(body(5, [["a", "", 2, 3, 1]])).error).toContain("createRevision 3 is above revision 2");
    expect(refused(body(5, [["a", "", 3, 2, 3]])).error).toContain("version 3 is too high");
  });

  it("reads a version-1 snapshot, ignoring the address book it carried", () => {
    const members = [{ id: "n1", url: "http://a" }];
    const v1 = withBody(JSON.stringify({ appliedIndex: 3, members, entries: [["a", "x", 2, 2, 1]] }), 1);
    const restored = KvStateMachine.restore(v1);
    if (!(restored instanceof KvStateMachine)) throw new Error(restored.error);
    expect(restored.appliedIndex).toBe(3);
    expect(restored.get("a")?.value).toBe("x");
    expect(refused(withBody(JSON.stringify({ appliedIndex: 3, entries: [] }), 1)).error).toContain("members");
    const future = withBody(JSON.stringify({ appliedIndex: 3, entries: [] }), SNAPSHOT_VERSION + 1);
    expect(refused(future).reason).toBe("unsupported_version");
  });

  it("accepts a snapshot held in a view into a larger buffer", () => {
    const bytes = sample().snapshot();
    const big = new Uint8Array(bytes.length + 16);
    big.set(bytes, 8);
    expect(KvStateMachine.restore(big.subarray(8, 8 + bytes.length))).toBeInstanceOf(KvStateMachine);
  });
});

describe("encodeSnapshot()", () => {
  it("refuses to write an inconsistent state", () => {
    const entry = { key: "a", value: "", revision: 9, createRevision: 9, version: 1 };
    expect(() => encodeSnapshot({ appliedIndex: 5, entries: [entry], idempotency: [] })).toThrow(KvInvariantError);
  });
});

describe("crc32()", () => {
  it("crc32() and crc32Portable() give the standard check value and agree on odd lengths", () => {
    const check = new TextEncoder().encode("123456789");
    expect(crc32(check)).toBe(0xcbf43926);
    expect(crc32Portable(check)).toBe(0xcbf43926);
    expect(crc32Portable(new Uint8Array())).toBe(0);
    const bytes = Uint8Array.from({ length: 1037 }, (_, i) => (i * 131 + 7) & 0xff);
    for (const n of [1, 7, 8, 9, 64, 1037])
      expect(crc32Portable(bytes.subarray(0, n))).toBe(crc32(bytes.subarray(0, n)));
  });
});
