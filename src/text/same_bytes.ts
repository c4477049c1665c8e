/** Comparing secrets (API and cluster tokens) without leaking where they first differ. */

/**
 * True iff `a` and `b` hold the same bytes, in time that depends only on their length (a token's
 * length is no secret worth hiding: tokens are generated at a fixed length).
 */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let diff = 0;
  for (let i = 0; i < a.byteLength; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
