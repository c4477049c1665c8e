/**
 * The binary form of an AppendEntriesCall with entries, the one frame whose size grows with the
 * load. JSON would escape every command string into the frame, and the receiver would parse it
 * and check every entry object with Zod; here the entries travel as length-prefixed bytes after
 * a small JSON header that the header schema checks as strictly as the JSON frame's.
 *
 * Layout (integers little-endian):
 *
 * ```
 * u8  BINARY_APPEND_MAGIC (0xB1: a UTF-8 continuation byte, so no JSON text starts with it)
 * u8  BINARY_APPEND_VERSION
 * u32 header length H, then H bytes of UTF-8 JSON (see AppendEntriesHeaderSchema)
 * per entry: u8 kind, u32 length L, then L bytes:
 *   kind 0 term entry:     8 bytes, the term as a float64 (a safe integer)
 *   kind 1 config entry:   UTF-8 JSON of a configuration (ClusterConfigSchema)
 *   kind 2 string command: the UTF-8 bytes of the string (must be valid UTF-8)
 *   kind 3 bytes command:  the bytes
 *   kind 4 string command that is not well-formed UTF-16 (a lone surrogate, which UTF-8 cannot
 *          carry): the UTF-8 JSON of the string, escapes and all
 * ```
 *
 * Decoding never throws: a frame that is truncated, carries trailing bytes, more or fewer entries
 * than its header says, an unknown kind, a term entry that lowers the term, or anything the
 * schemas refuse yields a {@link PeerError}, as a refused JSON frame does.
 */
import {
  ClusterConfig,
  LogEntries,
  LogEntry,
  LogIndex,
  LogPosition,
  type Message,
  NodeId,
  Term,
} from "../../packages/core/src/mod.ts";
import { AppendEntriesHeaderSchema, ClusterConfigSchema, PEER_PROTOCOL_VERSION } from "../../schemas/peer_frame.ts";
import { bufferView, utf8Bytes, utf8Into } from "../text/utf8.ts";
import type { PeerError } from "./peer_error.ts";

/** The first byte of every binary frame. */
export const BINARY_APPEND_MAGIC = 0xb1;
/** The binary layout's version (the second byte). */
export const BINARY_APPEND_VERSION = 1;

/** Entry kinds in the binary layout. */
const KIND_TERM = 0;
const KIND_CONFIG = 1;
const KIND_STRING = 2;
const KIND_BYTES = 3;
const KIND_JSON_STRING = 4;

/** Bytes before the header: magic, version, header length. */
const PREAMBLE_BYTES = 6;
/** Bytes before each entry's payload: kind and length. */
const ENTRY_PREFIX_BYTES = 5;

/** An AppendEntriesCall as the core hands it to the transport. */
type AppendEntriesCall = Extract<Message, { type: "AppendEntriesCall" }>;

/** The outcome of {@link decodeBinaryAppend}: the message and its sender, or why the frame is refused. */
export type BinaryDecodeResult =
  | { readonly ok: true; readonly from: string; readonly message: Message }
  | { readonly ok: false; readonly error: PeerError };

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** True iff `bytes` is a binary frame (not UTF-8 JSON text). */
export function isBinaryFrame(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes[0] === BINARY_APPEND_MAGIC;
}

/** Encodes an AppendEntriesCall in the binary layout. */
export function encodeBinaryAppend(call: AppendEntriesCall): Uint8Array {
  const entries = call.entries;
  const header = utf8Bytes(
    JSON.stringify({
      v: PEER_PROTOCOL_VERSION,
      type: "AppendEntriesCall",
      from: call.from,
      term: call.term,
      commitIndex: call.commitIndex,
      seq: call.seq,
      prev: { term: entries.prevPosition.term, index: entries.prevPosition.index },
      count: entries.length,
    }),
  );
  let capacity = PREAMBLE_BYTES + header.length;
  // Each entry's kind, decided once; configurations and strings with lone surrogates are encoded
  // ahead, in entry order.
  const kinds = new Uint8Array(entries.length);
  const encoded: Uint8Array[] = [];
  let k = 0;
  for (const entry of entries.entries()) {
    capacity += ENTRY_PREFIX_BYTES;
    let kind: number;
    if (entry.kind === "term") {
      kind = KIND_TERM;
      capacity += 8;
    } else if (entry.kind === "config") {
      kind = KIND_CONFIG;
      capacity += pushEncoded(encoded, JSON.stringify(entry.config.toJSON()));
    } else if (typeof entry.data !== "string") {
      kind = KIND_BYTES;
      capacity += entry.data.length;
    } else if (wellFormed(entry.data)) {
      kind = KIND_STRING;
      capacity += entry.data.length * 3;
    } else {
      kind = KIND_JSON_STRING;
      capacity += pushEncoded(encoded, JSON.stringify(entry.data));
    }
    kinds[k++] = kind;
  }
  const out = new Uint8Array(capacity);
  const view = new DataView(out.buffer);
  const text = bufferView(out);
  out[0] = BINARY_APPEND_MAGIC;
  out[1] = BINARY_APPEND_VERSION;
  view.setUint32(2, header.length, true);
  out.set(header, PREAMBLE_BYTES);
  let at = PREAMBLE_BYTES + header.length;
  let next = 0;
  k = 0;
  for (const entry of entries.entries()) {
    const kind = kinds[k++];
    const start = at + ENTRY_PREFIX_BYTES;
    let length: number;
    out[at] = kind;
    if (entry.kind === "term") {
      view.setFloat64(start, entry.term, true);
      length = 8;
    } else if (entry.kind === "config" || kind === KIND_JSON_STRING) {
      const json = encoded[next++];
      out.set(json, start);
      length = json.length;
    } else if (typeof entry.data === "string") {
      length = utf8Into(text, start, entry.data);
    } else {
      out.set(entry.data, start);
      length = entry.data.length;
    }
    view.setUint32(at + 1, length, true);
    at = start + length;
  }
  return out.subarray(0, at);
}

/** True iff `text` has no lone surrogate (ES2024's String.prototype.isWellFormed, in Bun, Deno and Node 20). */
function wellFormed(text: string): boolean {
  return (text as string & { isWellFormed(): boolean }).isWellFormed();
}

/** Appends the UTF-8 of `text` to `list`; returns its length. */
function pushEncoded(list: Uint8Array[], text: string): number {
  const bytes = utf8Bytes(text);
  list.push(bytes);
  return bytes.length;
}

/** Decodes and checks a binary frame (see the layout above); never throws. */
export function decodeBinaryAppend(bytes: Uint8Array, maxBytes: number): BinaryDecodeResult {
  if (bytes.length > maxBytes) {
    return refuse("frame_too_large", `Cannot accept frame: ${bytes.length} bytes exceed the limit of ${maxBytes}`);
  }
  if (bytes.length < PREAMBLE_BYTES || bytes[0] !== BINARY_APPEND_MAGIC) {
    return refuse("invalid_frame", "Cannot accept binary frame: it is shorter than its preamble");
  }
  if (bytes[1] !== BINARY_APPEND_VERSION) {
    const message = `Cannot accept binary frame: layout version ${bytes[1]} is not supported (this node speaks ${BINARY_APPEND_VERSION})`;
    return refuse("unsupported_version", message);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(2, true);
  if (headerLength > bytes.length - PREAMBLE_BYTES) {
    return refuse("invalid_frame", "Cannot accept binary frame: its header runs past the end of the frame");
  }
  const header = parseHeader(bytes.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + headerLength));
  if (!header.ok) return header;
  const h = header.value;
  const decoded = decodeEntries(bytes, view, PREAMBLE_BYTES + headerLength, h.prev, h.count);
  if (!decoded.ok) return decoded;
  const message: Message = {
    type: "AppendEntriesCall",
    from: NodeId.of(h.from),
    term: Term.of(h.term),
    commitIndex: LogIndex.of(h.commitIndex),
    entries: decoded.entries,
    seq: h.seq,
  };
  return { ok: true, from: h.from, message };
}

type HeaderResult =
  | { readonly ok: true; readonly value: ReturnType<typeof AppendEntriesHeaderSchema.parse> }
  | { readonly ok: false; readonly error: PeerError };

function parseHeader(bytes: Uint8Array): HeaderResult {
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(bytes));
  } catch (e) {
    return refuse("invalid_json", `Cannot parse the binary frame's header as JSON: ${(e as Error).message}`);
  }
  const parsed = AppendEntriesHeaderSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.map(String).join(".") || "(header)";
    return refuse("invalid_frame", `Cannot accept binary frame: header ${where}: ${issue.message}`);
  }
  if (!Number.isSafeInteger(parsed.data.prev.index + parsed.data.count)) {
    return refuse("invalid_frame", "Cannot accept binary frame: the last index of the segment is not a safe integer");
  }
  return { ok: true, value: parsed.data };
}

type EntriesResult =
  | { readonly ok: true; readonly entries: LogEntries }
  | { readonly ok: false; readonly error: PeerError };

function decodeEntries(
  bytes: Uint8Array,
  view: DataView,
  start: number,
  prev: { readonly term: number; readonly index: number },
  count: number,
): EntriesResult {
  const entries = new LogEntries(LogPosition.of(prev.term, prev.index));
  let term = prev.term;
  let at = start;
  for (let k = 0; k < count; k++) {
    if (bytes.length - at < ENTRY_PREFIX_BYTES) return entryError(k, "the frame ends before its prefix");
    const kind = bytes[at];
    const length = view.getUint32(at + 1, true);
    const from = at + ENTRY_PREFIX_BYTES;
    if (length > bytes.length - from) return entryError(k, "its payload runs past the end of the frame");
    const payload = bytes.subarray(from, from + length);
    at = from + length;
    if (kind === KIND_STRING) {
      let text: string;
      try {
        text = utf8.decode(payload);
      } catch {
        return entryError(k, "its string command is not valid UTF-8");
      }
      entries.push(LogEntry.command(text));
    } else if (kind === KIND_JSON_STRING) {
      const text = decodeJsonString(payload);
      if (text === null) return entryError(k, "its escaped string command is not a JSON string");
      entries.push(LogEntry.command(text));
    } else if (kind === KIND_BYTES) {
      entries.push(LogEntry.command(payload.slice()));
    } else if (kind === KIND_TERM) {
      if (length !== 8) return entryError(k, `a term entry holds 8 bytes, not ${length}`);
      const value = view.getFloat64(from, true);
      if (!Number.isInteger(value) || value < 0 || value > Term.MAX) return entryError(k, `${value} is not a term`);
      if (value < term) return entryError(k, `a term entry may not lower the term (${value} < ${term})`);
      term = value;
      entries.push(LogEntry.term(Term.of(value)));
    } else if (kind === KIND_CONFIG) {
      const config = decodeConfig(payload);
      if (typeof config === "string") return entryError(k, config);
      entries.push(LogEntry.config(config));
    } else {
      return entryError(k, `kind ${kind} is unknown`);
    }
  }
  if (at !== bytes.length) {
    return refuse("invalid_frame", `Cannot accept binary frame: ${bytes.length - at} bytes follow its last entry`);
  }
  return { ok: true, entries };
}

/** The string that `payload` holds as UTF-8 JSON, or null. */
function decodeJsonString(payload: Uint8Array): string | null {
  try {
    const value: unknown = JSON.parse(utf8.decode(payload));
    return typeof value === "string" ? value : null;
  } catch {
    return null;
  }
}

/** The configuration in `payload`, or why it is refused. */
function decodeConfig(payload: Uint8Array): ClusterConfig | string {
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(payload));
  } catch {
    return "its configuration is not UTF-8 JSON";
  }
  const parsed = ClusterConfigSchema.safeParse(json);
  if (!parsed.success) return `its configuration is refused: ${parsed.error.issues[0].message}`;
  try {
    return new ClusterConfig({
      voters: parsed.data.voters.map(NodeId.of),
      newVoters: parsed.data.newVoters.map(NodeId.of),
      nonVoters: parsed.data.nonVoters.map(NodeId.of),
      addresses: parsed.data.addresses,
    });
  } catch (e) {
    return `its configuration is refused: ${(e as Error).message}`;
  }
}

function entryError(k: number, reason: string): { readonly ok: false; readonly error: PeerError } {
  return refuse("invalid_frame", `Cannot accept binary frame: entry ${k}: ${reason}`);
}

function refuse(code: PeerError["code"], message: string): { readonly ok: false; readonly error: PeerError } {
  return { ok: false, error: { code, message: message.slice(0, 1000) } };
}
