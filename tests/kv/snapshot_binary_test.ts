import { describe, expect, it } from "bun:test";
import {
  crc32,
  decodeSnapshot,
  encodeSnapshot,
  KvStateMachine,
  SNAPSHOT_HEADER_BYTES,
  SNAPSHOT_JSON_VERSION,
  SNAPSHOT_VERSION,
} from "../../src/kv/mod.ts";
import { BLOCKS_END, encodeBlock, encodeMeta, SNAPSHOT_BLOCK_ENTRIES } from "../../src/kv/snapshot_binary.ts";
import { SnapshotEncoder } from "../../src/kv/snapshot_encoder.ts";
import type { KvEntry } from "../../src/kv/types.ts";
import { put } from "./kv_helpers.ts";

/** A snapshot of format `version` around `body`, with a correct header and checksum. */
function envelope(body: Uint8Array, version = SNAPSHOT_VERSION): Uint8Array {
  const bytes = new Uint8Array(SNAPSHOT_HEADER_BYTES + body.length);
  bytes.set([0x52, 0x42, 0x4b, 0x56], 0);
  bytes[4] = version;
  const view = new DataView(bytes.buffer);
  view.setBigUint64(8, BigInt(body.length));
  view.setUint32(16, crc32(body));
  bytes.set(body, SNAPSHOT_HEADER_BYTES);
  return bytes;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const META = encodeMeta({ appliedIndex: 9, idempotency: [] });

function entry(key: string, value: string, revision = 3, createRevision = 2, version = 2): KvEntry {
  return { key, value, revision, createRevision, version };
}

/** A version 4 snapshot of `blocks` (already encoded) after the standard meta part. */
function v4(...blocks: Uint8Array[]): Uint8Array {
  return envelope(concat(META, ...blocks, BLOCKS_END));
}

function refusal(bytes: Uint8Array): string {
  const decoded = decodeSnapshot(bytes);
  if (decoded.ok) throw new Error("the snapshot was accepted");
  expect(decoded.reason).toBe("bad_body");
  return decoded.error;
}

/** Keys that exercise UTF-8 and UTF-16: multi-byte, astral (surrogate pairs), a leading byte-order mark. */
const AWKWARD_KEYS = ["a", "caf\u00e9", "\u00e9t\u00e9", "\u{1f600}x", "\ufeffbom", "\u4e2d\u6587", "z\u{10ffff}"];

describe("snapshot format version 4", () => {
  it("round-trips keys of every UTF-16 shape, empty values, large numbers and the idempotency table", () => {
    const m = new KvStateMachine();
    let index = 0;
    for (const key of AWKWARD_KEYS) put(m, ++index, key, `${key}\u{1f4a9}`);
    put(m, ++index, "empty", "");
    m.apply(++index, JSON.stringify({ op: "put", key: "idem", value: "v", idempotencyKey: "req-1" }));
    m.noteIndex(2 ** 40);
    const bytes = m.snapshot();
    expect(bytes[4]).toBe(4);
    const restored = KvStateMachine.restore(bytes);
    if (!(restored instanceof KvStateMachine)) throw new Error(restored.error);
    expect(restored.appliedIndex).toBe(2 ** 40);
    for (const key of AWKWARD_KEYS) expect(restored.get(key)).toEqual(m.get(key));
    expect(restored.get("\ufeffbom")?.key).toBe("\ufeffbom");
    expect(restored.get("empty")?.value).toBe("");
    expect(restored.idempotencyKeys).toBe(1);
    expect(restored.snapshot()).toEqual(bytes);
    expect(restored.list("", 100).items).toEqual(m.list("", 100).items);
  });

  it("spans several blocks, and is byte-identical however the entries were batched", () => {
    const m = new KvStateMachine();
    const n = 2 * SNAPSHOT_BLOCK_ENTRIES + 3;
    for (let i = 0; i < n; i++) put(m, i + 1, `k${String(i).padStart(6, "0")}`, `v${i}`);
    const whole = m.snapshot();
    const restored = KvStateMachine.restore(whole);
    if (!(restored instanceof KvStateMachine)) throw new Error(restored.error);
    expect(restored.size).toBe(n);
    expect(restored.get("k008194")?.value).toBe("v8194");
    const entries = m.list("", n).items;
    for (const batch of [1, 7, SNAPSHOT_BLOCK_ENTRIES - 1, SNAPSHOT_BLOCK_ENTRIES, n]) {
      const encoder = new SnapshotEncoder(m.appliedIndex, []);
      for (let i = 0; i < n; i += batch) encoder.add(entries.slice(i, i + batch));
      expect(encoder.finish()).toEqual(whole);
    }
    expect(encodeSnapshot({ appliedIndex: m.appliedIndex, entries, idempotency: [] })).toEqual(whole);
    const job = m.beginSnapshot();
    while (!job.step(1000)) {}
    expect(job.data).toEqual(whole);
  });

  it("reads the JSON formats it replaces, and rewrites them as version 4", () => {
    const body = {
      appliedIndex: 7,
      entries: [
        ["a", "x", 2, 2, 1],
        ["\u{1f600}", "y", 5, 3, 2],
      ],
      idempotency: [["req", 5, "f", ["ok", 5, ["\u{1f600}", "w", 3, 3, 1]]]],
    };
    const v3 = envelope(new TextEncoder().encode(JSON.stringify(body)), SNAPSHOT_JSON_VERSION);
    const restored = KvStateMachine.restore(v3);
    if (!(restored instanceof KvStateMachine)) throw new Error(restored.error);
    expect(restored.get("\u{1f600}")).toEqual(entry("\u{1f600}", "y", 5, 3, 2));
    expect(restored.idempotencyKeys).toBe(1);
    const rewritten = restored.snapshot();
    expect(rewritten[4]).toBe(SNAPSHOT_VERSION);
    const again = KvStateMachine.restore(rewritten);
    if (!(again instanceof KvStateMachine)) throw new Error(again.error);
    expect(again.list("", 10)).toEqual(restored.list("", 10));
    const { idempotency: _, ...v2Body } = body;
    const v2 = envelope(new TextEncoder().encode(JSON.stringify(v2Body)), 2);
    expect(KvStateMachine.restore(v2)).toBeInstanceOf(KvStateMachine);
  });

  it("refuses a broken layout or meta part", () => {
    const good = encodeBlock([entry("a", "x")]);
    expect(decodeSnapshot(v4(good)).ok).toBe(true);
    expect(refusal(envelope(new Uint8Array(2)))).toContain("meta length is missing");
    expect(refusal(envelope(concat(META, good)))).toContain("has no entry count");
    expect(refusal(envelope(concat(META, good, BLOCKS_END, new Uint8Array(1))))).toContain("1 bytes follow the end");
    expect(refusal(envelope(concat(encodeMeta({ appliedIndex: 9 }), BLOCKS_END)))).toContain("idempotency");
    expect(refusal(envelope(concat(encodeMeta({ appliedIndex: -1, idempotency: [] }), BLOCKS_END)))).toContain(
      "appliedIndex",
    );
    const notJson = new Uint8Array([0, 0, 0, 2, 0x7b, 0x7b]);
    expect(refusal(envelope(concat(notJson, BLOCKS_END)))).toContain("not UTF-8 JSON");
    const longMeta = new Uint8Array([0, 0, 0, 99]);
    expect(refusal(envelope(concat(longMeta, BLOCKS_END)))).toContain("runs past the body");
    const truncatedBlock = good.subarray(0, good.length - 1);
    expect(refusal(envelope(concat(META, truncatedBlock)))).toContain("runs past the body");
    // Two short blocks: a state must have one encoding, so only the last block may be short.
    expect(refusal(v4(good, encodeBlock([entry("b", "y")])))).toContain("follows a block of fewer than");
    const huge = new Uint8Array(good);
    new DataView(huge.buffer).setUint32(0, SNAPSHOT_BLOCK_ENTRIES + 1);
    expect(refusal(v4(huge))).toContain(`at most ${SNAPSHOT_BLOCK_ENTRIES}`);
  });

  it("refuses entries that break the entry rules: text, lengths, numbers and order", () => {
    const block = (...entries: KvEntry[]) => new Uint8Array(encodeBlock(entries));
    const invalidUtf8 = block(entry("a", "xy"));
    invalidUtf8[invalidUtf8.length - 1] = 0xff;
    expect(refusal(v4(invalidUtf8))).toContain("not valid UTF-8");
    const units = block(entry("a", "xy"));
    new DataView(units.buffer).setUint32(8, 3); // Value length 3, text still 3 units long in all.
    expect(refusal(v4(units))).toContain("UTF-16 code units");
    // Move one code unit from the value to the key: the cut falls inside the surrogate pair.
    const split = block(entry("a", "\u{1f600}"));
    new DataView(split.buffer).setUint32(4, 2);
    new DataView(split.buffer).setUint32(8, 1);
    expect(refusal(v4(split))).toContain("splits a surrogate pair");
    const emptyKey = block(entry("a", "x"));
    new DataView(emptyKey.buffer).setUint32(4, 0);
    new DataView(emptyKey.buffer).setUint32(8, 2);
    expect(refusal(v4(emptyKey))).toContain("1 to 1024 UTF-8 bytes");
    expect(refusal(v4(block(entry("\u00e9".repeat(513), ""))))).toContain("1 to 1024 UTF-8 bytes");
    expect(decodeSnapshot(v4(block(entry("\u00e9".repeat(512), "")))).ok).toBe(true);
    for (const field of [12, 20, 28]) {
      const zero = block(entry("a", "x"));
      new DataView(zero.buffer).setUint32(4 + field, 0);
      expect(refusal(v4(zero))).toContain("positive safe integers");
      const unsafe = block(entry("a", "x"));
      new DataView(unsafe.buffer).setUint32(field, 0x200000);
      expect(refusal(v4(unsafe))).toContain("positive safe integers");
    }
    expect(refusal(v4(block(entry("b", "x"), entry("a", "x"))))).toContain("out of order");
    expect(refusal(v4(block(entry("a", "x", 10, 10, 1))))).toContain("above the applied index 9");
    expect(refusal(v4(block(entry("a", "x", 3, 3, 2))))).toContain("too high");
  });

  it("refuses a flipped byte anywhere through the checksum", () => {
    const m = new KvStateMachine();
    for (let i = 0; i < 50; i++) put(m, i + 1, `k${i}`, `v${i}`);
    const bytes = m.snapshot();
    for (const at of [SNAPSHOT_HEADER_BYTES, SNAPSHOT_HEADER_BYTES + 40, bytes.length - 10, bytes.length - 1]) {
      const copy = new Uint8Array(bytes);
      copy[at] ^= 0x01;
      const decoded = decodeSnapshot(copy);
      expect(decoded.ok ? "accepted" : decoded.reason).toBe("checksum_mismatch");
    }
  });
});
