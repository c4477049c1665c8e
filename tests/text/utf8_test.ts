import { describe, expect, it } from "bun:test";
import { bufferView, utf8Bytes, utf8Into } from "../../src/text/utf8.ts";

const samples = [
  "",
  "plain ASCII",
  '{"op":"put","key":"k","value":"v"}',
  "é ß 日本 \u{1F600}",
  "a lone high surrogate \ud800 here",
  "a lone low surrogate \udfff here",
  "\ud800",
  "\udfff\ud800",
  "x".repeat(10_000),
];

describe("utf8", () => {
  it("utf8Bytes gives exactly TextEncoder's bytes, lone surrogates included", () => {
    const encoder = new TextEncoder();
    for (const text of samples) expect(utf8Bytes(text)).toEqual(encoder.encode(text));
  });

  it("utf8Into writes TextEncoder's bytes at the offset and touches nothing else", () => {
    const encoder = new TextEncoder();
    for (const text of samples) {
      const target = new Uint8Array(7 + 3 * text.length + 5).fill(0xaa);
      const written = utf8Into(bufferView(target), 7, text);
      const want = encoder.encode(text);
      expect(written).toBe(want.length);
      expect(target.subarray(7, 7 + written)).toEqual(want);
      expect([...target.subarray(0, 7), ...target.subarray(7 + written)].every((b) => b === 0xaa)).toBe(true);
    }
  });

  it("utf8Into refuses a target without room for the worst case", () => {
    const target = bufferView(new Uint8Array(9));
    expect(utf8Into(target, 0, "abc")).toBe(3);
    expect(utf8Into(target, 6, "a")).toBe(1);
    expect(() => utf8Into(target, 0, "abcd")).toThrow(RangeError);
    expect(() => utf8Into(target, 7, "a")).toThrow(RangeError);
  });

  it("bufferView shares memory with its Uint8Array, offset included", () => {
    const backing = new Uint8Array(16);
    const part = backing.subarray(4, 12);
    const view = bufferView(part);
    view[0] = 9;
    expect(backing[4]).toBe(9);
    expect(view.length).toBe(8);
  });
});
