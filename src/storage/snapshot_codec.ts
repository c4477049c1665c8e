/**
 * The snapshot file format: the one encoding of a snapshot on disk, in a download and in a backup.
 * A file is self-describing: what it covers (term and index), the configuration in force there and
 * the state machine's bytes, framed by a magic and a version and closed by a CRC-32.
 *
 * File: magic "RBSN" | version u8 | 3 zero bytes | term u64 | index u64 | config length u32 |
 * config JSON | data | data length u64 | crc32 of everything before it u32 (all little-endian).
 * The length trails the data so chunks can be streamed from a generator without buffering them.
 */

import { assert, type LogPosition } from "../../packages/core/src/mod.ts";
import { crc32 } from "../checksum/crc32.ts";
import { StorageError } from "./errors.ts";
import { configJson, decodeConfig } from "./record_codec.ts";
import type { Snapshot, SnapshotMeta } from "./types.ts";

/** The snapshot file format version written (and read) by this code. */
export const SNAPSHOT_FORMAT_VERSION = 1;
/** The four bytes every snapshot file starts with: ASCII `RBSN`. */
export const SNAPSHOT_FILE_MAGIC: readonly number[] = [0x52, 0x42, 0x53, 0x4e];
/** Bytes before the configuration JSON: magic, version, padding, term, index, config length. */
export const SNAPSHOT_FIXED_BYTES = 28;
/** Bytes after the data: its length and the CRC-32. */
export const SNAPSHOT_TRAILER_BYTES = 12;

const TWO_32 = 2 ** 32;

function putU64(view: DataView, at: number, n: number): void {
  view.setUint32(at, n >>> 0, true);
  view.setUint32(at + 4, Math.floor(n / TWO_32), true);
}

/** A u64 as a safe integer, or -1 if it is beyond one. */
function getU64(view: DataView, at: number): number {
  const hi = view.getUint32(at + 4, true);
  return hi >= 0x200000 ? -1 : hi * TWO_32 + view.getUint32(at, true);
}

/** The bytes before the data: the fixed fields and the configuration JSON. */
export function encodeSnapshotHeader(meta: SnapshotMeta): Uint8Array {
  const { term, index } = meta.position;
  assert(Number.isSafeInteger(term) && term >= 0, "a snapshot term is a non-negative safe integer");
  assert(Number.isSafeInteger(index) && index >= 0, "a snapshot index is a non-negative safe integer");
  const json = new TextEncoder().encode(configJson(meta.config));
  const bytes = new Uint8Array(SNAPSHOT_FIXED_BYTES + json.length);
  const view = new DataView(bytes.buffer);
  bytes.set(SNAPSHOT_FILE_MAGIC, 0);
  bytes[4] = SNAPSHOT_FORMAT_VERSION;
  putU64(view, 8, term);
  putU64(view, 16, index);
  view.setUint32(24, json.length, true);
  bytes.set(json, SNAPSHOT_FIXED_BYTES);
  return bytes;
}

/** The bytes after the data: its length, and the CRC of everything before the CRC (`crcSoFar` covers header and data). */
export function encodeSnapshotTrailer(dataLength: number, crcSoFar: number): Uint8Array {
  const bytes = new Uint8Array(SNAPSHOT_TRAILER_BYTES);
  const view = new DataView(bytes.buffer);
  putU64(view, 0, dataLength);
  view.setUint32(8, crc32(bytes, 0, 8, crcSoFar), true);
  return bytes;
}

/** A whole snapshot file in memory (the in-memory twin and tests; the file store streams its parts). */
export function encodeSnapshotFile(meta: SnapshotMeta, data: Uint8Array): Uint8Array {
  const header = encodeSnapshotHeader(meta);
  const trailer = encodeSnapshotTrailer(data.length, crc32(data, 0, data.length, crc32(header)));
  const bytes = new Uint8Array(header.length + data.length + trailer.length);
  bytes.set(header, 0);
  bytes.set(data, header.length);
  bytes.set(trailer, header.length + data.length);
  return bytes;
}

/** The parts of a snapshot file that {@link checkSnapshotParts} validates without holding the data. */
export interface SnapshotFileParts {
  /** The file's length in bytes. */
  readonly size: number;
  /** The file's first bytes: at least the fixed fields, and the configuration JSON if the file holds it. */
  readonly head: Uint8Array;
  /** The file's last {@link SNAPSHOT_TRAILER_BYTES} bytes. */
  readonly trailer: Uint8Array;
  /** The CRC-32 of every byte but the last four. */
  readonly crc: number;
}

/** A validated snapshot file's metadata and where its data lies. */
export interface CheckedSnapshotFile {
  readonly meta: SnapshotMeta;
  /** Offset of the first data byte. */
  readonly dataStart: number;
  /** Offset just after the last data byte. */
  readonly dataEnd: number;
}

function corrupt(label: string, offset: number, reason: string, file?: string): StorageError {
  return new StorageError("corrupt", `${label} is corrupt at byte ${offset}: ${reason}`, { file, offset });
}

/**
 * Validates a snapshot file from its parts (checksum first, then every field). `label` names it in
 * messages ("The snapshot /data/…", "The backup backup.snap"); `file` goes into the error's location.
 * Throws a {@link StorageError} `corrupt` or `unsupported_version`.
 */
export function checkSnapshotParts(parts: SnapshotFileParts, label: string, file?: string): CheckedSnapshotFile {
  const { size, head, trailer } = parts;
  if (size < SNAPSHOT_FIXED_BYTES + SNAPSHOT_TRAILER_BYTES) {
    throw corrupt(label, 0, `the file is too short (${size} bytes): it is incomplete or not a snapshot`, file);
  }
  const tail = new DataView(trailer.buffer, trailer.byteOffset, trailer.byteLength);
  const stored = tail.getUint32(8, true);
  if (SNAPSHOT_FILE_MAGIC.some((b, i) => head[i] !== b)) {
    throw corrupt(label, 0, "the file is not a snapshot (its first bytes are not the magic RBSN)", file);
  }
  if (parts.crc !== stored) {
    const hex = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;
    const why = `the checksum does not match (stored ${hex(stored)}, computed ${hex(parts.crc)}): the file is incomplete or damaged`;
    throw corrupt(label, size - 4, why, file);
  }
  if (head[4] !== SNAPSHOT_FORMAT_VERSION) {
    throw new StorageError(
      "unsupported_version",
      `${label} has snapshot format version ${head[4]}; this node reads version ${SNAPSHOT_FORMAT_VERSION}`,
      { file, offset: 4 },
    );
  }
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const term = getU64(view, 8);
  const index = getU64(view, 16);
  if (term < 0 || index < 0) throw corrupt(label, 8, "the position is beyond a safe integer", file);
  const dataStart = SNAPSHOT_FIXED_BYTES + view.getUint32(24, true);
  const dataEnd = size - SNAPSHOT_TRAILER_BYTES;
  if (dataStart > dataEnd) throw corrupt(label, 24, "the configuration overruns the file", file);
  if (head.length < dataStart) throw corrupt(label, SNAPSHOT_FIXED_BYTES, "the configuration was not read", file);
  const config = decodeConfig(head, SNAPSHOT_FIXED_BYTES, dataStart);
  if (typeof config === "string") throw corrupt(label, SNAPSHOT_FIXED_BYTES, config, file);
  if (getU64(tail, 0) !== dataEnd - dataStart) throw corrupt(label, dataEnd, "the data length does not match", file);
  const position = { term, index } as LogPosition;
  return { meta: { position, config }, dataStart, dataEnd };
}

/** Validates and decodes a whole snapshot file (see {@link checkSnapshotParts} for `label` and the errors). */
export function decodeSnapshotFile(bytes: Uint8Array, label: string, file?: string): Snapshot {
  const size = bytes.length;
  const short = size < SNAPSHOT_FIXED_BYTES + SNAPSHOT_TRAILER_BYTES;
  const parts: SnapshotFileParts = {
    size,
    head: bytes,
    trailer: short ? new Uint8Array(SNAPSHOT_TRAILER_BYTES) : bytes.subarray(size - SNAPSHOT_TRAILER_BYTES),
    crc: short ? 0 : crc32(bytes, 0, size - 4),
  };
  const checked = checkSnapshotParts(parts, label, file);
  return { meta: checked.meta, data: bytes.slice(checked.dataStart, checked.dataEnd) };
}
