/** CRC-32 (IEEE 802.3, as in zlib and PNG), computable piece by piece for streamed snapshots. */

const TABLE = buildTable();

function buildTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/**
 * Extends the CRC-32 `crc` of the bytes seen so far with `bytes`; start from 0. So
 * `crc32(b, crc32(a))` equals the CRC-32 of `a` followed by `b`, and `crc32("123456789")` is 0xcbf43926.
 */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
