import { describe, expect, it } from "bun:test";
import {
  type AppendEntriesCall,
  ClusterConfig,
  LogEntries,
  LogEntry,
  LogIndex,
  LogPosition,
  type Message,
  NodeId,
  Term,
} from "../../packages/core/src/mod.ts";
import {
  BINARY_APPEND_MAGIC,
  decodeBinaryAppend,
  encodeBinaryAppend,
  isBinaryFrame,
} from "../../src/transport/binary_append.ts";
import { decodeFrame, encodeMessage, encodeWire, frameToMessage, isMessageFrame } from "../../src/transport/codec.ts";

const a = NodeId.of("node-a");
const config = new ClusterConfig({
  voters: [NodeId.of("node-a"), NodeId.of("node-b")],
  newVoters: [NodeId.of("node-c")],
  nonVoters: [NodeId.of("learner.1")],
  addresses: { "node-a": "http://127.0.0.1:7001" },
});
const MAX = 8 * 1024 * 1024;

function call(items: LogEntry[], prev = LogPosition.of(3, 10)): AppendEntriesCall {
  return {
    type: "AppendEntriesCall",
    from: a,
    term: Term.of(6),
    commitIndex: LogIndex.of(12),
    entries: LogEntries.from(prev, items),
    seq: 42,
  };
}

const mixed = call([
  LogEntry.term(Term.of(4)),
  LogEntry.config(config),
  LogEntry.command('{"op":"put","key":"k","value":"v \\"quoted\\""}'),
  LogEntry.command("non-ASCII: é, ß, 日本, emoji \u{1F600}"),
  LogEntry.command("a lone surrogate \ud800 and a trailing one \udfff"),
  LogEntry.command(new Uint8Array([0, 1, 2, 254, 255])),
  LogEntry.command(new Uint8Array(0)),
  LogEntry.command(""),
  LogEntry.term(Term.of(6)),
]);

function decodeOk(bytes: Uint8Array): Message {
  const result = decodeBinaryAppend(bytes, MAX);
  if (!result.ok) throw new Error(`expected a valid frame, got ${result.error.code}: ${result.error.message}`);
  expect(result.from).toBe("node-a");
  return result.message;
}

/** The same call through the JSON codec, for comparison. */
function viaJson(message: Message): Message {
  const decoded = decodeFrame(encodeMessage(message));
  if (!decoded.ok || !isMessageFrame(decoded.frame)) throw new Error("the JSON codec refused the call");
  return frameToMessage(decoded.frame);
}

function expectSameCall(got: Message, want: AppendEntriesCall): void {
  if (got.type !== "AppendEntriesCall") throw new Error(`expected an AppendEntriesCall, got ${got.type}`);
  expect({ ...got, entries: null }).toEqual({ ...want, entries: null });
  expect(got.entries.prevPosition).toEqual(want.entries.prevPosition);
  expect(got.entries.equals(want.entries)).toBe(true);
}

/** Replaces the frame's header with `header` (a JSON value). */
function withHeader(bytes: Uint8Array, header: unknown): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const oldLength = view.getUint32(2, true);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(6 + json.length + bytes.length - 6 - oldLength);
  out.set(bytes.subarray(0, 6));
  new DataView(out.buffer).setUint32(2, json.length, true);
  out.set(json, 6);
  out.set(bytes.subarray(6 + oldLength), 6 + json.length);
  return out;
}

function headerOf(bytes: Uint8Array): Record<string, unknown> {
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(2, true);
  return JSON.parse(new TextDecoder().decode(bytes.subarray(6, 6 + length)));
}

function refusal(bytes: Uint8Array, maxBytes = MAX): { code: string; message: string } {
  const result = decodeBinaryAppend(bytes, maxBytes);
  if (result.ok) throw new Error("expected a refusal");
  return result.error;
}

describe("binary AppendEntriesCall frames", () => {
  it("round-trip every kind of entry exactly, as the JSON codec does", () => {
    const bytes = encodeBinaryAppend(mixed);
    expect(bytes[0]).toBe(BINARY_APPEND_MAGIC);
    expect(isBinaryFrame(bytes)).toBe(true);
    const got = decodeOk(bytes);
    expectSameCall(got, mixed);
    expectSameCall(viaJson(mixed), mixed);
    if (got.type !== "AppendEntriesCall") throw new Error("unreachable");
    const payloads = got.entries.toArray().map((e) => (e.kind === "command" ? e.data : e.kind));
    expect(payloads[4]).toBe("a lone surrogate \ud800 and a trailing one \udfff");
    expect(payloads[5]).toEqual(new Uint8Array([0, 1, 2, 254, 255]));
  });

  it("are what the transport sends for calls with entries; heartbeats stay JSON", () => {
    expect(encodeWire(mixed)).toBeInstanceOf(Uint8Array);
    const heartbeat = call([], LogPosition.of(6, 20));
    expect(typeof encodeWire(heartbeat)).toBe("string");
    expect(encodeWire(heartbeat)).toBe(encodeMessage(heartbeat));
  });

  it("hand back byte payloads as copies, not views of the frame", () => {
    const bytes = encodeBinaryAppend(call([LogEntry.command(new Uint8Array([7, 7, 7]))]));
    const got = decodeOk(bytes);
    bytes.fill(0);
    if (got.type !== "AppendEntriesCall") throw new Error("unreachable");
    expect(got.entries.getEntry(11)).toEqual(LogEntry.command(new Uint8Array([7, 7, 7])));
  });

  it("refuse every truncation of a valid frame, and trailing bytes", () => {
    const bytes = encodeBinaryAppend(mixed);
    for (let n = 0; n < bytes.length; n++) {
      const result = decodeBinaryAppend(bytes.subarray(0, n), MAX);
      expect(result.ok).toBe(false);
    }
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect(refusal(longer).message).toContain("1 bytes follow its last entry");
  });

  it("never throw on corrupted bytes (every single-byte change is either refused or decodes)", () => {
    const bytes = encodeBinaryAppend(mixed);
    let refused = 0;
    for (let i = 0; i < bytes.length; i++) {
      for (const flip of [0x01, 0x80, 0xff]) {
        const copy = bytes.slice();
        copy[i] ^= flip;
        const result = decodeBinaryAppend(copy, MAX);
        if (!result.ok) {
          refused += 1;
          expect(["invalid_frame", "invalid_json", "unsupported_version"]).toContain(result.error.code);
        }
      }
    }
    expect(refused).toBeGreaterThan(bytes.length);
  });

  it("refuse a header the schema refuses, or one that names a count the entries do not match", () => {
    const bytes = encodeBinaryAppend(mixed);
    const header = headerOf(bytes);
    expect(refusal(withHeader(bytes, { ...header, from: "bad id!" })).message).toContain("header from");
    expect(refusal(withHeader(bytes, { ...header, term: -1 })).message).toContain("header term");
    expect(refusal(withHeader(bytes, { ...header, v: 2 })).code).toBe("invalid_frame");
    expect(refusal(withHeader(bytes, { ...header, count: 8 })).message).toContain("bytes follow its last entry");
    expect(refusal(withHeader(bytes, { ...header, count: 10 })).message).toContain("entry 9");
    expect(refusal(withHeader(bytes, { ...header, prev: { term: 1, index: 2 ** 53 - 2 } })).message).toContain(
      "not a safe integer",
    );
    expect(refusal(withHeader(bytes, "not an object")).code).toBe("invalid_frame");
  });

  it("refuse a term entry that lowers the term, unknown kinds, bad UTF-8 and bad configurations", () => {
    const lower = encodeBinaryAppend(call([LogEntry.term(Term.of(4))], LogPosition.of(3, 10)));
    new DataView(lower.buffer, lower.byteOffset).setFloat64(lower.length - 8, 2, true);
    expect(refusal(lower).message).toContain("may not lower the term (2 < 3)");
    const one = encodeBinaryAppend(call([LogEntry.command("ab")]));
    const at = one.length - 7; // kind byte of the only entry
    const unknown = one.slice();
    unknown[at] = 9;
    expect(refusal(unknown).message).toContain("kind 9 is unknown");
    const badUtf8 = one.slice();
    badUtf8[one.length - 1] = 0xff;
    expect(refusal(badUtf8).message).toContain("not valid UTF-8");
    const asConfig = one.slice();
    asConfig[at] = 1;
    expect(refusal(asConfig).message).toContain("configuration");
    const asTerm = one.slice();
    asTerm[at] = 0;
    expect(refusal(asTerm).message).toContain("holds 8 bytes, not 2");
  });

  it("refuse other layout versions and frames over the limit", () => {
    const bytes = encodeBinaryAppend(mixed);
    const other = bytes.slice();
    other[1] = 2;
    expect(refusal(other).code).toBe("unsupported_version");
    expect(refusal(bytes, bytes.length - 1).code).toBe("frame_too_large");
    expect(decodeBinaryAppend(bytes, bytes.length).ok).toBe(true);
  });
});
