/**
 * Arbitraries of peer frames for the peer endpoint's property and fuzz tests: frames of every
 * type with terms and indexes from valid to bogus (negative, fractional, past the highest term or
 * a safe integer), frames that are not JSON, of another protocol version, binary and not UTF-8,
 * binary AppendEntriesCall frames (valid, truncated or with a byte changed), and the reason the
 * endpoint must refuse each with (by the wire schema, the protocol's spec).
 */
import fc from "fast-check";
import { Term } from "../../packages/core/src/mod.ts";
import { PEER_PROTOCOL_VERSION, PeerFrameSchema } from "../../schemas/peer_frame.ts";
import { decodeBinaryAppend, encodeBinaryAppend, isBinaryFrame } from "../../src/transport/binary_append.ts";
import { DEFAULT_MAX_FRAME_BYTES, frameToMessage, isMessageFrame } from "../../src/transport/codec.ts";
import type { PeerRejectReason } from "../../src/transport/peer_endpoint.ts";

/** Terms from small to the highest a node may hold, and past it. */
export const termArb = fc.oneof(
  fc.integer({ min: 0, max: 12 }),
  fc.constantFrom(Term.MAX, Number.MAX_SAFE_INTEGER, 2 ** 53 - 1, 1001, -1, 1.5),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
);
const indexArb = fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));
const positionArb = fc.record({ term: termArb, index: indexArb });

/** A configuration whose members come from `ids`. */
function configArb(ids: readonly string[]) {
  const list = fc.subarray([...ids]);
  return fc.record({ voters: list, newVoters: list, nonVoters: list });
}

function itemArb(ids: readonly string[]) {
  return fc.oneof(
    fc.record({ kind: fc.constant("term"), term: termArb }),
    configArb(ids).map((c) => ({ kind: "config", ...c })),
    fc.record({ kind: fc.constant("command"), data: fc.string({ maxLength: 40 }) }),
    fc.record({ kind: fc.constant("command"), b64: fc.base64String({ maxLength: 40 }) }),
  );
}

/** Frame objects of every type from `from`; configurations name only `ids`. */
export function frameObjectArb(from: string, ids: readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  const common = { v: fc.constant(1), from: fc.constant(from), term: termArb };
  const entries = fc.record({ prev: positionArb, items: fc.array(itemArb(ids), { maxLength: 5 }) });
  return fc.oneof(
    fc.record({ ...common, type: fc.constant("RequestVoteCall"), lastPosition: positionArb }),
    fc.record({ ...common, type: fc.constant("RequestVoteReply"), voteGranted: fc.boolean() }),
    fc.record({ ...common, type: fc.constant("TimeoutNow") }),
    fc.record({ ...common, type: fc.constant("AppendEntriesCall"), commitIndex: indexArb, entries, seq: indexArb }),
    fc.record({
      ...common,
      type: fc.constant("AppendEntriesReply"),
      generation: indexArb,
      lastPosition: positionArb,
      rejected: fc.boolean(),
      refused: fc.boolean(),
      seq: indexArb,
    }),
    fc.record({
      v: fc.constant(1),
      type: fc.constant("SnapshotChunk"),
      from: fc.constant(from),
      snapshotId: fc.constantFrom("s1", "s2"),
      position: positionArb,
      config: configArb(ids),
      offset: fc.constant(0),
      totalBytes: fc.integer({ min: 0, max: 64 }),
      data: fc.base64String({ maxLength: 64 }),
      last: fc.boolean(),
      crc32: fc.integer({ min: 0, max: 0xffffffff }),
    }),
    fc.record({ v: fc.constant(1), type: fc.constant("Error"), code: fc.string(), message: fc.string() }),
  );
}

/** Frame texts from `from`: mostly frames of every type, some any JSON, some not JSON. */
export function frameArb(from: string, ids: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 8, arbitrary: frameObjectArb(from, ids).map((f) => JSON.stringify(f)) },
    { weight: 1, arbitrary: fc.jsonValue().map((j) => JSON.stringify(j)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
  );
}

/** Ids that are not members of {n1, n2} (an outsider). */
export const outsiderArb = fc
  .stringMatching(/^[a-z][a-z0-9._-]{0,10}$/)
  .filter((id) => !["n1", "n2", "n3", "x"].includes(id));

// ---------------------------------------------------------------------------- hostile frames

/** What a frame is sent as, and what the endpoint must do with it. */
export interface HostileFrame {
  /** Text frames as strings, binary frames as bytes. */
  readonly data: string | Uint8Array;
  /** The refusal's reason, or null when the endpoint hands it on (or drops it, for an Error frame). */
  readonly reason: PeerRejectReason | null;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/**
 * The endpoint's verdict on a frame from the dialer `id`, by the protocol: too large, not JSON
 * (or binary that is not UTF-8), another version, refused by the wire schema, an Error frame
 * (never answered), another sender than the handshake's; else handed on.
 */
export function expectedReason(data: string | Uint8Array, id: string): PeerRejectReason | null {
  const size = typeof data === "string" ? encoder.encode(data).length : data.length;
  if (size > DEFAULT_MAX_FRAME_BYTES) return "frame_too_large";
  if (typeof data !== "string" && isBinaryFrame(data)) {
    // A binary frame: its own decoder's verdict (its unit tests pin the layout down), then the sender.
    const decoded = decodeBinaryAppend(data, DEFAULT_MAX_FRAME_BYTES);
    if (!decoded.ok) return decoded.error.code;
    return decoded.from === id ? null : "sender_mismatch";
  }
  let text: string;
  try {
    text = typeof data === "string" ? data : utf8.decode(data);
  } catch {
    return "invalid_json";
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return "invalid_json";
  }
  if (typeof json === "object" && json !== null && "v" in json && json.v !== PEER_PROTOCOL_VERSION) {
    return "unsupported_version";
  }
  const parsed = PeerFrameSchema.safeParse(json);
  if (!parsed.success) return "invalid_frame";
  if (parsed.data.type === "Error") return null;
  return parsed.data.from === id ? null : "sender_mismatch";
}

/** Values no field of a frame takes: out of range, fractional, of the wrong type. */
const BOGUS = [-1, 1.5, Term.MAX + 1, 2 ** 53, 1e300, "1", null, [], {}, true];
const BOGUS_FIELDS = [
  "term",
  "from",
  "type",
  "v",
  "commitIndex",
  "seq",
  "generation",
  "lastPosition",
  "entries",
  "voteGranted",
];

/** A frame object with one field bogus or missing (most fields: a refused frame). */
function bogusArb(from: string, ids: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(frameObjectArb(from, ids), fc.constantFrom(...BOGUS_FIELDS), fc.option(fc.constantFrom(...BOGUS)))
    .map(([frame, field, value]) => {
      const out: Record<string, unknown> = { ...frame };
      if (value === null) delete out[field];
      else out[field] = value;
      return JSON.stringify(out);
    });
}

/** Bytes that are never UTF-8, inside otherwise plausible frame text. */
const notUtf8Arb = fc
  .tuple(frameObjectArb("n2", ["n1", "n2"]), fc.nat(), fc.constantFrom([0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80]))
  .map(([frame, at, bad]) => {
    const bytes = encoder.encode(JSON.stringify(frame));
    const i = at % (bytes.length + 1);
    return new Uint8Array([...bytes.subarray(0, i), ...bad, ...bytes.subarray(i)]);
  });

/**
 * Binary AppendEntriesCall frames from `from`: the binary form of a valid call with entries, as
 * it is, cut short, or with one byte changed.
 */
function binaryAppendArb(from: string, ids: readonly string[]): fc.Arbitrary<Uint8Array> {
  const valid = frameObjectArb(from, ids)
    .map((object) => {
      const parsed = PeerFrameSchema.safeParse(object);
      if (!parsed.success || !isMessageFrame(parsed.data)) return null;
      const message = frameToMessage(parsed.data);
      return message.type === "AppendEntriesCall" && message.entries.length > 0 ? encodeBinaryAppend(message) : null;
    })
    .filter((bytes): bytes is Uint8Array => bytes !== null);
  return fc
    .tuple(valid, fc.nat(), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 255 }))
    .map(([bytes, at, how, flip]) => {
      if (how === 0) return bytes;
      if (how === 1) return bytes.slice(0, at % bytes.length);
      const changed = bytes.slice();
      changed[at % bytes.length] ^= flip;
      return changed;
    });
}

/** A text frame one byte over the limit (the size is judged before anything else). */
const OVERSIZED = "x".repeat(DEFAULT_MAX_FRAME_BYTES + 1);

/**
 * Hostile frames on a connection whose handshake said `id`: not JSON, binary (UTF-8 or not),
 * another version, bogus fields, another sender, oversized (one in about 200: 8 MiB each), and, where
 * `includeHandedOn`, frames the endpoint hands on (valid-shaped frames with any term).
 */
export function hostileFrameArb(
  id: string,
  ids: readonly string[],
  includeHandedOn: boolean,
): fc.Arbitrary<HostileFrame> {
  const texts = fc.oneof(
    { weight: 3, arbitrary: frameArb(id, ids) },
    { weight: 3, arbitrary: bogusArb(id, ids) },
    { weight: 2, arbitrary: frameObjectArb("n3", ids).map((f) => JSON.stringify(f)) }, // Another sender.
    {
      weight: 1,
      arbitrary: fc
        .tuple(frameObjectArb(id, ids), fc.constantFrom(0, 2, "1", null, 1.01))
        .map(([f, v]) => JSON.stringify({ ...f, v })),
    },
    { weight: 1, arbitrary: fc.constantFrom("", "{", "null", "[]", "\u0000", "{}}") },
  );
  const frames = fc.oneof(
    { weight: 120, arbitrary: texts },
    { weight: 30, arbitrary: texts.map((t) => encoder.encode(t)) }, // The same as binary frames.
    { weight: 20, arbitrary: notUtf8Arb },
    { weight: 20, arbitrary: fc.uint8Array({ maxLength: 64 }) },
    { weight: 20, arbitrary: binaryAppendArb(id, ids) },
    { weight: 5, arbitrary: binaryAppendArb("n3", ids) }, // Another sender.
    { weight: 1, arbitrary: fc.constant(OVERSIZED) },
  );
  return frames
    .map((data) => ({ data, reason: expectedReason(data, id) }))
    .filter((f) => includeHandedOn || f.reason !== null || isErrorFrame(f.data));
}

/** True for a valid Error frame (the endpoint drops it without an answer). */
function isErrorFrame(data: string | Uint8Array): boolean {
  try {
    const text = typeof data === "string" ? data : utf8.decode(data);
    const parsed = PeerFrameSchema.safeParse(JSON.parse(text));
    return parsed.success && parsed.data.type === "Error";
  } catch {
    return false;
  }
}
