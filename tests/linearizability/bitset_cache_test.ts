import { describe, expect, it } from "bun:test";
import { BitsetCache } from "./bitset_cache.ts";

describe("BitsetCache", () => {
  it("BitsetCache.add() adds a pair once, telling apart bitsets and states with one hash", () => {
    const cache = new BitsetCache<string>(2, (a, b) => a === b);
    const bits = new Uint32Array([1, 0]);
    expect(cache.add(7, bits, "a")).toBe(true);
    expect(cache.add(7, bits, "a")).toBe(false);
    expect(cache.add(7, bits, "b")).toBe(true);
    expect(cache.add(7, new Uint32Array([1, 1]), "a")).toBe(true);
    expect(cache.size).toBe(3);
  });

  it("BitsetCache.add() copies the bitset, so the caller may change it", () => {
    const cache = new BitsetCache<number>(1, (a, b) => a === b);
    const bits = new Uint32Array([5]);
    cache.add(1, bits, 0);
    bits[0] = 6;
    expect(cache.add(1, new Uint32Array([5]), 0)).toBe(false);
    expect(cache.add(1, bits, 0)).toBe(true);
  });

  it("BitsetCache keeps every entry through growth, colliding hashes included", () => {
    const cache = new BitsetCache<number>(3, (a, b) => a === b);
    const n = 5000;
    for (let i = 0; i < n; i++) expect(cache.add(i % 7, new Uint32Array([i, i >>> 1, 0]), i % 3)).toBe(true);
    for (let i = 0; i < n; i++) expect(cache.add(i % 7, new Uint32Array([i, i >>> 1, 0]), i % 3)).toBe(false);
    expect(cache.size).toBe(n);
    expect(cache.bytes).toBeGreaterThan(n * cache.bytesPerEntry * 0.5);
  });
});
