import { describe, expect, it } from "bun:test";
import { bootstrapped } from "../helpers/core_cluster.ts";
import { id, ids } from "../helpers/core_harness.ts";

/** n0 leads {n0, n1, n2} with learner n3, everything committed everywhere. */
function withLearner() {
  const c = bootstrapped(["n0", "n1", "n2"]);
  const n0 = c.node("n0");
  c.add("n3");
  expect(n0.proposeConfig(n0.config.with({ nonVoters: ids("n3") })).ok).toBe(true);
  c.run();
  n0.handleElectionTimeout();
  c.run();
  return c;
}

describe("learner promotion", () => {
  it("promoteLearner() moves a caught-up learner to voter through joint consensus", () => {
    const c = withLearner();
    const n0 = c.node("n0");
    const learner = n0.progress().find((p) => p.id === id("n3"));
    expect(learner).toMatchObject({ voter: false, matchIndex: n0.commitIndex, state: "replicate" });
    const result = n0.promoteLearner(id("n3"));
    expect(result.ok).toBe(true);
    expect(n0.config.isJoint).toBe(true);
    expect(n0.config.newVoters).toEqual(ids("n0", "n1", "n2", "n3"));
    expect(n0.config.nonVoters).toEqual([]);
    c.run();
    n0.handleElectionTimeout();
    c.run();
    expect(n0.config.isJoint).toBe(false); // The leader finished the change itself.
    expect(n0.config.voters).toEqual(ids("n0", "n1", "n2", "n3"));
    expect(c.node("n3").config.voters).toEqual(ids("n0", "n1", "n2", "n3"));
    expect(n0.progress().find((p) => p.id === id("n3"))?.voter).toBe(true);
  });

  it("refuses a learner that has not caught up (learner_behind), and says how far it is", () => {
    const c = withLearner();
    const n0 = c.node("n0");
    c.isolated.add(id("n3"));
    n0.proposeCommand("n3 misses this");
    c.run();
    const refused = n0.promoteLearner(id("n3"));
    expect(refused).toMatchObject({ ok: false, reason: "learner_behind" });
    expect(refused.ok === false && refused.detail).toContain(`of ${n0.commitIndex} committed entries`);
    expect(n0.config.isJoint).toBe(false);
  });

  it("refuses a learner that has acknowledged no entry yet, however short the log and large the allowed lag", () => {
    const c = bootstrapped(["n0", "n1", "n2"]);
    const n0 = c.node("n0");
    c.add("n3");
    c.isolated.add(id("n3")); // Never reachable: a wrong URL, or a node not started yet.
    expect(n0.proposeConfig(n0.config.with({ nonVoters: ids("n3") })).ok).toBe(true);
    c.run();
    expect(n0.commitIndex).toBeLessThan(10);
    const refused = n0.promoteLearner(id("n3"), 1000);
    expect(refused).toMatchObject({ ok: false, reason: "learner_behind" });
    expect(refused.ok === false && refused.detail).toContain("has not acknowledged any entry yet");
    expect(n0.config.nonVoters).toEqual(ids("n3"));
    c.isolated.delete(id("n3"));
    n0.handleElectionTimeout(); // A heartbeat round: n3 answers and catches up.
    c.run();
    n0.handleElectionTimeout();
    c.run();
    expect(n0.promoteLearner(id("n3"), 1000).ok).toBe(true);
  });

  it("refuses a voter or an unknown node (not_a_learner), and a non-leader (not_leader)", () => {
    const c = withLearner();
    expect(c.node("n0").promoteLearner(id("n1"))).toMatchObject({ ok: false, reason: "not_a_learner" });
    expect(c.node("n0").promoteLearner(id("n9"))).toMatchObject({ ok: false, reason: "not_a_learner" });
    expect(c.node("n1").promoteLearner(id("n3"))).toMatchObject({ ok: false, reason: "not_leader" });
  });

  it("toJointConsensus([learner], []) proposed by hand is no longer invalid_config", () => {
    const c = withLearner();
    const n0 = c.node("n0");
    expect(n0.proposeConfig(n0.config.toJointConsensus(ids("n3"), [])).ok).toBe(true);
  });
});

describe("proposeConfig() refusals say why", () => {
  it("names the voters that differ, and a node that would be both voter and learner", () => {
    const c = withLearner();
    const n0 = c.node("n0");
    const otherVoters = n0.proposeConfig(n0.config.with({ voters: ids("n0", "n1") }));
    expect(otherVoters).toMatchObject({ ok: false, reason: "invalid_config" });
    expect(otherVoters.ok === false && otherVoters.detail).toContain("are not the current voters");
    const both = n0.proposeConfig(n0.config.with({ newVoters: ids("n0", "n1", "n2", "n3") }));
    expect(both).toMatchObject({ ok: false, reason: "invalid_config" });
    expect(both.ok === false && both.detail).toBe("n3 would be both a voter and a learner");
  });

  it("says when the previous change is not finished", () => {
    const c = withLearner();
    const n0 = c.node("n0");
    expect(n0.proposeConfig(n0.config.toJointConsensus(ids("n4"), [])).ok).toBe(true);
    const refused = n0.proposeConfig(n0.config.with({ nonVoters: ids("n3", "n5") }));
    expect(refused).toMatchObject({ ok: false, reason: "config_change_in_progress" });
    expect(refused.ok === false && refused.detail).toContain("joint");
  });
});
