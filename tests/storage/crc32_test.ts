import { describe, expect, it } from "bun:test";
import { crc32, crc32Table } from "../../src/storage/mod.ts";
import { prng } from "./storage_helpers.ts";

const CHECK = new TextEncoder().encode("123456789");

describe("crc32", () => {
  it("crc32() and crc32Table() give the standard check value 0xCBF43926", () => {
    expect(crc32(CHECK)).toBe(0xcbf43926);
    expect(crc32Table(CHECK)).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it("crc32Table() equals crc32() on random ranges and continues from a seed", () => {
    const random = prng(7);
    const bytes = new Uint8Array(4096).map(() => Math.floor(random() * 256));
    for (let trial = 0; trial < 200; trial++) {
      const start = Math.floor(random() * 2048);
      const end = start + Math.floor(random() * 2048);
      expect(crc32Table(bytes, start, end)).toBe(crc32(bytes, start, end));
    }
    const whole = crc32(bytes);
    expect(crc32(bytes, 1000, bytes.length, crc32(bytes, 0, 1000))).toBe(whole);
    expect(crc32Table(bytes, 1000, bytes.length, crc32Table(bytes, 0, 1000))).toBe(whole);
  });
});
