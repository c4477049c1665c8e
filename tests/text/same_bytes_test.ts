import { describe, expect, it } from "bun:test";
import { sameBytes } from "../../src/text/same_bytes.ts";
import { utf8Bytes } from "../../src/text/utf8.ts";

describe("sameBytes", () => {
  it("is true only for the same bytes", () => {
    const token = utf8Bytes(`${"a".repeat(31)}b`);
    expect(sameBytes(token, utf8Bytes(`${"a".repeat(31)}b`))).toBe(true);
    expect(sameBytes(token, utf8Bytes("a".repeat(32)))).toBe(false);
    expect(sameBytes(token, utf8Bytes(`b${"a".repeat(31)}`))).toBe(false);
    expect(sameBytes(token, utf8Bytes("a".repeat(31)))).toBe(false);
    expect(sameBytes(token, utf8Bytes(""))).toBe(false);
    expect(sameBytes(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });
});
