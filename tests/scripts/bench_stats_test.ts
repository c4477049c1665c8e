import { describe, expect, it } from "bun:test";
import { keyIndexOf, keyNames, nodeOf, PHASES, writtenValue } from "../../scripts/bench/phases.ts";
import { median, percentile, ratio, spreadOf } from "../../scripts/bench/stats.ts";

describe("the benchmark's order statistics", () => {
  it("percentile() is the nearest rank of an ascending list", () => {
    const sorted = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(percentile(sorted, 0.5)).toBe(5);
    expect(percentile(sorted, 0.99)).toBe(10);
    expect(percentile(sorted, 0.1)).toBe(1);
    expect(percentile(sorted, 1)).toBe(10);
    expect(percentile([7], 0.5)).toBe(7);
    expect(percentile([], 0.5)).toBeNaN();
    expect(() => percentile(sorted, 0)).toThrow("(0, 1]");
    expect(() => percentile(sorted, 50)).toThrow("(0, 1]");
  });

  it("median() takes the middle one, or the mean of the middle two, of unsorted values", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it("spreadOf() gives median, min, max and count, leaving out figures that are not finite", () => {
    expect(spreadOf([10, 30, 20])).toEqual({ median: 20, min: 10, max: 30, n: 3 });
    expect(spreadOf([10, Number.NaN, 30])).toEqual({ median: 20, min: 10, max: 30, n: 2 });
    expect(spreadOf([Number.NaN])).toEqual({ median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 });
  });

  it("ratio() is NaN when either side is missing or the divisor is 0", () => {
    expect(ratio(6, 3)).toBe(2);
    expect(ratio(6, 0)).toBeNaN();
    expect(ratio(Number.NaN, 3)).toBeNaN();
    expect(ratio(6, Number.NaN)).toBeNaN();
  });
});

describe("the benchmark's phases", () => {
  it("PHASES are the writes at 1, 16, 64, 256 both ways, then the reads at 1 and 256 both ways", () => {
    expect(PHASES.map((p) => p.id)).toEqual([
      "write-leader-1",
      "write-leader-16",
      "write-leader-64",
      "write-leader-256",
      "write-spread-1",
      "write-spread-16",
      "write-spread-64",
      "write-spread-256",
      "read-leader-1",
      "read-leader-256",
      "read-spread-1",
      "read-spread-256",
    ]);
  });

  it("nodeOf() sends everything to the leader, or every node the same share at any number in flight", () => {
    expect([0, 1, 2, 3].map((k) => nodeOf("leader", 2, 3, 5, k))).toEqual([2, 2, 2, 2]);
    expect([0, 1, 2, 3, 4, 5].map((k) => nodeOf("spread", 2, 3, 0, k))).toEqual([0, 1, 2, 0, 1, 2]);
    for (const inFlight of [1, 16, 64, 256]) {
      const counts = [0, 0, 0];
      for (let w = 0; w < inFlight; w++) for (let k = 0; k < 3; k++) counts[nodeOf("spread", 0, 3, w, k)]++;
      expect(counts).toEqual([inFlight, inFlight, inFlight]);
    }
  });

  it("keyIndexOf() walks the keys in order for writes and visits every key once per round for reads", () => {
    expect([0, 1, 2, 1000, 1001].map((i) => keyIndexOf("write", i, 1000))).toEqual([0, 1, 2, 0, 1]);
    const reads = new Set(Array.from({ length: 1000 }, (_, i) => keyIndexOf("read", i, 1000)));
    expect(reads.size).toBe(1000);
    expect(keyIndexOf("read", 1, 1000)).not.toBe(1);
  });

  it("keyNames() and writtenValue() make distinct keys and values of exactly the asked length", () => {
    expect(keyNames(3)).toEqual(["bench-000000", "bench-000001", "bench-000002"]);
    expect(writtenValue(42, 8)).toBe("vvvvvv42");
    expect(writtenValue(123456, 4)).toBe("3456");
    expect(writtenValue(7, 100)).toHaveLength(100);
  });
});
