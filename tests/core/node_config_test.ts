import { describe, expect, it } from "bun:test";
import type { ClusterConfig } from "../../packages/core/src/mod.ts";
import { bootstrapped, deliverQueued, takeQueued } from "../helpers/core_cluster.ts";
import {
  appendReply,
  drain,
  elect,
  expectActions,
  id,
  ids,
  pos,
  restarted,
  segment,
  voters,
} from "../helpers/core_harness.ts";

const THREE = voters(["n0", "n1", "n2"]);

describe("RaftNode.proposeConfig() refusals", () => {
  it("RaftNode.proposeConfig() is refused on a candidate (not_leader)", () => {
    const node = restarted("n0", { term: 1, entries: segment(pos(1, 2), []), snapshotConfig: THREE });
    node.handleElectionTimeout();
    drain(node);
    expect(node.proposeConfig(THREE)).toEqual({
      ok: false,
      reason: "not_leader",
      detail: expect.any(String),
      leaderHint: null,
    });
  });

  it("RaftNode.proposeConfig() is refused until the leader has committed an entry of its term (leader_not_ready)", () => {
    const node = elect(restarted("n0", { term: 1, entries: segment(pos(1, 2), []), snapshotConfig: THREE }), ["n1"]);
    const change = THREE.with({ nonVoters: ids("n3") });
    expect(node.proposeConfig(change)).toEqual({
      ok: false,
      reason: "leader_not_ready",
      detail: expect.any(String),
      leaderHint: id("n0"),
    });
    expectActions(node, []);
    node.handleMessage(appendReply({ from: "n1", term: 2, lastPosition: pos(2, 3), rejected: false }));
    expect<number>(node.commitIndex).toBe(3);
    expect(node.proposeConfig(change)).toEqual({ ok: true, position: pos(2, 4) });
  });

  it("RaftNode.proposeConfig() is refused while a joint configuration is pending (config_change_in_progress)", () => {
    const c = bootstrapped(["n0", "n1", "n2"]);
    const n0 = c.node("n0");
    expect(n0.proposeConfig(THREE.toJointConsensus(ids("n3"), [])).ok).toBe(true);
    drain(n0);
    const refused = n0.proposeConfig(THREE.with({ nonVoters: ids("n4") }));
    expect(refused).toEqual({
      ok: false,
      reason: "config_change_in_progress",
      detail: expect.any(String),
      leaderHint: id("n0"),
    });
    expectActions(n0, []);
  });

  it("RaftNode.proposeConfig() is refused while a plain configuration change is uncommitted", () => {
    const c = bootstrapped(["n0", "n1", "n2"]);
    const n0 = c.node("n0");
    expect(n0.proposeConfig(THREE.with({ nonVoters: ids("n3") })).ok).toBe(true);
    c.drain(n0);
    const refused = n0.proposeConfig(THREE.with({ nonVoters: ids("n4") }));
    expect(refused).toEqual({
      ok: false,
      reason: "config_change_in_progress",
      detail: expect.any(String),
      leaderHint: id("n0"),
    });
    deliverQueued(c);
    deliverQueued(c);
    expect(n0.proposeConfig(THREE.with({ nonVoters: ids("n4") })).ok).toBe(true); // Committed now.
  });

  const invalid: Array<[string, ClusterConfig]> = [
    ["fewer voters", voters(["n0", "n1"])],
    ["an extra voter", voters(["n0", "n1", "n2", "n3"])],
    ["other voters of the same number", voters(["n0", "n1", "n3"])],
    ["a learner that is a voter", voters(["n0", "n1", "n2"], [], ["n1"])],
    ["a learner that is a new voter", voters(["n0", "n1", "n2"], ["n0", "n3"], ["n3"])],
  ];
  for (const [what, config] of invalid) {
    it(`RaftNode.proposeConfig() refuses a configuration with ${what} (invalid_config)`, () => {
      const c = bootstrapped(["n0", "n1", "n2"]);
      const n0 = c.node("n0");
      const last = n0.log.lastPosition;
      expect(n0.proposeConfig(config)).toEqual({
        ok: false,
        reason: "invalid_config",
        detail: expect.any(String),
        leaderHint: id("n0"),
      });
      expectActions(n0, []);
      expect(n0.log.lastPosition).toEqual(last);
    });
  }
});

describe("RaftNode membership changes", () => {
  it("RaftNode.proposeConfig() accepts a configuration equal to the current one", () => {
    const c = bootstrapped(["n0", "n1", "n2"]);
    expect(c.node("n0").proposeConfig(THREE)).toEqual({ ok: true, position: pos(1, 3) });
    c.run();
    expect<number>(c.node("n0").commitIndex).toBe(3);
  });

  it("RaftNode adds a learner with a plain change: it replicates the log, but its acknowledgements do not commit", () => {
    const c = bootstrapped(["n0", "n1", "n2"]);
    const n0 = c.node("n0");
    const n3 = c.add("n3");
    const change = THREE.with({ nonVoters: ids("n3") });
    expect(change.isJoint).toBe(false);
    expect(n0.proposeConfig(change).ok).toBe(true);
    c.run();
    expect(n0.peers).toEqual(ids("n1", "n2", "n3"));
    expect(n3.log.lastPosition).toEqual(n0.log.lastPosition);
    expect(n3.config.equals(change)).toBe(true);
    c.isolated.add(id("n1"));
    c.isolated.add(id("n2"));
    const cmd = n0.proposeCommand("only the learner hears this");
    c.run();
    expect(n3.log.lastPosition).toEqual(pos(1, 4));
    expect(cmd.ok && n0.getCommitStatus(cmd.position)).toBe("in_progress");
    expect<number>(n0.commitIndex).toBe(3);
  });

  it("RaftNode promotes a learner through joint consensus, and the leader finalises C_new", () => {
    const c = bootstrapped(["n0", "n1", "n2"]);
    const n0 = c.node("n0");
    c.add("n3");
    expect(n0.proposeConfig(THREE.with({ nonVoters: ids("n3") })).ok).toBe(true);
    c.run();
    const promote = n0.config.toJointConsensus(ids("n3"), []).with({ nonVoters: [] });
    expect(n0.proposeConfig(promote)).toEqual({ ok: true, position: pos(1, 4) });
    c.run();
    const final = voters(["n0", "n1", "n2", "n3"]);
    for (const name of ["n0", "n1", "n2", "n3"]) {
      expect(c.node(name).config.equals(final)).toBe(true);
    }
    expect(n0.log.lastPosition).toEqual(pos(1, 5));
    expect<number>(n0.commitIndex).toBe(5);
  });

  it("RaftNode as a new leader finalises a joint configuration it inherited", () => {
    const c = bootstrapped(["n0", "n1", "n2"]);
    const [n0, n1] = [c.node("n0"), c.node("n1")];
    const joint = THREE.toJointConsensus([], ids("n0"));
    expect(n0.proposeConfig(joint).ok).toBe(true);
    c.drain(n0);
    deliverQueued(c); // n1 and n2 store the joint entry ...
    takeQueued(c, "n0"); // ... but n0 never hears back, and goes away.
    c.isolated.add(id("n0"));
    expect<number>(n0.commitIndex).toBe(2);
    n1.handleElectionTimeout();
    c.run();
    expect(n1.role).toBe("leader");
    // Committing its term entry committed the joint entry before it, so n1 appended C_new.
    expect(n1.config.equals(voters(["n1", "n2"]))).toBe(true);
    expect(n1.log.lastPosition).toEqual(pos(2, 5));
    expect<number>(n1.commitIndex).toBe(5);
    expect(n1.peers).toEqual(ids("n2"));
  });
});
