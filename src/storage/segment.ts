/**
 * Segment files: `segment-<20-digit sequence number>.log`, each a 20-byte header followed by
 * records, the first of which is a checkpoint. This module names, lists and scans them.
 *
 * Header: magic "RBLG" | version u8 | 3 zero bytes | sequence number u64 LE | crc32 of bytes 0..16 u32 LE.
 */
import { crc32 } from "../checksum/crc32.ts";
import {
  type Checkpoint,
  checkFrame,
  decodeBody,
  FRAME_HEADER_BYTES,
  MAX_RECORD_BODY,
  RecordWriter,
} from "./record_codec.ts";

/** Bytes in a segment file header. */
export const SEGMENT_HEADER_BYTES = 20;
/** The on-disk format version written by this code. */
export const SEGMENT_FORMAT_VERSION = 1;

const MAGIC = [0x52, 0x42, 0x4c, 0x47]; // "RBLG"
const NAME = /^segment-(\d{20})\.log$/;
const TWO_32 = 2 ** 32;

/** The file name of segment `seq`. */
export function segmentName(seq: number): string {
  return `segment-${String(seq).padStart(20, "0")}.log`;
}

/** The sequence number in a segment file name, or undefined if `name` is not one. */
export function parseSegmentName(name: string): number | undefined {
  const match = NAME.exec(name);
  if (match === null) return undefined;
  const seq = Number(match[1]);
  return Number.isSafeInteger(seq) && seq > 0 ? seq : undefined;
}

/** The sequence numbers of the segment files among `names`, ascending. */
export function segmentSeqs(names: readonly string[]): number[] {
  const seqs: number[] = [];
  for (const name of names) {
    const seq = parseSegmentName(name);
    if (seq !== undefined) seqs.push(seq);
  }
  return seqs.sort((a, b) => a - b);
}

/** The header of segment `seq`. */
export function encodeSegmentHeader(seq: number): Uint8Array {
  const bytes = new Uint8Array(SEGMENT_HEADER_BYTES);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  bytes[4] = SEGMENT_FORMAT_VERSION;
  view.setUint32(8, seq >>> 0, true);
  view.setUint32(12, Math.floor(seq / TWO_32), true);
  view.setUint32(16, crc32(bytes, 0, 16), true);
  return bytes;
}

/** The result of checking a segment header: ok, a version this code cannot read, or damaged. */
export type HeaderCheck =
  | { readonly kind: "ok" }
  | { readonly kind: "unsupported_version"; readonly version: number }
  | { readonly kind: "damaged"; readonly reason: string };

/** Checks the header at the start of `bytes` against the expected sequence number. */
export function checkSegmentHeader(bytes: Uint8Array, seq: number): HeaderCheck {
  if (bytes.length < SEGMENT_HEADER_BYTES) return { kind: "damaged", reason: "the file header is incomplete" };
  const view = new DataView(bytes.buffer, bytes.byteOffset, SEGMENT_HEADER_BYTES);
  if (crc32(bytes, 0, 16) !== view.getUint32(16, true)) {
    return { kind: "damaged", reason: "the file header checksum does not match" };
  }
  if (MAGIC.some((b, i) => bytes[i] !== b)) return { kind: "damaged", reason: "the file is not a log segment" };
  if (bytes[4] !== SEGMENT_FORMAT_VERSION) return { kind: "unsupported_version", version: bytes[4] };
  const stored = view.getUint32(12, true) * TWO_32 + view.getUint32(8, true);
  if (stored !== seq) return { kind: "damaged", reason: `the header names segment ${stored}` };
  return { kind: "ok" };
}

/** Checksummed bytes a torn-tail search may examine before it gives up and reports corruption. */
const SEARCH_BUDGET_BYTES = 256 * 1024 * 1024;

/**
 * Searches `bytes[from, end)` for an intact record (a frame whose checksum matches and whose body
 * decodes). Returns its offset, -1 if there is none, or -2 if the search ran out of budget.
 * Used to tell a torn tail (nothing intact follows the bad bytes) from corruption (something does).
 */
export function findIntactRecord(bytes: Uint8Array, from: number, end: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let budget = SEARCH_BUDGET_BYTES;
  for (let at = from; at + FRAME_HEADER_BYTES < end; at++) {
    const length = view.getUint32(at + 4, true);
    if (length === 0 || length > MAX_RECORD_BODY || at + FRAME_HEADER_BYTES + length > end) continue;
    budget -= length;
    if (budget < 0) return -2;
    const next = checkFrame(bytes, view, at, end);
    if (next < 0) continue;
    const body = at + FRAME_HEADER_BYTES;
    if (typeof decodeBody(bytes, view, body, next) !== "string") return at;
  }
  return -1;
}

/** The first bytes of segment `seq`: its header and a checkpoint record. */
export function segmentPrologue(seq: number, checkpoint: Checkpoint): Uint8Array {
  const writer = new RecordWriter(16 * 1024 * 1024, 1024);
  writer.checkpoint(checkpoint);
  const records = writer.bytes();
  const bytes = new Uint8Array(SEGMENT_HEADER_BYTES + records.length);
  bytes.set(encodeSegmentHeader(seq), 0);
  bytes.set(records, SEGMENT_HEADER_BYTES);
  return bytes;
}
