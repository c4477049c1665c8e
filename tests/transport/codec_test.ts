import { describe, expect, it } from "bun:test";
import type { z } from "zod";
import {
  type AppendEntriesCall,
  type AppendEntriesReply,
  ClusterConfig,
  Generation,
  LogEntries,
  LogEntry,
  LogIndex,
  LogPosition,
  type Message,
  NodeId,
  type RequestVoteCall,
  type RequestVoteReply,
  Term,
  type TimeoutNow,
} from "../../packages/core/src/mod.ts";
import {
  type AppendEntriesCallFrameSchema,
  type AppendEntriesReplyFrameSchema,
  PeerFrameSchema,
  type RequestVoteCallFrameSchema,
  type RequestVoteReplyFrameSchema,
  type TimeoutNowFrameSchema,
} from "../../schemas/peer_frame.ts";
import {
  DEFAULT_MAX_FRAME_BYTES,
  decodeFrame,
  encodeError,
  encodeMessage,
  encodeSnapshotChunk,
  frameToMessage,
  frameToSnapshotChunk,
  isMessageFrame,
  messageToFrame,
  type PeerErrorCode,
  type SnapshotChunk,
} from "../../src/transport/codec.ts";

// Compile-time check: each message frame has exactly the core message's fields plus `v`.
type FrameKeys<S extends z.ZodType> = Exclude<keyof z.infer<S>, "v">;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const fieldsMatch: [
  Same<FrameKeys<typeof RequestVoteCallFrameSchema>, keyof RequestVoteCall>,
  Same<FrameKeys<typeof RequestVoteReplyFrameSchema>, keyof RequestVoteReply>,
  Same<FrameKeys<typeof AppendEntriesCallFrameSchema>, keyof AppendEntriesCall>,
  Same<FrameKeys<typeof AppendEntriesReplyFrameSchema>, keyof AppendEntriesReply>,
  Same<FrameKeys<typeof TimeoutNowFrameSchema>, keyof TimeoutNow>,
] = [true, true, true, true, true];

const a = NodeId.of("node-a");
const config = new ClusterConfig({
  voters: [NodeId.of("node-a"), NodeId.of("node-b")],
  newVoters: [NodeId.of("node-c")],
  nonVoters: [NodeId.of("learner.1")],
});

function entries(): LogEntries {
  return LogEntries.from(LogPosition.of(3, 10), [
    LogEntry.term(Term.of(4)),
    LogEntry.config(config),
    LogEntry.command('a string payload, with "quotes", emoji \u{1F600} and a lone surrogate \ud800'),
    LogEntry.command(new Uint8Array([0, 1, 2, 254, 255])),
    LogEntry.command(new Uint8Array(0)),
    LogEntry.command(""),
    LogEntry.term(Term.of(6)),
  ]);
}

const messages: Message[] = [
  { type: "RequestVoteCall", from: a, term: Term.of(7), lastPosition: LogPosition.of(6, 17) },
  { type: "RequestVoteReply", from: a, term: Term.of(7), voteGranted: true },
  { type: "RequestVoteReply", from: a, term: Term.MAX, voteGranted: false },
  { type: "AppendEntriesCall", from: a, term: Term.of(6), commitIndex: LogIndex.of(12), entries: entries(), seq: 42 },
  {
    type: "AppendEntriesCall",
    from: a,
    term: Term.of(6),
    commitIndex: LogIndex.ZERO,
    entries: new LogEntries(LogPosition.ZERO),
    seq: 0,
  },
  {
    type: "AppendEntriesReply",
    from: a,
    term: Term.of(6),
    generation: Generation.of(3),
    lastPosition: LogPosition.of(Term.MAX, 2 ** 52),
    rejected: true,
    seq: 41,
  },
  {
    type: "AppendEntriesReply",
    from: a,
    term: Term.of(2),
    generation: Generation.of(1),
    lastPosition: LogPosition.of(2, 7),
    rejected: true,
    refused: true,
    seq: 9,
  },
  { type: "RequestVoteCall", from: a, term: Term.of(8), lastPosition: LogPosition.of(6, 17), preVote: true },
  { type: "RequestVoteCall", from: a, term: Term.of(8), lastPosition: LogPosition.of(6, 17), transfer: true },
  { type: "RequestVoteReply", from: a, term: Term.of(8), voteGranted: true, preVote: true },
  { type: "TimeoutNow", from: a, term: Term.of(7) },
];

function decodeOk(text: string) {
  const result = decodeFrame(text);
  if (!result.ok) throw new Error(`expected a valid frame, got ${result.error.code}: ${result.error.message}`);
  return result.frame;
}

function roundTrip(message: Message): Message {
  const frame = decodeOk(encodeMessage(message));
  if (!isMessageFrame(frame)) throw new Error("expected a message frame");
  return frameToMessage(frame);
}

describe("codec", () => {
  it("the frame schemas have exactly the fields of the core messages", () => {
    expect(fieldsMatch).toEqual([true, true, true, true, true]);
  });

  for (const message of messages) {
    it(`encodeMessage() and decodeFrame() round-trip a ${message.type} exactly`, () => {
      const back = roundTrip(message);
      if (message.type === "AppendEntriesCall" && back.type === "AppendEntriesCall") {
        expect(back.entries.equals(message.entries)).toBe(true);
        expect(back.entries.lastPosition).toEqual(message.entries.lastPosition);
        expect({ ...back, entries: null }).toEqual({ ...message, entries: null });
      } else {
        expect(back).toEqual(message);
      }
    });
  }

  it("keeps every payload kind: strings stay strings, bytes stay plain Uint8Arrays", () => {
    const back = roundTrip(messages[3]);
    if (back.type !== "AppendEntriesCall") throw new Error("expected an AppendEntriesCall");
    const items = back.entries.toArray();
    const originals = entries().toArray();
    expect(items.map((e) => e.kind)).toEqual(["term", "config", "command", "command", "command", "command", "term"]);
    for (let k = 0; k < items.length; k++) {
      const item = items[k];
      const original = originals[k];
      if (item.kind !== "command" || original.kind !== "command") continue;
      expect(typeof item.data).toBe(typeof original.data);
      if (typeof original.data === "string") expect(item.data).toBe(original.data);
      else {
        expect(Object.getPrototypeOf(item.data)).toBe(Uint8Array.prototype);
        expect(Array.from(item.data as Uint8Array)).toEqual(Array.from(original.data));
      }
    }
    const configEntry = items[1];
    expect(configEntry.kind === "config" && configEntry.config.equals(config)).toBe(true);
    expect(back.entries.lastConfig()?.equals(config)).toBe(true);
  });

  it("messageToFrame() writes entries as { prev, items } with data or b64 payloads", () => {
    const frame = messageToFrame(messages[3]);
    if (frame.type !== "AppendEntriesCall") throw new Error("expected an AppendEntriesCall frame");
    expect(frame.v).toBe(1);
    expect(frame.entries.prev).toEqual({ term: 3, index: 10 });
    expect(frame.entries.items[0]).toEqual({ kind: "term", term: 4 });
    expect(frame.entries.items[1]).toEqual({
      kind: "config",
      voters: ["node-a", "node-b"],
      newVoters: ["node-c"],
      nonVoters: ["learner.1"],
      addresses: {},
    });
    expect(frame.entries.items[3]).toEqual({ kind: "command", b64: "AAEC/v8=" });
    expect(frame.entries.items[5]).toEqual({ kind: "command", data: "" });
  });

  it("round-trips a snapshot chunk with and without its CRC", () => {
    const chunk: SnapshotChunk = {
      from: a,
      snapshotId: "node-a.6.17.1",
      position: LogPosition.of(6, 17),
      config,
      offset: 0,
      totalBytes: 3,
      data: new Uint8Array([7, 8, 9]),
      last: true,
      crc32: 0xdeadbeef,
    };
    for (const c of [chunk, { ...chunk, last: false, crc32: undefined }]) {
      const frame = decodeOk(encodeSnapshotChunk(c));
      if (frame.type !== "SnapshotChunk") throw new Error("expected a SnapshotChunk frame");
      const back = frameToSnapshotChunk(frame);
      expect(back.config.equals(config)).toBe(true);
      expect(Array.from(back.data)).toEqual([7, 8, 9]);
      expect({ ...back, config: null, data: null }).toEqual({
        ...c,
        config: null,
        data: null,
        ...(c.crc32 === undefined ? { crc32: undefined } : {}),
      });
      expect("crc32" in back).toBe(c.crc32 !== undefined);
    }
  });

  it("decodeFrame() accepts Error frames and encodeError() writes them", () => {
    const frame = decodeOk(encodeError({ code: "invalid_frame", message: "Cannot accept frame: no" }));
    expect(frame).toEqual({ v: 1, type: "Error", code: "invalid_frame", message: "Cannot accept frame: no" });
    expect(isMessageFrame(frame)).toBe(false);
  });
});

const valid = JSON.parse(encodeMessage(messages[3])) as Record<string, unknown>;
const validVote = JSON.parse(encodeMessage(messages[0])) as Record<string, unknown>;

function withEntries(items: unknown[], prev: unknown = { term: 3, index: 10 }): string {
  return JSON.stringify({ ...valid, entries: { prev, items } });
}

const invalid: Array<[string, string, PeerErrorCode]> = [
  ["bad JSON", '{"v":1,"type":', "invalid_json"],
  ["an empty frame", "", "invalid_json"],
  ["a JSON number", "42", "invalid_frame"],
  ["JSON null", "null", "invalid_frame"],
  ["a JSON array", "[1,2]", "invalid_frame"],
  ["an unknown type", JSON.stringify({ ...validVote, type: "InstallSnapshot" }), "invalid_frame"],
  ["no type", JSON.stringify({ ...validVote, type: undefined }), "invalid_frame"],
  ["a negative term", JSON.stringify({ ...validVote, term: -1 }), "invalid_frame"],
  ["a fractional term", JSON.stringify({ ...validVote, term: 1.5 }), "invalid_frame"],
  [
    "an unsafe integer index",
    JSON.stringify({ ...validVote, lastPosition: { term: 1, index: 2 ** 53 } }),
    "invalid_frame",
  ],
  ["a string term", JSON.stringify({ ...validVote, term: "7" }), "invalid_frame"],
  ["a missing field", JSON.stringify({ ...validVote, lastPosition: undefined }), "invalid_frame"],
  ["a missing version", JSON.stringify({ ...validVote, v: undefined }), "invalid_frame"],
  ["a newer version", JSON.stringify({ ...validVote, v: 2 }), "unsupported_version"],
  ["a string version", JSON.stringify({ ...validVote, v: "1" }), "unsupported_version"],
  ["an empty node id", JSON.stringify({ ...validVote, from: "" }), "invalid_frame"],
  ["a node id with a slash", JSON.stringify({ ...validVote, from: "../etc" }), "invalid_frame"],
  ["a 65-character node id", JSON.stringify({ ...validVote, from: "n".repeat(65) }), "invalid_frame"],
  ["an unknown entry kind", withEntries([{ kind: "noop" }]), "invalid_frame"],
  ["a command with both payloads", withEntries([{ kind: "command", data: "x", b64: "eA==" }]), "invalid_frame"],
  ["a command with no payload", withEntries([{ kind: "command" }]), "invalid_frame"],
  ["a command with bad base64", withEntries([{ kind: "command", b64: "not base64!" }]), "invalid_frame"],
  ["a command with a numeric payload", withEntries([{ kind: "command", data: 5 }]), "invalid_frame"],
  ["a term entry below prev", withEntries([{ kind: "term", term: 2 }]), "invalid_frame"],
  [
    "term entries going down",
    withEntries([
      { kind: "term", term: 5 },
      { kind: "term", term: 4 },
    ]),
    "invalid_frame",
  ],
  [
    "a bad config entry",
    withEntries([{ kind: "config", voters: [""], newVoters: [], nonVoters: [] }]),
    "invalid_frame",
  ],
  ["a last chunk without CRC", snapshotFrame({ last: true, crc32: undefined }), "invalid_frame"],
  ["a chunk with a negative offset", snapshotFrame({ offset: -1 }), "invalid_frame"],
  ["a chunk with a bad snapshot id", snapshotFrame({ snapshotId: "a/b" }), "invalid_frame"],
  ["a chunk with a CRC above 32 bits", snapshotFrame({ crc32: 2 ** 32 }), "invalid_frame"],
  ["an Error frame without code", JSON.stringify({ v: 1, type: "Error", message: "x" }), "invalid_frame"],
];

function snapshotFrame(change: Record<string, unknown>): string {
  const base = {
    v: 1,
    type: "SnapshotChunk",
    from: "node-a",
    snapshotId: "s1",
    position: { term: 1, index: 5 },
    config: { voters: ["node-a"], newVoters: [], nonVoters: [] },
    offset: 0,
    totalBytes: 1,
    data: "AA==",
    last: true,
    crc32: 1,
  };
  return JSON.stringify({ ...base, ...change });
}

describe("decodeFrame() refusals", () => {
  it("the snapshot frame used below is valid as written", () => {
    expect(decodeFrame(snapshotFrame({})).ok).toBe(true);
    expect(decodeFrame(withEntries([{ kind: "term", term: 3 }])).ok).toBe(true);
  });

  for (const [what, text, code] of invalid) {
    it(`refuses ${what} with ${code} and does not throw`, () => {
      const result = decodeFrame(text);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error.code).toBe(code);
      expect(result.error.message.length).toBeGreaterThan(10);
      expect(result.error.message.length).toBeLessThanOrEqual(1000);
      // The refusal itself must be a valid Error frame.
      expect(PeerFrameSchema.safeParse(JSON.parse(encodeError(result.error))).success).toBe(true);
    });
  }

  it("refuses an oversized frame before parsing it", () => {
    const big = withEntries([{ kind: "command", data: "x".repeat(2000) }]);
    const result = decodeFrame(big, 1000);
    expect(result.ok ? "accepted" : result.error.code).toBe("frame_too_large");
    expect(decodeFrame(big).ok).toBe(true);
  });

  it("counts UTF-8 bytes, not characters, against the limit", () => {
    const text = withEntries([{ kind: "command", data: "\u00e9".repeat(600) }]);
    expect(text.length).toBeLessThan(1000);
    const result = decodeFrame(text, 1000);
    expect(result.ok ? "accepted" : result.error.code).toBe("frame_too_large");
  });

  it("refuses deeply nested JSON without throwing", () => {
    const text = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    const result = decodeFrame(text);
    expect(result.ok).toBe(false);
  });

  it("has an 8 MiB default limit", () => {
    expect(DEFAULT_MAX_FRAME_BYTES).toBe(8 * 1024 * 1024);
  });
});
