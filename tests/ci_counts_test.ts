import { describe, expect, it } from "bun:test";
import { leafCases, parseJunit } from "../scripts/junit_counts.ts";

describe("junit_counts", () => {
  it("parseJunit() reads names and marks failures and errors", () => {
    const xml = `<testsuites><testsuite>
      <testcase name="a &gt; b" time="1" />
      <testcase name="c"><failure message="x">boom</failure></testcase>
      <testcase name="d"><error message="y"/></testcase>
      <testcase name="e"></testcase>
    </testsuite></testsuites>`;
    expect(parseJunit(xml)).toEqual([
      { name: "a > b", failed: false },
      { name: "c", failed: true },
      { name: "d", failed: true },
      { name: "e", failed: false },
    ]);
  });

  it("leafCases() drops describe blocks that Deno reports as test cases", () => {
    const cases = [
      { name: "suite", failed: false },
      { name: "suite > one", failed: false },
      { name: "suite > two", failed: true },
      { name: "lonely", failed: false },
    ];
    expect(leafCases(cases).map((c) => c.name)).toEqual(["suite > one", "suite > two", "lonely"]);
  });
});
