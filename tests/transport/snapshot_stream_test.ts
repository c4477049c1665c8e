import { afterAll, afterEach, beforeAll, describe, expect, it } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClusterConfig, LogPosition, NodeId } from "../../packages/core/src/mod.ts";
import { crc32 } from "../../src/checksum/crc32.ts";
import type { SnapshotChunk } from "../../src/transport/codec.ts";
import {
  type ReceiveResult,
  type SnapshotMeta,
  SnapshotReceiver,
  snapshotChunks,
} from "../../src/transport/snapshot_stream.ts";

const leader = NodeId.of("node-a");
const other = NodeId.of("node-b");
const config = new ClusterConfig({ voters: [leader, other, NodeId.of("node-c")] });

function meta(snapshotId: string, index = 100, from = leader): SnapshotMeta {
  return { from, snapshotId, position: LogPosition.of(3, index), config };
}

function bytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function feed(receiver: SnapshotReceiver, chunks: Iterable<SnapshotChunk>): ReceiveResult[] {
  return Array.from(chunks, (chunk) => receiver.accept(chunk));
}

describe("crc32()", () => {
  it("matches the standard check value and extends piece by piece", () => {
    const text = new TextEncoder().encode("123456789");
    expect(crc32(text)).toBe(0xcbf43926);
    expect(crc32(text, 4, text.length, crc32(text, 0, 4))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

describe("snapshotChunks()", () => {
  it("cuts a snapshot into in-order chunks; only the last carries the CRC", () => {
    const data = bytes(10);
    const chunks = [...snapshotChunks(data, meta("s1"), 4)];
    expect(chunks.map((c) => [c.offset, c.data.byteLength, c.last])).toEqual([
      [0, 4, false],
      [4, 4, false],
      [8, 2, true],
    ]);
    expect(chunks.map((c) => c.crc32)).toEqual([undefined, undefined, crc32(data)]);
    expect(chunks.every((c) => c.totalBytes === 10 && c.snapshotId === "s1")).toBe(true);
  });

  it("yields one empty last chunk for an empty snapshot, and exact multiples end without an empty chunk", () => {
    const empty = [...snapshotChunks(new Uint8Array(0), meta("s0"))];
    expect(empty.map((c) => [c.offset, c.data.byteLength, c.last, c.crc32])).toEqual([[0, 0, true, 0]]);
    expect([...snapshotChunks(bytes(8), meta("s8"), 4)].map((c) => c.last)).toEqual([false, true]);
  });

  it("defaults to 256 KiB chunks", () => {
    const chunks = [...snapshotChunks(bytes(600 * 1024), meta("big"))];
    expect(chunks.map((c) => c.data.byteLength)).toEqual([262144, 262144, 90112]);
  });
});

describe("SnapshotReceiver", () => {
  let base: string;
  let receiver: SnapshotReceiver;

  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), "raft-transport-test-"));
  });
  afterEach(() => receiver.close());
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  function tempFiles(): string[] {
    return readdirSync(base).flatMap((dir) => readdirSync(join(base, dir)));
  }

  function start(options: { maxBytes?: number; maxTransfers?: number } = {}): SnapshotReceiver {
    receiver = new SnapshotReceiver({ dir: base, ...options });
    return receiver;
  }

  it("reassembles a snapshot and hands back its bytes, position and config", () => {
    const r = start();
    const data = bytes(1000, 7);
    const results = feed(r, snapshotChunks(data, meta("s1"), 300));
    expect(results.slice(0, 3)).toEqual([
      { status: "partial", receivedBytes: 300 },
      { status: "partial", receivedBytes: 600 },
      { status: "partial", receivedBytes: 900 },
    ]);
    const done = results[3];
    if (done.status !== "complete") throw new Error(`expected completion, got ${JSON.stringify(done)}`);
    expect(done.received.from).toBe(leader);
    expect(done.received.snapshotId).toBe("s1");
    expect(done.received.snapshot.position).toEqual(LogPosition.of(3, 100));
    expect(done.received.snapshot.config.equals(config)).toBe(true);
    expect(Object.getPrototypeOf(done.received.snapshot.data)).toBe(Uint8Array.prototype);
    expect(Array.from(done.received.snapshot.data)).toEqual(Array.from(data));
    expect(r.inProgress).toBe(0);
    expect(tempFiles()).toEqual([]);
  });

  it("receives an empty snapshot", () => {
    const [result] = feed(start(), snapshotChunks(new Uint8Array(0), meta("s0")));
    expect(result.status === "complete" && result.received.snapshot.data.byteLength).toBe(0);
  });

  it("keeps one transfer per sender apart from another sender's", () => {
    const r = start();
    const a = [...snapshotChunks(bytes(20, 1), meta("sa"), 10)];
    const b = [...snapshotChunks(bytes(20, 2), meta("sb", 100, other), 10)];
    const results = [r.accept(a[0]), r.accept(b[0]), r.accept(b[1]), r.accept(a[1])];
    expect(results.map((x) => x.status)).toEqual(["partial", "partial", "complete", "complete"]);
    expect(r.inProgress).toBe(0);
  });

  it("rejects a gap and aborts the transfer, so the sender must start over", () => {
    const r = start();
    const chunks = [...snapshotChunks(bytes(40), meta("s1"), 10)];
    expect(r.accept(chunks[0]).status).toBe("partial");
    const gap = r.accept(chunks[2]);
    expect(gap.status === "rejected" && gap.reason).toBe("gap");
    expect(r.inProgress).toBe(0);
    expect(tempFiles()).toEqual([]);
    const late = r.accept(chunks[3]);
    expect(late.status === "rejected" && late.reason).toBe("gap");
    const again = feed(r, chunks);
    expect(again.map((x) => x.status)).toEqual(["partial", "partial", "partial", "complete"]);
  });

  it("rejects a repeated chunk as out of order", () => {
    const r = start();
    const chunks = [...snapshotChunks(bytes(30), meta("s1"), 10)];
    r.accept(chunks[0]);
    r.accept(chunks[1]);
    const repeat = r.accept(chunks[1]);
    expect(repeat.status === "rejected" && repeat.reason).toBe("gap");
  });

  it("rejects a corrupted chunk by its CRC", () => {
    const r = start();
    const chunks = [...snapshotChunks(bytes(30), meta("s1"), 10)];
    const flipped = new Uint8Array(chunks[1].data);
    flipped[3] ^= 0x10;
    const results = [r.accept(chunks[0]), r.accept({ ...chunks[1], data: flipped }), r.accept(chunks[2])];
    const last = results[2];
    expect(last.status === "rejected" && last.reason).toBe("crc");
    expect(last.status === "rejected" && last.message).toContain("CRC-32");
    expect(r.inProgress).toBe(0);
    expect(tempFiles()).toEqual([]);
  });

  it("rejects a wrong announced CRC", () => {
    const chunks = [...snapshotChunks(bytes(5), meta("s1"))];
    const result = start().accept({ ...chunks[0], crc32: ((chunks[0].crc32 ?? 0) + 1) >>> 0 });
    expect(result.status === "rejected" && result.reason).toBe("crc");
  });

  it("rejects size mismatches: a changed total, an overrun and a short last chunk", () => {
    const r = start();
    const chunks = [...snapshotChunks(bytes(30), meta("s1"), 10)];
    r.accept(chunks[0]);
    const changed = r.accept({ ...chunks[1], totalBytes: 31 });
    expect(changed.status === "rejected" && changed.reason).toBe("mismatch");
    r.accept(chunks[0]);
    const overrun = r.accept({ ...chunks[1], data: bytes(25) });
    expect(overrun.status === "rejected" && overrun.reason).toBe("size");
    r.accept(chunks[0]);
    const short = r.accept({ ...chunks[1], last: true, crc32: 0 });
    expect(short.status === "rejected" && short.reason).toBe("size");
    const moved = r.accept({ ...chunks[0], position: LogPosition.of(3, 101) });
    expect(moved.status).toBe("partial");
    const mismatch = r.accept({ ...chunks[1], position: LogPosition.of(3, 101), config: ClusterConfig.EMPTY });
    expect(mismatch.status === "rejected" && mismatch.reason).toBe("mismatch");
  });

  it("lets a newer snapshot id replace the transfer in progress, but not an older snapshot", () => {
    const r = start();
    const first = [...snapshotChunks(bytes(20, 1), meta("s1", 100), 10)];
    const newer = [...snapshotChunks(bytes(20, 2), meta("s2", 150), 10)];
    const older = [...snapshotChunks(bytes(20, 3), meta("s0", 50), 10)];
    expect(r.accept(first[0]).status).toBe("partial");
    expect(r.accept(newer[0]).status).toBe("partial");
    const stale = r.accept(older[0]);
    expect(stale.status === "rejected" && stale.reason).toBe("stale");
    const oldRest = r.accept(first[1]);
    expect(oldRest.status === "rejected" && oldRest.reason).toBe("gap");
    const done = r.accept(newer[1]);
    expect(done.status === "complete" && done.received.snapshotId).toBe("s2");
    expect(tempFiles()).toEqual([]);
  });

  it("refuses snapshots over the size limit and transfers over the concurrency limit", () => {
    const r = start({ maxBytes: 100, maxTransfers: 1 });
    const big = r.accept([...snapshotChunks(bytes(101), meta("big"))][0]);
    expect(big.status === "rejected" && big.reason).toBe("too_large");
    expect(r.accept([...snapshotChunks(bytes(20), meta("s1"), 10)][0]).status).toBe("partial");
    const busy = r.accept([...snapshotChunks(bytes(20), meta("s2", 100, other), 10)][0]);
    expect(busy.status === "rejected" && busy.reason).toBe("busy");
  });

  it("abort() and close() delete the partial files", () => {
    const r = start();
    r.accept([...snapshotChunks(bytes(20), meta("s1"), 10)][0]);
    r.accept([...snapshotChunks(bytes(20), meta("s2", 100, other), 10)][0]);
    expect(tempFiles().length).toBe(2);
    r.abort(leader);
    expect(tempFiles().length).toBe(1);
    r.close();
    expect(readdirSync(base)).toEqual([]);
  });
});
