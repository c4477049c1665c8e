/**
 * UTF-8 encoding on the hot paths (log records, binary peer frames, idempotency fingerprints).
 * `Buffer#write` and `Buffer.from` produce the same bytes as `TextEncoder` (a lone surrogate
 * becomes U+FFFD in both) and are several times faster on Deno, whose `TextEncoder` copies
 * through its op layer; on Bun they cost the same.
 */
import { Buffer } from "node:buffer";

/** A Buffer over the same memory as `bytes` (no copy), for {@link utf8Into}. */
export function bufferView(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Writes the UTF-8 of `text` into `target` at `at` and returns the bytes written. The caller
 * guarantees room for `3 * text.length` bytes (the most UTF-8 a UTF-16 string can take), so the
 * text is never cut.
 */
export function utf8Into(target: Buffer, at: number, text: string): number {
  if (text.length === 0) return 0;
  if (target.length - at < 3 * text.length) throw new RangeError("utf8Into: no room for the worst case");
  return target.write(text, at, "utf8");
}

/** The UTF-8 of `text` as a new Uint8Array. */
export function utf8Bytes(text: string): Uint8Array {
  const buffer = Buffer.from(text, "utf8");
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
