/**
 * The record format shared by every segment file. A record is a frame
 *
 *     crc32 u32 LE | bodyLength u32 LE | body (bodyLength bytes)
 *
 * where the CRC covers `bodyLength` and the body (bytes 4 .. 8 + bodyLength of the frame), and the
 * body starts with a one-byte record type. Integers are little-endian; u64 fields hold
 * non-negative safe integers (below 2^53). See docs/storage.md for every field.
 */

import type { Buffer } from "node:buffer";
import {
  assert,
  ClusterConfig,
  type LogEntry,
  type LogPosition,
  NodeId,
  type Term,
} from "../../packages/core/src/mod.ts";
import { crc32 } from "../checksum/crc32.ts";
import { bufferView, utf8Bytes, utf8Into } from "../text/utf8.ts";
import { StorageError } from "./errors.ts";
import type { HardState, SnapshotMeta } from "./types.ts";

/** Bytes before a record's body: the CRC and the body length. */
export const FRAME_HEADER_BYTES = 8;
/** The largest record body accepted (an entry payload is at most this minus 18 bytes). */
export const MAX_RECORD_BODY = 64 * 1024 * 1024;

/** Record types (the first body byte). */
export const RecordType = { ENTRY: 1, HARD_STATE: 2, SNAPSHOT: 3, TRUNCATE: 4, CHECKPOINT: 5 } as const;
/** Entry kinds (the second body byte of an ENTRY record). */
export const EntryKind = { TERM: 0, CONFIG: 1, BYTES: 2, STRING: 3 } as const;

const ENTRY_FIXED = 18;
const HARD_STATE_FIXED = 18;
const SNAPSHOT_FIXED = 18;
const TRUNCATE_FIXED = 17;
const CHECKPOINT_FIXED = 51;
const NO_VOTE = 0xffff;
const TWO_32 = 2 ** 32;

/** The state a segment starts from, written as its first record. */
export interface Checkpoint {
  /** The durable hard state when the segment was created. */
  readonly hardState: HardState;
  /** The durable restart generation when the segment was created. */
  readonly generation: number;
  /** The durable snapshot point when the segment was created. */
  readonly snapshot: SnapshotMeta;
  /** The last durable log position when the segment was created. */
  readonly last: LogPosition;
}

/** A decoded record body. */
export type DecodedRecord =
  | { readonly type: "entry"; readonly term: number; readonly index: number; readonly entry: LogEntry }
  | { readonly type: "hard_state"; readonly state: HardState; readonly generation: number }
  | { readonly type: "snapshot"; readonly meta: SnapshotMeta; readonly reset: boolean }
  | { readonly type: "truncate"; readonly position: LogPosition }
  | { readonly type: "checkpoint"; readonly checkpoint: Checkpoint };

const decoder = new TextDecoder("utf-8", { fatal: true });

function setU64(view: DataView, at: number, n: number): void {
  view.setUint32(at, n >>> 0, true);
  view.setUint32(at + 4, Math.floor(n / TWO_32), true);
}

/** Reads a u64; returns -1 if it is not a safe integer. */
function getU64(view: DataView, at: number): number {
  const hi = view.getUint32(at + 4, true);
  if (hi >= 0x200000) return -1;
  return hi * TWO_32 + view.getUint32(at, true);
}

function checkCount(n: number, what: string): void {
  // The message is built only on failure: this runs twice per appended entry.
  if (!Number.isSafeInteger(n) || n < 0) assert(false, `${what} must be a non-negative safe integer, got ${n}`);
}

/** The JSON text of a configuration, as stored in records. */
export function configJson(config: ClusterConfig): string {
  return JSON.stringify(config.toJSON());
}

/**
 * A growable buffer of encoded records. Every method validates its input (a broken value is a bug
 * in the caller, so it asserts) and returns the byte offset where its record starts.
 */
export class RecordWriter {
  #bytes: Uint8Array;
  #view: DataView;
  /** `#bytes` as a Buffer, for writing text into it. */
  #text: Buffer;
  #length = 0;
  readonly #maxBytes: number;
  readonly #initialBytes: number;

  /** An empty buffer that refuses to grow beyond `maxBytes` (throws `batch_too_large`). */
  constructor(maxBytes: number, initialBytes = 64 * 1024) {
    assert(Number.isSafeInteger(maxBytes) && maxBytes > 0, "maxBytes must be a positive integer");
    this.#maxBytes = maxBytes;
    this.#initialBytes = Math.min(initialBytes, maxBytes);
    this.#bytes = new Uint8Array(this.#initialBytes);
    this.#view = new DataView(this.#bytes.buffer);
    this.#text = bufferView(this.#bytes);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#length;
  }

  /** A view of the records written so far (valid until the next write). */
  bytes(): Uint8Array {
    return this.#bytes.subarray(0, this.#length);
  }

  /** Empties the buffer, and gives back memory an unusually large batch made it take. */
  reset(): void {
    this.#length = 0;
    if (this.#bytes.length <= this.#initialBytes * 64) return;
    this.#bytes = new Uint8Array(this.#initialBytes);
    this.#view = new DataView(this.#bytes.buffer);
    this.#text = bufferView(this.#bytes);
  }

  /** Forgets everything after byte `length` (0 empties the buffer). */
  rollback(length: number): void {
    assert(length >= 0 && length <= this.#length, "rollback() stays within the written bytes");
    this.#length = length;
  }

  /** Appends one log entry at `term`/`index`. */
  entry(term: number, index: number, entry: LogEntry): number {
    checkCount(term, "an entry term");
    checkCount(index, "an entry index");
    assert(index > 0, "entry indexes start at 1");
    if (entry.kind === "term") {
      if (entry.term !== term) assert(false, `a term entry's term ${entry.term} is its position's term ${term}`);
      return this.#entry(term, index, EntryKind.TERM, "");
    }
    if (entry.kind === "config") return this.#entry(term, index, EntryKind.CONFIG, configJson(entry.config));
    const data = entry.data;
    if (typeof data === "string") return this.#entry(term, index, EntryKind.STRING, data);
    assert(data instanceof Uint8Array, "a command payload is a Uint8Array or a string");
    return this.#entry(term, index, EntryKind.BYTES, data);
  }

  /** Appends a hard-state record carrying `generation`. */
  hardState(state: HardState, generation: number): number {
    checkCount(state.term, "a term");
    checkCount(generation, "a generation");
    const start = this.#begin(HARD_STATE_FIXED + utf8Max(state.votedFor ?? ""));
    const body = start + FRAME_HEADER_BYTES;
    this.#bytes[body] = RecordType.HARD_STATE;
    setU64(this.#view, body + 1, state.term);
    setU64(this.#view, body + 9, generation);
    this.#bytes[body + 17] = state.votedFor === null ? 0 : 1;
    const end = this.#putText(body + HARD_STATE_FIXED, state.votedFor ?? "");
    return this.#finish(start, end);
  }

  /** Appends a snapshot marker; `reset` says the log did not hold the snapshot's position. */
  snapshot(meta: SnapshotMeta, reset: boolean): number {
    checkCount(meta.position.term, "a snapshot term");
    checkCount(meta.position.index, "a snapshot index");
    const json = configJson(meta.config);
    const start = this.#begin(SNAPSHOT_FIXED + utf8Max(json));
    const body = start + FRAME_HEADER_BYTES;
    this.#bytes[body] = RecordType.SNAPSHOT;
    this.#bytes[body + 1] = reset ? 1 : 0;
    setU64(this.#view, body + 2, meta.position.term);
    setU64(this.#view, body + 10, meta.position.index);
    return this.#finish(start, this.#putText(body + SNAPSHOT_FIXED, json));
  }

  /** Appends a truncation: entries after `position.index` are deleted; `position` must be in the log. */
  truncate(position: LogPosition): number {
    checkCount(position.term, "a term");
    checkCount(position.index, "an index");
    const start = this.#begin(TRUNCATE_FIXED);
    const body = start + FRAME_HEADER_BYTES;
    this.#bytes[body] = RecordType.TRUNCATE;
    setU64(this.#view, body + 1, position.term);
    setU64(this.#view, body + 9, position.index);
    return this.#finish(start, body + TRUNCATE_FIXED);
  }

  /** Appends a checkpoint, the first record of every segment. */
  checkpoint(cp: Checkpoint): number {
    for (const n of [cp.hardState.term, cp.generation, cp.snapshot.position.term, cp.snapshot.position.index]) {
      checkCount(n, "a checkpoint field");
    }
    checkCount(cp.last.term, "a checkpoint field");
    checkCount(cp.last.index, "a checkpoint field");
    const voted = cp.hardState.votedFor;
    const votedBytes = voted === null ? new Uint8Array(0) : utf8Bytes(voted);
    assert(votedBytes.length < NO_VOTE, "a node id is shorter than 65535 bytes");
    const json = configJson(cp.snapshot.config);
    const start = this.#begin(CHECKPOINT_FIXED + votedBytes.length + utf8Max(json));
    const body = start + FRAME_HEADER_BYTES;
    const v = this.#view;
    this.#bytes[body] = RecordType.CHECKPOINT;
    setU64(v, body + 1, cp.hardState.term);
    setU64(v, body + 9, cp.generation);
    setU64(v, body + 17, cp.snapshot.position.term);
    setU64(v, body + 25, cp.snapshot.position.index);
    setU64(v, body + 33, cp.last.term);
    setU64(v, body + 41, cp.last.index);
    v.setUint16(body + 49, voted === null ? NO_VOTE : votedBytes.length, true);
    this.#bytes.set(votedBytes, body + CHECKPOINT_FIXED);
    return this.#finish(start, this.#putText(body + CHECKPOINT_FIXED + votedBytes.length, json));
  }

  #entry(term: number, index: number, kind: number, payload: string | Uint8Array): number {
    const max = ENTRY_FIXED + (typeof payload === "string" ? utf8Max(payload) : payload.length);
    const start = this.#begin(max);
    const body = start + FRAME_HEADER_BYTES;
    this.#bytes[body] = RecordType.ENTRY;
    this.#bytes[body + 1] = kind;
    setU64(this.#view, body + 2, term);
    setU64(this.#view, body + 10, index);
    let end = body + ENTRY_FIXED;
    if (typeof payload === "string") end = this.#putText(end, payload);
    else {
      this.#bytes.set(payload, end);
      end += payload.length;
    }
    return this.#finish(start, end);
  }

  /** Ensures room for a frame with a body of at most `maxBody` bytes; returns the frame's start. */
  #begin(maxBody: number): number {
    if (maxBody > MAX_RECORD_BODY) {
      throw new StorageError(
        "batch_too_large",
        `Cannot store a record of ${maxBody} bytes: the limit is ${MAX_RECORD_BODY}`,
      );
    }
    const need = this.#length + FRAME_HEADER_BYTES + maxBody;
    if (need > this.#bytes.length) this.#grow(need);
    return this.#length;
  }

  #grow(need: number): void {
    if (need > this.#maxBytes) {
      throw new StorageError(
        "batch_too_large",
        `Cannot buffer ${need} bytes of records before a sync: the bound is ${this.#maxBytes}; sync more often`,
      );
    }
    const next = new Uint8Array(Math.min(this.#maxBytes, Math.max(need, this.#bytes.length * 2)));
    next.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = next;
    this.#view = new DataView(next.buffer);
    this.#text = bufferView(next);
  }

  #putText(at: number, text: string): number {
    if (text.length === 0) return at;
    return at + utf8Into(this.#text, at, text);
  }

  #finish(start: number, end: number): number {
    const bodyLength = end - start - FRAME_HEADER_BYTES;
    assert(bodyLength > 0 && bodyLength <= MAX_RECORD_BODY, "a record body fits the frame bounds");
    this.#view.setUint32(start + 4, bodyLength, true);
    this.#view.setUint32(start, crc32(this.#bytes, start + 4, end), true);
    this.#length = end;
    return start;
  }
}

/** The most UTF-8 bytes `text` can take. */
function utf8Max(text: string): number {
  return text.length * 3;
}

/** The frame checks that can fail before a body is decoded. */
export const FrameError = { INCOMPLETE: -1, BAD_LENGTH: -2, BAD_CHECKSUM: -3 } as const;

/**
 * Checks the frame at `offset` (bytes up to `end` are available): returns the offset just after
 * it, or a negative {@link FrameError}.
 */
export function checkFrame(bytes: Uint8Array, view: DataView, offset: number, end: number): number {
  if (end - offset < FRAME_HEADER_BYTES) return FrameError.INCOMPLETE;
  const length = view.getUint32(offset + 4, true);
  if (length === 0 || length > MAX_RECORD_BODY) return FrameError.BAD_LENGTH;
  const next = offset + FRAME_HEADER_BYTES + length;
  if (next > end) return FrameError.INCOMPLETE;
  if (crc32(bytes, offset + 4, next) !== view.getUint32(offset, true)) return FrameError.BAD_CHECKSUM;
  return next;
}

/** Describes a negative {@link checkFrame} result. */
export function frameErrorText(code: number): string {
  if (code === FrameError.INCOMPLETE) return "the record is incomplete";
  if (code === FrameError.BAD_LENGTH) return "the record length is invalid";
  return "the record checksum does not match";
}

/**
 * Decodes and validates the body in `bytes[start, end)` (its frame already checked). Returns the
 * record, or a string saying which field is invalid. Byte payloads are views into `bytes`.
 */
export function decodeBody(bytes: Uint8Array, view: DataView, start: number, end: number): DecodedRecord | string {
  switch (bytes[start]) {
    case RecordType.ENTRY:
      return decodeEntry(bytes, view, start, end);
    case RecordType.HARD_STATE:
      return decodeHardState(bytes, view, start, end);
    case RecordType.SNAPSHOT:
      return decodeSnapshot(bytes, view, start, end);
    case RecordType.TRUNCATE:
      return decodeTruncate(view, start, end);
    case RecordType.CHECKPOINT:
      return decodeCheckpoint(bytes, view, start, end);
    default:
      return `unknown record type ${bytes[start]}`;
  }
}

function decodeEntry(bytes: Uint8Array, view: DataView, start: number, end: number): DecodedRecord | string {
  if (end - start < ENTRY_FIXED) return "an entry record is too short";
  const term = getU64(view, start + 2);
  const index = getU64(view, start + 10);
  if (term < 0 || index <= 0) return "an entry record has an invalid term or index";
  const from = start + ENTRY_FIXED;
  const entry = decodeEntryPayload(bytes, bytes[start + 1], term, from, end);
  if (typeof entry === "string") return entry;
  return { type: "entry", term, index, entry };
}

function decodeEntryPayload(
  bytes: Uint8Array,
  kind: number,
  term: number,
  from: number,
  end: number,
): LogEntry | string {
  switch (kind) {
    case EntryKind.TERM:
      return from === end ? { kind: "term", term: term as Term } : "a term entry has a payload";
    case EntryKind.CONFIG: {
      const config = decodeConfig(bytes, from, end);
      return typeof config === "string" ? config : { kind: "config", config };
    }
    case EntryKind.BYTES:
      // A view, not a copy: on V8 a million retained small copies (one ArrayBuffer each) cost
      // over a second at open. The view keeps the buffer it was read from alive.
      return { kind: "command", data: bytes.subarray(from, end) };
    case EntryKind.STRING: {
      const text = decodeText(bytes, from, end);
      return text === undefined ? "a string payload is not valid UTF-8" : { kind: "command", data: text };
    }
    default:
      return `unknown entry kind ${kind}`;
  }
}

function decodeHardState(bytes: Uint8Array, view: DataView, start: number, end: number): DecodedRecord | string {
  if (end - start < HARD_STATE_FIXED) return "a hard-state record is too short";
  const term = getU64(view, start + 1);
  const generation = getU64(view, start + 9);
  if (term < 0 || generation < 0) return "a hard-state record has an invalid term or generation";
  const votedFor = decodeVote(bytes, bytes[start + 17], start + HARD_STATE_FIXED, end);
  if (votedFor === undefined) return "a hard-state record has an invalid vote";
  return { type: "hard_state", state: { term: term as Term, votedFor }, generation };
}

function decodeVote(bytes: Uint8Array, flag: number, from: number, end: number): NodeId | null | undefined {
  if (flag === 0) return from === end ? null : undefined;
  if (flag !== 1 || from === end) return undefined;
  const text = decodeText(bytes, from, end);
  return text === undefined ? undefined : NodeId.of(text);
}

function decodeSnapshot(bytes: Uint8Array, view: DataView, start: number, end: number): DecodedRecord | string {
  if (end - start < SNAPSHOT_FIXED) return "a snapshot record is too short";
  const flags = bytes[start + 1];
  if (flags > 1) return "a snapshot record has unknown flags";
  const position = decodePosition(view, start + 2);
  if (position === undefined) return "a snapshot record has an invalid position";
  const config = decodeConfig(bytes, start + SNAPSHOT_FIXED, end);
  if (typeof config === "string") return config;
  return { type: "snapshot", meta: { position, config }, reset: flags === 1 };
}

function decodeTruncate(view: DataView, start: number, end: number): DecodedRecord | string {
  if (end - start !== TRUNCATE_FIXED) return "a truncate record has the wrong length";
  const position = decodePosition(view, start + 1);
  return position === undefined ? "a truncate record has an invalid position" : { type: "truncate", position };
}

function decodeCheckpoint(bytes: Uint8Array, view: DataView, start: number, end: number): DecodedRecord | string {
  if (end - start < CHECKPOINT_FIXED) return "a checkpoint record is too short";
  const term = getU64(view, start + 1);
  const generation = getU64(view, start + 9);
  const snapshot = decodePosition(view, start + 17);
  const last = decodePosition(view, start + 33);
  if (term < 0 || generation < 0 || snapshot === undefined || last === undefined) {
    return "a checkpoint record has an invalid number";
  }
  const votedLength = view.getUint16(start + 49, true);
  const votedEnd = start + CHECKPOINT_FIXED + (votedLength === NO_VOTE ? 0 : votedLength);
  if (votedEnd > end) return "a checkpoint record's vote overruns it";
  const votedFor = votedLength === NO_VOTE ? null : decodeVote(bytes, 1, start + CHECKPOINT_FIXED, votedEnd);
  if (votedFor === undefined) return "a checkpoint record has an invalid vote";
  const config = decodeConfig(bytes, votedEnd, end);
  if (typeof config === "string") return config;
  const hardState = { term: term as Term, votedFor };
  return { type: "checkpoint", checkpoint: { hardState, generation, snapshot: { position: snapshot, config }, last } };
}

function decodePosition(view: DataView, at: number): LogPosition | undefined {
  const term = getU64(view, at);
  const index = getU64(view, at + 8);
  if (term < 0 || index < 0) return undefined;
  return { term, index } as LogPosition;
}

function decodeText(bytes: Uint8Array, from: number, end: number): string | undefined {
  try {
    return decoder.decode(bytes.subarray(from, end));
  } catch {
    return undefined;
  }
}

/** Parses and validates a stored configuration; returns a reason string if it is invalid. */
export function decodeConfig(bytes: Uint8Array, from: number, end: number): ClusterConfig | string {
  const text = decodeText(bytes, from, end);
  if (text === undefined) return "a configuration is not valid UTF-8";
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "a configuration is not valid JSON";
  }
  if (typeof value !== "object" || value === null) return "a configuration is not an object";
  const { voters, newVoters, nonVoters, addresses } = value as Record<string, unknown>;
  if (!isIdList(voters) || !isIdList(newVoters) || !isIdList(nonVoters)) {
    return "a configuration's member lists are invalid";
  }
  // Configurations written before members' addresses were stored have none.
  if (addresses !== undefined && !isAddressBook(addresses)) return "a configuration's member addresses are invalid";
  return new ClusterConfig({ voters, newVoters, nonVoters, addresses });
}

function isAddressBook(value: unknown): value is Record<string, string> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  return Object.values(value).every((address) => typeof address === "string");
}

function isIdList(value: unknown): value is NodeId[] {
  return Array.isArray(value) && value.every((id) => typeof id === "string" && id.length > 0);
}
