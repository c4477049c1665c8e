import { describe, expect, it } from "bun:test";
import { ClusterConfig, LogEntry, LogPosition, NodeId, RaftInvariantError, Term } from "../../packages/core/src/mod.ts";
import { StorageError } from "../../src/storage/mod.ts";
import {
  checkFrame,
  type DecodedRecord,
  decodeBody,
  FRAME_HEADER_BYTES,
  FrameError,
  RecordWriter,
} from "../../src/storage/record_codec.ts";

function decodeAll(bytes: Uint8Array): DecodedRecord[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: DecodedRecord[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const next = checkFrame(bytes, view, offset, bytes.length);
    expect(next).toBeGreaterThan(offset);
    const record = decodeBody(bytes, view, offset + FRAME_HEADER_BYTES, next);
    if (typeof record === "string") throw new Error(record);
    out.push(record);
    offset = next;
  }
  return out;
}

const joint = new ClusterConfig({
  voters: [NodeId.of("a"), NodeId.of("b")],
  newVoters: [NodeId.of("b"), NodeId.of("c")],
  nonVoters: [NodeId.of("ü-learner")],
  addresses: { a: "http://127.0.0.1:7001", c: "https://c.example:8443/raft", "ü-learner": "http://[::1]:7009" },
});

describe("record codec", () => {
  it("RecordWriter round-trips every entry kind with its payload type", () => {
    const writer = new RecordWriter(1 << 20);
    const entries: LogEntry[] = [
      LogEntry.term(Term.of(3)),
      LogEntry.config(joint),
      LogEntry.command("héllo, wörld ✓ 𝄞"),
      LogEntry.command(""),
      LogEntry.command(new Uint8Array([0, 1, 2, 255])),
      LogEntry.command(new Uint8Array(0)),
    ];
    for (const [k, entry] of entries.entries()) writer.entry(3, 10 + k, entry);
    const decoded = decodeAll(writer.bytes());
    expect(decoded.map((r) => (r.type === "entry" ? [r.term, r.index] : null))).toEqual(
      entries.map((_, k) => [3, 10 + k]),
    );
    const back = decoded.map((r) => (r.type === "entry" ? r.entry : null));
    expect<unknown>(back[0]).toEqual({ kind: "term", term: 3 });
    expect(back[1]?.kind === "config" && back[1].config.equals(joint)).toBe(true);
    expect(back[2]).toEqual({ kind: "command", data: "héllo, wörld ✓ 𝄞" });
    expect(back[3]).toEqual({ kind: "command", data: "" });
    expect(back[4]?.kind === "command" && back[4].data instanceof Uint8Array).toBe(true);
    expect(back[4]?.kind === "command" ? [...(back[4].data as Uint8Array)] : null).toEqual([0, 1, 2, 255]);
    expect(back[5]?.kind === "command" ? (back[5].data as Uint8Array).length : -1).toBe(0);
  });

  it("RecordWriter round-trips hard state, snapshot, truncate and checkpoint records", () => {
    const writer = new RecordWriter(1 << 20);
    const big = 2 ** 53 - 1;
    writer.hardState({ term: Term.of(big), votedFor: NodeId.of("node-ü") }, 7);
    writer.hardState({ term: Term.of(0), votedFor: null }, 0);
    writer.snapshot({ position: LogPosition.of(4, 99), config: joint }, true);
    writer.snapshot({ position: LogPosition.of(5, 100), config: ClusterConfig.EMPTY }, false);
    writer.truncate(LogPosition.of(2, 17));
    const snapshot = { position: LogPosition.of(1, 2), config: joint };
    writer.checkpoint({
      hardState: { term: Term.of(9), votedFor: null },
      generation: 3,
      snapshot,
      last: LogPosition.of(8, 50),
    });
    writer.checkpoint({
      hardState: { term: Term.of(9), votedFor: NodeId.of("x") },
      generation: 4,
      snapshot,
      last: LogPosition.of(9, 51),
    });
    const [h1, h2, s1, s2, t, c1, c2] = decodeAll(writer.bytes());
    expect<unknown>(h1).toEqual({ type: "hard_state", state: { term: big, votedFor: "node-ü" }, generation: 7 });
    expect<unknown>(h2).toEqual({ type: "hard_state", state: { term: 0, votedFor: null }, generation: 0 });
    expect(s1.type === "snapshot" && s1.reset && s1.meta.config.equals(joint)).toBe(true);
    expect<unknown>(s1.type === "snapshot" ? s1.meta.position : null).toEqual({ term: 4, index: 99 });
    expect(s2.type === "snapshot" && !s2.reset && s2.meta.config.equals(ClusterConfig.EMPTY)).toBe(true);
    expect<unknown>(t).toEqual({ type: "truncate", position: { term: 2, index: 17 } });
    expect<unknown>(
      c1.type === "checkpoint" ? [c1.checkpoint.hardState, c1.checkpoint.generation, c1.checkpoint.last] : null,
    ).toEqual([{ term: 9, votedFor: null }, 3, { term: 8, index: 50 }]);
    expect<unknown>(c2.type === "checkpoint" ? c2.checkpoint.hardState.votedFor : null).toBe("x");
    expect(c2.type === "checkpoint" && c2.checkpoint.snapshot.config.equals(joint)).toBe(true);
  });

  it("checkFrame() rejects every single-bit flip and every truncation of a record", () => {
    const writer = new RecordWriter(1 << 20);
    writer.entry(2, 5, LogEntry.command("payload"));
    const good = writer.bytes().slice();
    for (let i = 0; i < good.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const bad = good.slice();
        bad[i] ^= 1 << bit;
        expect(checkFrame(bad, new DataView(bad.buffer), 0, bad.length)).toBeLessThan(0);
      }
    }
    for (let cut = 0; cut < good.length; cut++) {
      expect(checkFrame(good, new DataView(good.buffer), 0, cut)).toBe(FrameError.INCOMPLETE);
    }
  });

  it("decodeBody() reads a configuration stored before addresses were stored as one without addresses", () => {
    const old = new TextEncoder().encode('{"voters":["a","b"],"newVoters":[],"nonVoters":["c"]}');
    const u64 = (n: number) => [n & 255, (n >>> 8) & 255, 0, 0, 0, 0, 0, 0];
    const b = new Uint8Array([1, 1, ...u64(1), ...u64(1), ...old]);
    const record = decodeBody(b, new DataView(b.buffer), 0, b.length);
    if (typeof record === "string" || record.type !== "entry" || record.entry.kind !== "config") {
      throw new Error(`expected a config entry, got ${JSON.stringify(record)}`);
    }
    expect<unknown>(record.entry.config.toJSON()).toEqual({
      voters: ["a", "b"],
      newVoters: [],
      nonVoters: ["c"],
      addresses: {},
    });
  });

  it("decodeBody() names the invalid field of a record whose checksum is fine", () => {
    const body = (bytes: number[]) => {
      const b = new Uint8Array(bytes);
      return decodeBody(b, new DataView(b.buffer), 0, b.length);
    };
    const u64 = (n: number) => [n & 255, (n >>> 8) & 255, 0, 0, 0, 0, 0, 0];
    expect(body([9])).toBe("unknown record type 9");
    expect(body([1, 7, ...u64(1), ...u64(1)])).toBe("unknown entry kind 7");
    expect(body([1, 0, ...u64(1), ...u64(1), 65])).toBe("a term entry has a payload");
    expect(body([1, 2, ...u64(1), ...u64(0)])).toBe("an entry record has an invalid term or index");
    expect(body([1, 3, ...u64(1), ...u64(1), 0xff, 0xfe])).toBe("a string payload is not valid UTF-8");
    expect(body([1, 1, ...u64(1), ...u64(1), 123])).toBe("a configuration is not valid JSON");
    expect(body([1, 1, ...u64(1), ...u64(1), ...new TextEncoder().encode('{"voters":[1]}')])).toBe(
      "a configuration's member lists are invalid",
    );
    const badAddresses = '{"voters":["a"],"newVoters":[],"nonVoters":[],"addresses":{"a":7}}';
    expect(body([1, 1, ...u64(1), ...u64(1), ...new TextEncoder().encode(badAddresses)])).toBe(
      "a configuration's member addresses are invalid",
    );
    expect(body([1, 2, ...u64(1)])).toBe("an entry record is too short");
    expect(body([2, ...u64(1), ...u64(0), 2])).toBe("a hard-state record has an invalid vote");
    expect(body([4, ...u64(1), ...u64(1), 0])).toBe("a truncate record has the wrong length");
    expect(body([3, 4, ...u64(1), ...u64(1), 123, 125])).toBe("a snapshot record has unknown flags");
  });

  it("RecordWriter asserts on invalid input and bounds its buffer", () => {
    const writer = new RecordWriter(256, 64);
    expect(() => writer.entry(-1, 1, LogEntry.command("x"))).toThrow(RaftInvariantError);
    expect(() => writer.entry(1, 0, LogEntry.command("x"))).toThrow(RaftInvariantError);
    expect(() => writer.entry(2, 1, LogEntry.term(Term.of(3)))).toThrow(RaftInvariantError);
    expect(() => writer.entry(1, 1, LogEntry.command(new Uint8Array(300)))).toThrow(StorageError);
    try {
      writer.entry(1, 1, LogEntry.command(new Uint8Array(300)));
    } catch (error) {
      expect((error as StorageError).code).toBe("batch_too_large");
    }
    expect(writer.length).toBe(0);
  });
});
