import { describe, expect, it } from "bun:test";
import { ClusterConfig } from "../../packages/core/src/mod.ts";
import { id, ids } from "../helpers/core_harness.ts";

describe("ClusterConfig", () => {
  it("ClusterConfig sorts and de-duplicates every set and freezes itself", () => {
    const c = new ClusterConfig({
      voters: ids("n3", "n1", "n3"),
      newVoters: ids("n2", "n2"),
      nonVoters: ids("n9", "n4"),
    });
    expect(c.voters).toEqual(ids("n1", "n3"));
    expect(c.newVoters).toEqual(ids("n2"));
    expect(c.nonVoters).toEqual(ids("n4", "n9"));
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.voters)).toBe(true);
  });

  it("ClusterConfig.EMPTY has no members and is not joint", () => {
    expect(ClusterConfig.EMPTY.voters).toEqual([]);
    expect(ClusterConfig.EMPTY.newVoters).toEqual([]);
    expect(ClusterConfig.EMPTY.nonVoters).toEqual([]);
    expect(ClusterConfig.EMPTY.isJoint).toBe(false);
    expect(ClusterConfig.EMPTY.uniqueNodes()).toEqual([]);
    expect(ClusterConfig.EMPTY.equals(new ClusterConfig({}))).toBe(true);
  });

  it("ClusterConfig.isJoint is true iff new voters is non-empty", () => {
    expect(new ClusterConfig({ voters: ids("n1") }).isJoint).toBe(false);
    expect(new ClusterConfig({ voters: ids("n1"), nonVoters: ids("n2") }).isJoint).toBe(false);
    expect(new ClusterConfig({ voters: ids("n1"), newVoters: ids("n2") }).isJoint).toBe(true);
  });

  it("ClusterConfig.contains() and isVoter() see every set, learners only in contains()", () => {
    const c = new ClusterConfig({ voters: ids("n1"), newVoters: ids("n2"), nonVoters: ids("n3") });
    for (const n of ids("n1", "n2", "n3")) expect(c.contains(n)).toBe(true);
    expect(c.contains(id("n4"))).toBe(false);
    expect(c.isVoter(id("n1"))).toBe(true);
    expect(c.isVoter(id("n2"))).toBe(true);
    expect(c.isVoter(id("n3"))).toBe(false);
    expect(c.isVoter(id("n4"))).toBe(false);
  });

  it("ClusterConfig.uniqueNodes() is the sorted union of all three sets (raftbare config::tests::unique_nodes)", () => {
    const c = new ClusterConfig({
      voters: ids("n1", "n2"),
      newVoters: ids("n2", "n3"),
      nonVoters: ids("n6", "n5", "n4"),
    });
    expect(c.uniqueNodes()).toEqual(ids("n1", "n2", "n3", "n4", "n5", "n6"));
    expect(c.uniqueVoters()).toEqual(ids("n1", "n2", "n3"));
  });

  it("ClusterConfig.toJointConsensus() sets new voters to (voters + adding) - removing and keeps learners", () => {
    const c = new ClusterConfig({ voters: ids("n1", "n2", "n3"), nonVoters: ids("n9") });
    const joint = c.toJointConsensus(ids("n4", "n5"), ids("n1"));
    expect(joint.voters).toEqual(ids("n1", "n2", "n3"));
    expect(joint.newVoters).toEqual(ids("n2", "n3", "n4", "n5"));
    expect(joint.nonVoters).toEqual(ids("n9"));
    expect(joint.isJoint).toBe(true);
    expect(c.isJoint).toBe(false); // The original is untouched.
  });

  it("ClusterConfig.toJointConsensus() removing every voter yields a configuration that is not joint", () => {
    const c = new ClusterConfig({ voters: ids("n1", "n2") });
    const none = c.toJointConsensus([], ids("n1", "n2"));
    expect(none.newVoters).toEqual([]);
    expect(none.isJoint).toBe(false);
    expect(none.equals(c)).toBe(true);
  });

  it("ClusterConfig.toJointConsensus() adding a learner promotes it: it leaves the learners", () => {
    const c = new ClusterConfig({ voters: ids("n1"), nonVoters: ids("n2", "n3") });
    const joint = c.toJointConsensus(ids("n2"), []);
    expect(joint.newVoters).toEqual(ids("n1", "n2"));
    expect(joint.nonVoters).toEqual(ids("n3")); // n3 stays a learner.
    expect(joint.isVoter(id("n2"))).toBe(true);
  });

  it("ClusterConfig.with() replaces only the given sets", () => {
    const c = new ClusterConfig({ voters: ids("n1"), newVoters: ids("n2"), nonVoters: ids("n3") });
    const d = c.with({ voters: ids("n5", "n4") });
    expect(d.voters).toEqual(ids("n4", "n5"));
    expect(d.newVoters).toEqual(ids("n2"));
    expect(d.nonVoters).toEqual(ids("n3"));
    expect(c.with({}).equals(c)).toBe(true);
  });

  it("ClusterConfig.equals() compares all three sets, ignoring input order and duplicates", () => {
    const a = new ClusterConfig({ voters: ids("n1", "n2"), newVoters: ids("n3"), nonVoters: ids("n4") });
    const b = new ClusterConfig({ voters: ids("n2", "n1", "n1"), newVoters: ids("n3"), nonVoters: ids("n4") });
    expect(a.equals(b)).toBe(true);
    expect(a.equals(b.with({ voters: ids("n1") }))).toBe(false);
    expect(a.equals(b.with({ voters: ids("n1", "n5") }))).toBe(false);
    expect(a.equals(b.with({ newVoters: [] }))).toBe(false);
    expect(a.equals(b.with({ nonVoters: ids("n5") }))).toBe(false);
  });

  it("ClusterConfig.toJSON() gives plain arrays and addresses that rebuild an equal configuration", () => {
    const c = new ClusterConfig({
      voters: ids("n2", "n1"),
      newVoters: ids("n3"),
      nonVoters: ids("n4"),
      addresses: { n4: "http://d:4", n1: "http://a:1" },
    });
    const json = JSON.parse(JSON.stringify(c));
    expect(json).toEqual({
      voters: ["n1", "n2"],
      newVoters: ["n3"],
      nonVoters: ["n4"],
      addresses: { n1: "http://a:1", n4: "http://d:4" },
    });
    expect(new ClusterConfig(json).equals(c)).toBe(true);
  });

  it("ClusterConfig keeps addresses of members only, and equals() compares them", () => {
    const c = new ClusterConfig({ voters: ids("n1", "n2"), addresses: { n1: "http://a", n9: "http://z" } });
    expect<unknown>([...c.addresses]).toEqual([["n1", "http://a"]]);
    expect(c.addressOf(id("n1"))).toBe("http://a");
    expect(c.addressOf(id("n2"))).toBeUndefined();
    expect(c.equals(new ClusterConfig({ voters: ids("n1", "n2") }))).toBe(false);
    expect(c.sameMembers(new ClusterConfig({ voters: ids("n1", "n2") }))).toBe(true);
    expect(c.equals(new ClusterConfig({ voters: ids("n2", "n1"), addresses: new Map([[id("n1"), "http://a"]]) }))).toBe(
      true,
    );
  });

  it("ClusterConfig.toJointConsensus() and with() keep the addresses of remaining members and add new ones", () => {
    const c = new ClusterConfig({ voters: ids("n1", "n2"), addresses: { n1: "http://a", n2: "http://b" } });
    const joint = c.toJointConsensus(ids("n3"), ids("n1"), { n3: "http://c" });
    expect(Object.fromEntries(joint.addresses)).toEqual({ n1: "http://a", n2: "http://b", n3: "http://c" });
    const final = joint.with({ voters: joint.newVoters, newVoters: [] });
    expect(Object.fromEntries(final.addresses)).toEqual({ n2: "http://b", n3: "http://c" });
    expect(c.with({ addresses: { n2: "http://b2" } }).addressOf(id("n2"))).toBe("http://b2");
    expect(ClusterConfig.EMPTY.isEmpty).toBe(true);
    expect(c.isEmpty).toBe(false);
  });
});
