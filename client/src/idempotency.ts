/**
 * Idempotency keys of writes (draft-ietf-httpapi-idempotency-key-header): one key per logical
 * write, sent on every attempt of it as an RFC 8941 sf-string, so the service applies the write at
 * most once however often it is retried.
 */

/** Longest key the service accepts, in characters. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 128;

/** Printable ASCII, the characters an sf-string may carry. */
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/** Throws a TypeError unless `key` is 1..128 printable ASCII characters (a caller's bug otherwise). */
export function checkIdempotencyKey(key: string): void {
  if (typeof key !== "string") throw new TypeError(`an idempotency key must be a string, not ${typeof key}`);
  if (key.length < 1 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw new TypeError(`an idempotency key must have 1..${MAX_IDEMPOTENCY_KEY_LENGTH} characters: ${key.length}`);
  }
  if (!PRINTABLE_ASCII.test(key)) throw new TypeError("an idempotency key must be printable ASCII");
}

/** The header value of `key`: an sf-string, quoted, with `"` and `\` escaped. */
export function idempotencyHeaderValue(key: string): string {
  checkIdempotencyKey(key);
  return `"${key.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/**
 * A fresh random key: `crypto.randomUUID()`, or a version 4 UUID from `crypto.getRandomValues`
 * where randomUUID is missing (browsers outside secure contexts).
 */
export function newIdempotencyKey(): string {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === "function") return c.randomUUID();
  if (typeof c?.getRandomValues !== "function") throw new Error("no crypto.getRandomValues to make idempotency keys");
  return uuidV4(c.getRandomValues(new Uint8Array(16)));
}

/** The version 4 UUID made of 16 random bytes (version and variant bits set as RFC 9562 says). */
export function uuidV4(random: Uint8Array): string {
  if (random.length !== 16) throw new RangeError(`a UUID takes 16 random bytes: ${random.length}`);
  const bytes = Uint8Array.from(random);
  bytes[6] = (bytes[6] & 0x0f) | 0x40; // Version 4.
  bytes[8] = (bytes[8] & 0x3f) | 0x80; // The RFC 9562 variant.
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
