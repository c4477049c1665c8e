import { describe, expect, it } from "bun:test";
import {
  hasJointMajority,
  hasMajority,
  jointMajorityValue,
  majorityValue,
  type NodeId,
} from "../../packages/core/src/mod.ts";
import { ids, voters } from "../helpers/core_harness.ts";

/** A value lookup from a plain record. */
function valuesOf(record: Record<string, number>): (id: NodeId) => number {
  return (id) => record[id] ?? 0;
}

describe("majorityValue()", () => {
  // The value reached by a majority: the (floor(n/2)+1)-th largest, worked out by hand.
  const table: Array<[string, Record<string, number>, number]> = [
    ["1 voter", { a: 7 }, 7],
    ["2 voters", { a: 3, b: 5 }, 3],
    ["3 voters", { a: 1, b: 5, c: 3 }, 3],
    ["3 voters, two equal", { a: 5, b: 5, c: 0 }, 5],
    ["4 voters", { a: 4, b: 1, c: 3, d: 2 }, 2],
    ["4 voters, top three equal", { a: 9, b: 9, c: 9, d: 1 }, 9],
    ["5 voters", { a: 5, b: 1, c: 4, d: 2, e: 3 }, 3],
    ["5 voters, all zero but two", { a: 0, b: 8, c: 0, d: 8, e: 0 }, 0],
    ["5 voters, all equal", { a: 6, b: 6, c: 6, d: 6, e: 6 }, 6],
  ];

  for (const [name, record, expected] of table) {
    it(`majorityValue() of ${name} is ${expected}`, () => {
      expect(majorityValue(ids(...Object.keys(record)), valuesOf(record))).toBe(expected);
    });
  }

  it("majorityValue() of no voters is 0", () => {
    expect(majorityValue([], () => 99)).toBe(0);
  });

  it("majorityValue() gives the same answers when called repeatedly with different sizes", () => {
    const five = { a: 5, b: 1, c: 4, d: 2, e: 3 };
    const three = { a: 1, b: 5, c: 3 };
    expect(majorityValue(ids(...Object.keys(five)), valuesOf(five))).toBe(3);
    expect(majorityValue(ids(...Object.keys(three)), valuesOf(three))).toBe(3);
    expect(majorityValue(ids("a", "b"), valuesOf({ a: 10, b: 20 }))).toBe(10);
    expect(majorityValue(ids(...Object.keys(five)), valuesOf(five))).toBe(3);
  });
});

describe("jointMajorityValue()", () => {
  it("jointMajorityValue() of a plain configuration is the voters' majority value", () => {
    const config = voters(["a", "b", "c"], [], ["d"]);
    expect(jointMajorityValue(config, valuesOf({ a: 5, b: 4, c: 3, d: 100 }))).toBe(4);
  });

  it("jointMajorityValue() during joint consensus is the smaller of both sets' majority values", () => {
    const config = voters(["a", "b", "c"], ["c", "d"]);
    expect(jointMajorityValue(config, valuesOf({ a: 5, b: 4, c: 3, d: 1 }))).toBe(1);
    expect(jointMajorityValue(config, valuesOf({ a: 1, b: 2, c: 9, d: 9 }))).toBe(2);
    expect(jointMajorityValue(config, valuesOf({ a: 7, b: 7, c: 7, d: 7 }))).toBe(7);
  });

  it("jointMajorityValue() of the empty configuration is 0", () => {
    expect(jointMajorityValue(voters([]), () => 5)).toBe(0);
  });
});

describe("hasMajority()", () => {
  // For n voters, a majority is floor(n/2)+1 of them.
  const table: Array<[string[], string[], boolean]> = [
    [["a"], [], false],
    [["a"], ["a"], true],
    [["a", "b"], ["a"], false],
    [["a", "b"], ["a", "b"], true],
    [["a", "b", "c"], ["c"], false],
    [["a", "b", "c"], ["a", "c"], true],
    [["a", "b", "c", "d"], ["a", "b"], false],
    [["a", "b", "c", "d"], ["a", "b", "d"], true],
    [["a", "b", "c", "d", "e"], ["b", "e"], false],
    [["a", "b", "c", "d", "e"], ["a", "c", "e"], true],
    [["a", "b", "c"], ["a", "x", "y", "z"], false], // Non-voters do not count.
  ];

  for (const [list, granted, expected] of table) {
    it(`hasMajority() of ${list.length} voters with {${granted.join(",")}} is ${expected}`, () => {
      expect(hasMajority(ids(...list), new Set(ids(...granted)))).toBe(expected);
    });
  }

  it("hasMajority() with no voters is false", () => {
    expect(hasMajority([], new Set(ids("a")))).toBe(false);
  });
});

describe("hasJointMajority()", () => {
  it("hasJointMajority() of a plain configuration needs only a voter majority; learners do not count", () => {
    const config = voters(["a", "b", "c"], [], ["x", "y"]);
    expect(hasJointMajority(config, new Set(ids("a", "b")))).toBe(true);
    expect(hasJointMajority(config, new Set(ids("a", "x", "y")))).toBe(false);
  });

  it("hasJointMajority() during joint consensus needs a majority of both sets", () => {
    const config = voters(["a", "b", "c"], ["c", "d", "e"]);
    expect(hasJointMajority(config, new Set(ids("a", "b")))).toBe(false); // Old only.
    expect(hasJointMajority(config, new Set(ids("d", "e")))).toBe(false); // New only.
    expect(hasJointMajority(config, new Set(ids("a", "c", "d")))).toBe(true);
    expect(hasJointMajority(config, new Set(ids("b", "c", "e")))).toBe(true);
    expect(hasJointMajority(config, new Set(ids("a", "b", "d")))).toBe(false); // Old majority, but only d of the new voters.
  });

  it("hasJointMajority() of a single self voter in each set is true with that voter alone", () => {
    expect(hasJointMajority(voters(["a"]), new Set(ids("a")))).toBe(true);
    expect(hasJointMajority(voters(["a", "b", "c"], ["a"]), new Set(ids("a")))).toBe(false);
    expect(hasJointMajority(voters(["a"], ["b"]), new Set(ids("a")))).toBe(false);
  });
});
