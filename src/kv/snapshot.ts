/**
 * The key-value snapshot format. A snapshot is a 20-byte header followed by a body:
 *
 * | offset | size | field                                              |
 * |-------:|-----:|----------------------------------------------------|
 * |      0 |    4 | magic `RBKV` (0x52 0x42 0x4b 0x56)                 |
 * |      4 |    1 | format version, {@link SNAPSHOT_VERSION}           |
 * |      5 |    3 | reserved, zero                                     |
 * |      8 |    8 | body length in bytes, unsigned big-endian          |
 * |     16 |    4 | CRC-32 (IEEE) of the body, unsigned big-endian     |
 * |     20 |    n | body: `{"appliedIndex","entries","idempotency"}` JSON |
 *
 * Entries are `[key, value, revision, createRevision, version]` tuples in ascending key order; the
 * idempotency table is `[key, index, fingerprint, result]` tuples in log order, a result being
 * `["ok", revision, prev]` or `["compare_failed", current]` with entries as tuples or null. Equal
 * states always give byte-identical snapshots. Version 2 bodies had no idempotency table (it reads
 * as empty); version 1 bodies also carried an address book (`"members"`), which is ignored.
 */

import { MAX_KEY_BYTES, MAX_VALUE_BYTES, utf8ByteLength } from "../../schemas/kv_command.ts";
import {
  type KvSnapshotBody,
  KvSnapshotBodySchema,
  KvSnapshotBodyV1Schema,
  type KvSnapshotBodyV2,
  KvSnapshotBodyV2Schema,
  type KvSnapshotEntry,
} from "../../schemas/kv_snapshot.ts";
import { crc32 } from "../checksum/crc32.ts";
import { assert } from "./assert.ts";
import type { IdempotencyRecord } from "./idempotency.ts";
import { BLOCKS_END, decodeBinaryBody, encodeBlock, encodeMeta, SNAPSHOT_BLOCK_ENTRIES } from "./snapshot_binary.ts";
import type { KvEntry, RememberedResult } from "./types.ts";

/** The four magic bytes that start every snapshot: ASCII `RBKV`. */
export const SNAPSHOT_MAGIC: Uint8Array = new Uint8Array([0x52, 0x42, 0x4b, 0x56]);
/** The format version this code writes (it also reads versions 1 to 3). */
export const SNAPSHOT_VERSION = 4;
/** The last format version with a JSON body (still read). */
export const SNAPSHOT_JSON_VERSION = 3;
/** Size of the fixed header before the body. */
export const SNAPSHOT_HEADER_BYTES = 20;

/** The whole state of a key-value state machine. */
export interface KvSnapshotState {
  readonly appliedIndex: number;
  /** Sorted by key in UTF-16 code unit order, keys unique. */
  readonly entries: readonly KvEntry[];
  /** The idempotency table in log order (indexes increasing), keys unique. */
  readonly idempotency: readonly IdempotencyRecord[];
}

/** Why a snapshot was refused. */
export type SnapshotErrorReason =
  | "truncated"
  | "bad_magic"
  | "unsupported_version"
  | "bad_header"
  | "checksum_mismatch"
  | "bad_body";

/** A refused snapshot: nothing was restored. */
export interface SnapshotError {
  readonly reason: SnapshotErrorReason;
  /** What is wrong, e.g. `Cannot restore KV snapshot: checksum mismatch (stored 0x1, computed 0x2)`. */
  readonly error: string;
}

/** Result of {@link decodeSnapshot}. */
export type DecodeSnapshotResult =
  | { readonly ok: true; readonly state: KvSnapshotState }
  | ({ readonly ok: false } & SnapshotError);

/** Serialises `state`; asserts it is consistent first, so a broken state is never written. */
export function encodeSnapshot(state: KvSnapshotState): Uint8Array {
  const problem = findInconsistency(state);
  assert(problem === null, `refusing to write an inconsistent snapshot: ${problem}`);
  const pieces = [encodeMeta(metaOf(state.appliedIndex, state.idempotency))];
  for (let i = 0; i < state.entries.length; i += SNAPSHOT_BLOCK_ENTRIES) {
    pieces.push(encodeBlock(state.entries.slice(i, i + SNAPSHOT_BLOCK_ENTRIES)));
  }
  pieces.push(BLOCKS_END);
  let bodyBytes = 0;
  let crc = 0;
  for (const piece of pieces) {
    bodyBytes += piece.length;
    crc = crc32(piece, 0, piece.length, crc);
  }
  const out = new Uint8Array(SNAPSHOT_HEADER_BYTES + bodyBytes);
  out.set(snapshotHeader(bodyBytes, crc), 0);
  let at = SNAPSHOT_HEADER_BYTES;
  for (const piece of pieces) {
    out.set(piece, at);
    at += piece.length;
  }
  return out;
}

/** The header of a current-version snapshot whose body has `bodyBytes` bytes and CRC-32 `crc`. */
export function snapshotHeader(bodyBytes: number, crc: number): Uint8Array {
  const out = new Uint8Array(SNAPSHOT_HEADER_BYTES);
  const view = new DataView(out.buffer);
  out.set(SNAPSHOT_MAGIC, 0);
  view.setUint8(4, SNAPSHOT_VERSION);
  view.setBigUint64(8, BigInt(bodyBytes));
  view.setUint32(16, crc);
  return out;
}

/** The meta part of a version 4 body, in stored tuple form. */
export function metaOf(appliedIndex: number, idempotency: readonly IdempotencyRecord[]): unknown {
  return { appliedIndex, idempotency: idempotency.map((r) => [r.key, r.index, r.fingerprint, resultTuple(r.result)]) };
}

/** Parses and validates a snapshot: envelope, checksum, schema and consistency. Never throws. */
export function decodeSnapshot(bytes: Uint8Array): DecodeSnapshotResult {
  const envelope = checkEnvelope(bytes);
  if (!envelope.ok) return envelope;
  if (envelope.version === 4) return decodeBinary(envelope.body);
  const schema =
    envelope.version === 1
      ? KvSnapshotBodyV1Schema
      : envelope.version === 2
        ? KvSnapshotBodyV2Schema
        : KvSnapshotBodySchema;
  const text = decodeUtf8(envelope.body);
  if (text === null) return refuse("bad_body", "the body is not valid UTF-8");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return refuse("bad_body", `the body is not JSON (${(e as Error).message})`);
  }
  const parsed = parseBody(schema, json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return refuse(
      "bad_body",
      `the body does not match the schema at ${issue.path.join(".") || "(root)"}: ${issue.message}`,
    );
  }
  const state = toState(parsed.data);
  const problem = findInconsistency(state);
  if (problem !== null) return refuse("bad_body", `the body is inconsistent: ${problem}`);
  return { ok: true, state };
}

/** Parses and validates a version 4 body (see `snapshot_binary.ts`). */
function decodeBinary(body: Uint8Array): DecodeSnapshotResult {
  const decoded = decodeBinaryBody(body);
  if (!decoded.ok) return refuse("bad_body", decoded.error);
  const { meta, entries } = decoded;
  const state = { ...toState({ ...meta, entries: [] }), entries };
  const problem = findInconsistency(state);
  if (problem !== null) return refuse("bad_body", `the body is inconsistent: ${problem}`);
  return { ok: true, state };
}

/**
 * The body checked against `schema`. The entries, which are most of a large snapshot, are checked
 * by hand (the same rules as `KvSnapshotEntrySchema`) and the rest by the schema; if the hand check
 * finds a problem, the whole body goes through the schema, which says what is wrong.
 */
function parseBody(
  schema: typeof KvSnapshotBodySchema | typeof KvSnapshotBodyV2Schema | typeof KvSnapshotBodyV1Schema,
  json: unknown,
): ReturnType<typeof schema.safeParse> {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return schema.safeParse(json);
  const entries = (json as { entries?: unknown }).entries;
  if (!Array.isArray(entries) || !entries.every(isEntryTuple)) return schema.safeParse(json);
  const rest = schema.safeParse({ ...json, entries: [] });
  if (!rest.success) return rest;
  return { ...rest, data: { ...rest.data, entries: entries as KvSnapshotEntry[] } } as typeof rest;
}

/** True iff `t` certainly satisfies `KvSnapshotEntrySchema`. */
function isEntryTuple(t: unknown): boolean {
  if (!Array.isArray(t) || t.length !== 5) return false;
  const [key, value, revision, createRevision, version] = t;
  if (typeof key !== "string" || typeof value !== "string") return false;
  const keyBytes = utf8ByteLength(key);
  if (keyBytes < 1 || keyBytes > MAX_KEY_BYTES) return false;
  const valueBytes = utf8ByteLength(value);
  if (valueBytes < 0 || valueBytes > MAX_VALUE_BYTES) return false;
  return isPositive(revision) && isPositive(createRevision) && isPositive(version);
}

function isPositive(n: unknown): boolean {
  return typeof n === "number" && Number.isSafeInteger(n) && n > 0;
}

type EnvelopeResult =
  | { readonly ok: true; readonly body: Uint8Array; readonly version: number }
  | ({ readonly ok: false } & SnapshotError);

/** Checks magic, version, reserved bytes, length and checksum; returns the body on success. */
function checkEnvelope(bytes: Uint8Array): EnvelopeResult {
  if (bytes.length < SNAPSHOT_HEADER_BYTES) {
    return refuse("truncated", `${bytes.length} bytes is shorter than the ${SNAPSHOT_HEADER_BYTES}-byte header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!SNAPSHOT_MAGIC.every((b, i) => bytes[i] === b)) {
    return refuse("bad_magic", `it does not start with the magic bytes "RBKV" (found ${hex(bytes.subarray(0, 4))})`);
  }
  const version = view.getUint8(4);
  if (version < 1 || version > SNAPSHOT_VERSION) {
    return refuse(
      "unsupported_version",
      `format version ${version} is not supported (expected 1 to ${SNAPSHOT_VERSION})`,
    );
  }
  if (view.getUint8(5) !== 0 || view.getUint16(6) !== 0)
    return refuse("bad_header", "the reserved header bytes are not zero");
  const declared = view.getBigUint64(8);
  const actual = BigInt(bytes.length - SNAPSHOT_HEADER_BYTES);
  if (declared > actual)
    return refuse("truncated", `the header declares ${declared} body bytes but only ${actual} follow`);
  if (declared < actual) return refuse("bad_header", `the header declares ${declared} body bytes but ${actual} follow`);
  const body = bytes.subarray(SNAPSHOT_HEADER_BYTES);
  const stored = view.getUint32(16);
  const computed = crc32(body);
  if (stored !== computed) {
    return refuse(
      "checksum_mismatch",
      `checksum mismatch (stored 0x${stored.toString(16)}, computed 0x${computed.toString(16)})`,
    );
  }
  return { ok: true, body, version };
}

/** The stored tuple of `e`: `[key, value, revision, createRevision, version]`. */
export function entryTuple(e: KvEntry): KvSnapshotEntry {
  return [e.key, e.value, e.revision, e.createRevision, e.version];
}

/** The stored tuple of a remembered result. */
export function resultTuple(result: RememberedResult): KvSnapshotBody["idempotency"][number][3] {
  return result.ok
    ? ["ok", result.revision, result.prev === null ? null : entryTuple(result.prev)]
    : ["compare_failed", result.current === null ? null : entryTuple(result.current)];
}

function entryOf(tuple: KvSnapshotEntry | null): KvEntry | null {
  if (tuple === null) return null;
  const [key, value, revision, createRevision, version] = tuple;
  return Object.freeze({ key, value, revision, createRevision, version });
}

function resultOf(tuple: KvSnapshotBody["idempotency"][number][3]): RememberedResult {
  if (tuple[0] === "ok") return Object.freeze({ ok: true, revision: tuple[1], prev: entryOf(tuple[2]) });
  return Object.freeze({ ok: false, code: "compare_failed", current: entryOf(tuple[1]) });
}

/** Turns the parsed body into frozen entries (no idempotency table before version 3). */
function toState(body: KvSnapshotBody | KvSnapshotBodyV2): KvSnapshotState {
  const entries = body.entries.map((tuple) => entryOf(tuple) as KvEntry);
  const records = "idempotency" in body ? body.idempotency : [];
  const idempotency = records.map(([key, index, fingerprint, result]) => ({
    key,
    index,
    fingerprint,
    result: resultOf(result),
  }));
  return { appliedIndex: body.appliedIndex, entries, idempotency };
}

/** The first violated cross-field rule of `state`, or null if it is consistent. */
export function findInconsistency(state: KvSnapshotState): string | null {
  for (let i = 0; i < state.entries.length; i++) {
    const e = state.entries[i];
    if (i > 0 && !(state.entries[i - 1].key < e.key)) return `key ${JSON.stringify(e.key)} is out of order or repeated`;
    const problem = entryInconsistency(e, state.appliedIndex);
    if (problem !== null) return `key ${JSON.stringify(e.key)}: ${problem}`;
  }
  const seen = new Set<string>();
  for (let i = 0; i < state.idempotency.length; i++) {
    const r = state.idempotency[i];
    const where = `idempotency key ${JSON.stringify(r.key)}`;
    if (seen.has(r.key)) return `${where} is repeated`;
    seen.add(r.key);
    if (i > 0 && !(state.idempotency[i - 1].index < r.index)) return `${where} is out of log order`;
    const problem = recordInconsistency(r, state.appliedIndex);
    if (problem !== null) return `${where}: ${problem}`;
  }
  return null;
}

/** Why the remembered record `r` cannot exist at `appliedIndex`, or null if it can. */
function recordInconsistency(r: IdempotencyRecord, appliedIndex: number): string | null {
  if (r.index > appliedIndex) return `index ${r.index} is above the applied index ${appliedIndex}`;
  const { result } = r;
  if (result.ok && result.revision !== r.index && result.revision !== 0) {
    return `revision ${result.revision} is neither its index ${r.index} nor 0`;
  }
  // The entry in the result is the key as it was when the command applied, before its index.
  const entry = result.ok ? result.prev : result.current;
  if (entry === null) return null;
  if (entry.revision >= r.index) return `its result's revision ${entry.revision} is not below its index ${r.index}`;
  return entryInconsistency(entry, appliedIndex);
}

/** Why `e` cannot exist at `appliedIndex`, or null if it can. */
export function entryInconsistency(e: KvEntry, appliedIndex: number): string | null {
  if (e.revision > appliedIndex) return `revision ${e.revision} is above the applied index ${appliedIndex}`;
  if (e.createRevision < 1) return `createRevision ${e.createRevision} is below 1`;
  if (e.createRevision > e.revision) return `createRevision ${e.createRevision} is above revision ${e.revision}`;
  if (e.version < 1) return `version ${e.version} is below 1`;
  // Every change of a key takes its own log index.
  if (e.version > e.revision - e.createRevision + 1) return `version ${e.version} is too high for its revisions`;
  return null;
}

function refuse(reason: SnapshotErrorReason, what: string): { ok: false } & SnapshotError {
  return { ok: false, reason, error: `Cannot restore KV snapshot: ${what}` };
}

function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}
