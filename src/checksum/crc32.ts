/**
 * CRC-32 (ISO-HDLC, the zlib/PNG/Ethernet polynomial), the one checksum of the project: storage
 * records and snapshot files, KV snapshots and streamed snapshot transfers. Uses the runtime's
 * native `zlib.crc32` when it exists (Bun, Deno, Node >= 22) and a slicing-by-8 table otherwise;
 * both give the same values, and both continue from a previous result (`seed`).
 */
import * as zlib from "node:zlib";

const TABLE = buildTable();

function buildTable(): Int32Array {
  const table = new Int32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = table[n];
    for (let t = 1; t < 8; t++) {
      c = table[c & 0xff] ^ (c >>> 8);
      table[t * 256 + n] = c;
    }
  }
  return table;
}

/** The CRC-32 of `bytes[start, end)` computed in JavaScript, continuing from `seed` (a previous result). */
export function crc32Table(bytes: Uint8Array, start = 0, end = bytes.length, seed = 0): number {
  const t = TABLE;
  let c = ~seed;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const a = c ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    c =
      t[1792 + (a & 0xff)] ^
      t[1536 + ((a >>> 8) & 0xff)] ^
      t[1280 + ((a >>> 16) & 0xff)] ^
      t[1024 + (a >>> 24)] ^
      t[768 + bytes[i + 4]] ^
      t[512 + bytes[i + 5]] ^
      t[256 + bytes[i + 6]] ^
      t[bytes[i + 7]];
  }
  for (; i < end; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

type NativeCrc32 = (data: Uint8Array, value?: number) => number;

const native: NativeCrc32 | undefined =
  typeof (zlib as { crc32?: unknown }).crc32 === "function" ? (zlib as { crc32: NativeCrc32 }).crc32 : undefined;

/** True iff the runtime's native CRC-32 is in use. */
export const hasNativeCrc32: boolean = native !== undefined;

/** The CRC-32 of `bytes[start, end)`, continuing from `seed` (a previous result; 0 to start). */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length, seed = 0): number {
  if (native === undefined) return crc32Table(bytes, start, end, seed);
  return native(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end), seed) >>> 0;
}
