/**
 * The body of format version 4 of the key-value snapshot (the envelope is in `snapshot.ts`): a
 * binary layout that restores without parsing the whole state as JSON. All integers are unsigned
 * big-endian.
 *
 * | part    | layout                                                                              |
 * |---------|-------------------------------------------------------------------------------------|
 * | meta    | u32 length, then UTF-8 JSON `{"appliedIndex","idempotency"}` (as in version 3)        |
 * | blocks  | each: u32 n (1..{@link SNAPSHOT_BLOCK_ENTRIES}), n entry records, u32 text length, text |
 * | end     | u32 0                                                                               |
 *
 * An entry record is 32 bytes: the key's and the value's length in UTF-16 code units (u32 each),
 * then revision, createRevision and version (u64 each). A block's text is the UTF-8 of its keys and
 * values, key then value, entry after entry. Every block but the last holds exactly
 * {@link SNAPSHOT_BLOCK_ENTRIES} entries, so a state has exactly one encoding however its entries
 * were batched while writing.
 */
import type { z } from "zod";
import { MAX_KEY_BYTES, MAX_VALUE_BYTES, utf8ByteLength } from "../../schemas/kv_command.ts";
import { KvSnapshotBodySchema } from "../../schemas/kv_snapshot.ts";
import type { KvEntry } from "./types.ts";

/** Entries per block of a version 4 body (the last block may hold fewer). */
export const SNAPSHOT_BLOCK_ENTRIES = 4096;

/** The meta part of a version 4 body: version 3's body without its entries. */
export const KvSnapshotMetaSchema = KvSnapshotBodySchema.omit({ entries: true });

/** A parsed meta part. */
export type KvSnapshotMeta = z.infer<typeof KvSnapshotMetaSchema>;

const RECORD_BYTES = 32;
const MAX_SAFE_HIGH = 0x1fffff; // The high 32 bits of Number.MAX_SAFE_INTEGER.
const encoder = new TextEncoder();
/** Fatal: invalid UTF-8 is refused. ignoreBOM: a key that starts with U+FEFF keeps it. */
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The end marker of the blocks. */
export const BLOCKS_END: Uint8Array = new Uint8Array(4);

/** The meta part: its length and its JSON (`meta` is already in stored tuple form). */
export function encodeMeta(meta: unknown): Uint8Array {
  const json = encoder.encode(JSON.stringify(meta));
  const out = new Uint8Array(4 + json.length);
  new DataView(out.buffer).setUint32(0, json.length);
  out.set(json, 4);
  return out;
}

/** One block of 1..{@link SNAPSHOT_BLOCK_ENTRIES} entries. */
export function encodeBlock(entries: readonly KvEntry[]): Uint8Array {
  const n = entries.length;
  if (n < 1 || n > SNAPSHOT_BLOCK_ENTRIES)
    throw new RangeError(`a snapshot block holds 1 to ${SNAPSHOT_BLOCK_ENTRIES} entries, not ${n}`);
  let text = "";
  for (const e of entries) text += e.key + e.value;
  const utf8 = encoder.encode(text);
  const tableEnd = 4 + n * RECORD_BYTES;
  const out = new Uint8Array(tableEnd + 4 + utf8.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, n);
  let at = 4;
  for (const e of entries) {
    view.setUint32(at, e.key.length);
    view.setUint32(at + 4, e.value.length);
    setU64(view, at + 8, e.revision);
    setU64(view, at + 16, e.createRevision);
    setU64(view, at + 24, e.version);
    at += RECORD_BYTES;
  }
  view.setUint32(tableEnd, utf8.length);
  out.set(utf8, tableEnd + 4);
  return out;
}

/** Result of {@link decodeBinaryBody}: the meta and the entries, or what is wrong. */
export type DecodeBinaryResult =
  | { readonly ok: true; readonly meta: KvSnapshotMeta; readonly entries: KvEntry[] }
  | { readonly ok: false; readonly error: string };

/**
 * Parses a version 4 body: the layout, the meta against its schema, and every entry against the
 * rules of `KvSnapshotEntrySchema` (a key of 1..MAX_KEY_BYTES and a value of at most MAX_VALUE_BYTES
 * UTF-8 bytes of valid Unicode, positive safe-integer revisions and version). Cross-entry rules
 * (order, revision bounds) are the caller's. Never throws.
 */
export function decodeBinaryBody(body: Uint8Array): DecodeBinaryResult {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (body.length < 4) return fail("the meta length is missing");
  const metaLength = view.getUint32(0);
  if (4 + metaLength > body.length) return fail(`the meta part (${metaLength} bytes) runs past the body`);
  const meta = decodeMeta(body.subarray(4, 4 + metaLength));
  if (!meta.ok) return meta;
  const entries: KvEntry[] = [];
  let at = 4 + metaLength;
  let lastBlockFull = true;
  for (;;) {
    if (at + 4 > body.length) return fail(`the block at byte ${at} has no entry count`);
    const n = view.getUint32(at);
    if (n === 0) break;
    if (!lastBlockFull)
      return fail(`the block at byte ${at} follows a block of fewer than ${SNAPSHOT_BLOCK_ENTRIES} entries`);
    if (n > SNAPSHOT_BLOCK_ENTRIES)
      return fail(`the block at byte ${at} declares ${n} entries (at most ${SNAPSHOT_BLOCK_ENTRIES})`);
    const block = decodeBlock(body, view, at, n, entries);
    if (typeof block === "string") return fail(`the block at byte ${at}: ${block}`);
    at = block;
    lastBlockFull = n === SNAPSHOT_BLOCK_ENTRIES;
  }
  at += 4;
  if (at !== body.length) return fail(`${body.length - at} bytes follow the end of the blocks`);
  return { ok: true, meta: meta.meta, entries };
}

function decodeMeta(
  bytes: Uint8Array,
): { readonly ok: true; readonly meta: KvSnapshotMeta } | { readonly ok: false; readonly error: string } {
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(bytes));
  } catch (e) {
    return fail(`the meta part is not UTF-8 JSON (${(e as Error).message})`);
  }
  const parsed = KvSnapshotMetaSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail(`the meta part does not match the schema at ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  return { ok: true, meta: parsed.data };
}

/** Decodes the block of `n` entries at `start` onto `out`; answers the offset after it, or what is wrong. */
function decodeBlock(body: Uint8Array, view: DataView, start: number, n: number, out: KvEntry[]): number | string {
  const tableStart = start + 4;
  const tableEnd = tableStart + n * RECORD_BYTES;
  if (tableEnd + 4 > body.length) return "its entry records run past the body";
  const textBytes = view.getUint32(tableEnd);
  const textEnd = tableEnd + 4 + textBytes;
  if (textEnd > body.length) return `its text (${textBytes} bytes) runs past the body`;
  let text: string;
  try {
    text = decoder.decode(body.subarray(tableEnd + 4, textEnd));
  } catch {
    return "its text is not valid UTF-8";
  }
  let units = 0;
  for (let r = tableStart; r < tableEnd; r += RECORD_BYTES) units += view.getUint32(r) + view.getUint32(r + 4);
  if (units !== text.length) return `its records declare ${units} UTF-16 code units but its text has ${text.length}`;
  let pos = 0;
  for (let r = tableStart, i = 0; r < tableEnd; r += RECORD_BYTES, i++) {
    const keyUnits = view.getUint32(r);
    const valueUnits = view.getUint32(r + 4);
    const key = text.slice(pos, pos + keyUnits);
    const value = text.slice(pos + keyUnits, pos + keyUnits + valueUnits);
    if (!isWhole(text, pos, pos + keyUnits) || !isWhole(text, pos + keyUnits, pos + keyUnits + valueUnits)) {
      return `entry ${i} splits a surrogate pair`;
    }
    pos += keyUnits + valueUnits;
    if (!withinUtf8(key, 1, MAX_KEY_BYTES)) return `entry ${i}'s key must have 1 to ${MAX_KEY_BYTES} UTF-8 bytes`;
    if (!withinUtf8(value, 0, MAX_VALUE_BYTES))
      return `entry ${i}'s value has more than ${MAX_VALUE_BYTES} UTF-8 bytes`;
    const revision = getPositive(view, r + 8);
    const createRevision = getPositive(view, r + 16);
    const version = getPositive(view, r + 24);
    if (revision === 0 || createRevision === 0 || version === 0) {
      return `entry ${i}'s revision, createRevision and version must be positive safe integers`;
    }
    out.push(Object.freeze({ key, value, revision, createRevision, version }));
  }
  return textEnd;
}

/**
 * True iff `text[from, to)` cuts no surrogate pair of `text` in two. `text` came from a fatal UTF-8
 * decode, so it has no lone surrogates itself, and the slice then has none either.
 */
function isWhole(text: string, from: number, to: number): boolean {
  if (from === to) return true;
  return !isLow(text.charCodeAt(from)) && !isHigh(text.charCodeAt(to - 1));
}

function isHigh(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/**
 * True iff the UTF-8 length of `s` (valid Unicode) lies in `min..max`. A UTF-16 code unit takes 1 to
 * 3 UTF-8 bytes, so only a string near the bounds needs counting.
 */
function withinUtf8(s: string, min: number, max: number): boolean {
  if (s.length >= min && s.length * 3 <= max) return true;
  const n = utf8ByteLength(s);
  return n >= min && n <= max;
}

/** The u64 at `at` if it is a positive safe integer, else 0. */
function getPositive(view: DataView, at: number): number {
  const high = view.getUint32(at);
  if (high > MAX_SAFE_HIGH) return 0;
  return high * 0x1_0000_0000 + view.getUint32(at + 4);
}

function setU64(view: DataView, at: number, n: number): void {
  view.setUint32(at, Math.floor(n / 0x1_0000_0000));
  view.setUint32(at + 4, n >>> 0);
}

function fail(error: string): { readonly ok: false; readonly error: string } {
  return { ok: false, error };
}
