/** The election record: distinct terms with a leader, and the highest term. */
import { describe, expect, it } from "bun:test";
import { NodeId } from "../../packages/core/src/mod.ts";
import { ElectionTally } from "./elections.ts";

const node = (term: number, role: string) => ({ id: NodeId.of("n0"), raft: { currentTerm: term, role } });

describe("ElectionTally", () => {
  it("counts each term with a leader once, and tracks the highest term of any role", () => {
    const tally = new ElectionTally();
    expect([tally.elections, tally.maxTerm]).toEqual([0, 0]);
    tally.observe(node(1, "candidate"));
    tally.observe(node(1, "leader"));
    tally.observe(node(1, "leader"));
    tally.observe(node(3, "follower"));
    tally.observe(node(2, "leader")); // An old leader seen after a later term started.
    tally.observe(node(5, "candidate"));
    expect(tally.elections).toBe(2);
    expect(tally.maxTerm).toBe(5);
  });
});
