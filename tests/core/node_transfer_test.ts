import { describe, expect, it } from "bun:test";
import { type RequestVoteCall, Term, type TimeoutNow } from "../../packages/core/src/mod.ts";
import { bootstrapped } from "../helpers/core_cluster.ts";
import {
  broadcast,
  commandEntry,
  expectActions,
  id,
  ids,
  SAVE_TERM,
  SAVE_VOTE,
  SET_TIMEOUT,
  send,
} from "../helpers/core_harness.ts";

const TICKS = 5;
const OPTIONS = { preVote: true, checkQuorum: true, electionTicks: TICKS };

function timeoutNow(from: string, term: number): TimeoutNow {
  return { type: "TimeoutNow", from: id(from), term: Term.of(term) };
}

/** A 3-node cluster led by n0 with every entry replicated and committed everywhere. */
function settled(names = ["n0", "n1", "n2"]) {
  const c = bootstrapped(names, OPTIONS);
  c.node("n0").handleElectionTimeout(); // Tell everyone the commit index.
  c.run();
  return c;
}

describe("leadership transfer to an up-to-date target", () => {
  it("sends TimeoutNow at once; the target campaigns without a pre-vote and wins through stickiness", () => {
    const c = settled();
    const n0 = c.node("n0");
    const n1 = c.node("n1");
    const term = n0.currentTerm;
    expect(n0.transferLeadership(id("n1"))).toEqual({ ok: true });
    expect(n0.leadTransferee).toBe(id("n1"));
    expectActions(n0, [send("n1", timeoutNow("n0", term))]);

    n1.handleMessage(timeoutNow("n0", term));
    expect(n1.role).toBe("candidate");
    const call: RequestVoteCall = {
      type: "RequestVoteCall",
      from: id("n1"),
      term: Term.of(term + 1),
      lastPosition: n1.log.lastPosition,
      transfer: true,
    };
    expectActions(n1, [SET_TIMEOUT, SAVE_TERM, SAVE_VOTE, broadcast(call)]);
    c.queue.push({ from: id("n1"), to: id("n0"), message: call }, { from: id("n1"), to: id("n2"), message: call });
    c.run();
    expect(c.leader()?.id).toBe(id("n1"));
    expect<number>(n1.currentTerm).toBe(term + 1);
    expect(n0.role).toBe("follower");
    expect(n0.leaderId).toBe(id("n1"));
  });
});

describe("leadership transfer to a lagging target", () => {
  it("catches the target up first, refuses proposals meanwhile, then sends TimeoutNow", () => {
    const c = settled();
    const n0 = c.node("n0");
    c.isolated.add(id("n2"));
    n0.proposeCommand("a");
    n0.proposeCommand("b");
    c.run();
    c.queue.length = 0;
    c.isolated.delete(id("n2"));
    const last = n0.log.lastPosition;
    expect(c.node("n2").log.lastPosition.index).toBeLessThan(last.index);

    expect(n0.transferLeadership(id("n2")).ok).toBe(true);
    expect(n0.proposeCommand("refused")).toMatchObject({ ok: false, reason: "transfer_in_progress" });
    expect(n0.proposeConfig(n0.config)).toMatchObject({ ok: false, reason: "transfer_in_progress" });
    const sent = c.queue.length;
    c.drain(n0);
    const toN2 = c.queue
      .slice(sent)
      .filter((e) => e.to === id("n2"))
      .map((e) => e.message);
    expect(toN2.map((m) => m.type)).toEqual(["AppendEntriesCall"]); // Entries, not TimeoutNow yet.
    c.run();
    expect(c.leader()?.id).toBe(id("n2"));
    expect(c.node("n2").log.lastPosition.index).toBeGreaterThan(last.index); // Its own term entry.
    expect(n0.leadTransferee).toBeNull();
  });
});

describe("leadership transfer that cannot finish", () => {
  it("is abandoned after an election timeout; proposals are taken again", () => {
    const c = settled();
    const n0 = c.node("n0");
    c.isolated.add(id("n1")); // The target never hears TimeoutNow.
    expect(n0.transferLeadership(id("n1")).ok).toBe(true);
    c.run();
    for (let k = 1; k < TICKS; k++) {
      n0.handleElectionTimeout();
      c.run();
      expect(n0.leadTransferee).toBe(id("n1"));
    }
    n0.handleElectionTimeout();
    expect(n0.leadTransferee).toBeNull();
    expect(n0.role).toBe("leader");
    expect(n0.proposeCommand("taken again").ok).toBe(true);
  });

  it("refuses a learner, a node outside the configuration, and a voter being removed", () => {
    const c = settled(["n0", "n1", "n2", "n3"]);
    const n0 = c.node("n0");
    expect(n0.proposeConfig(n0.config.with({ nonVoters: ids("n4") })).ok).toBe(true);
    c.add("n4");
    c.run();
    expect(n0.transferLeadership(id("n4"))).toMatchObject({ ok: false, reason: "target_not_voter" });
    expect(n0.transferLeadership(id("n9"))).toMatchObject({ ok: false, reason: "unknown_target" });
    expect(n0.proposeConfig(n0.config.toJointConsensus([], ids("n3"))).ok).toBe(true); // Joint: n3 leaves.
    expect(n0.config.isJoint).toBe(true);
    expect(n0.transferLeadership(id("n3"))).toMatchObject({ ok: false, reason: "target_not_voter" });
    expect(c.node("n1").transferLeadership(id("n2"))).toMatchObject({
      ok: false,
      reason: "not_leader",
      leaderHint: id("n0"),
    });
    expect(n0.leadTransferee).toBeNull();
  });

  it("naming the leader itself cancels a transfer under way", () => {
    const c = settled();
    const n0 = c.node("n0");
    c.isolated.add(id("n1"));
    n0.transferLeadership(id("n1"));
    expect(n0.transferLeadership(id("n0"))).toEqual({ ok: true });
    expect(n0.leadTransferee).toBeNull();
    expect(n0.proposeCommand("x").ok).toBe(true);
  });

  it("a TimeoutNow from a stale term, or from a node that is not our leader, is ignored", () => {
    const c = settled();
    const n1 = c.node("n1");
    const term = n1.currentTerm;
    n1.handleMessage(timeoutNow("n0", term - 1));
    n1.handleMessage(timeoutNow("n2", term));
    expectActions(n1, []);
    expect(n1.role).toBe("follower");
  });
});

describe("configuration change replacing the leader", () => {
  it("transfer, then remove the old leader: the cluster keeps a leader and commits", () => {
    const c = settled(["n0", "n1", "n2"]);
    const n0 = c.node("n0");
    n0.transferLeadership(id("n1"));
    c.run();
    const n1 = c.node("n1");
    expect(n1.role).toBe("leader");
    n1.handleElectionTimeout(); // Commit its term entry everywhere.
    c.run();
    expect(n1.proposeConfig(n1.config.toJointConsensus([], ids("n0"))).ok).toBe(true);
    c.run();
    n1.handleElectionTimeout();
    c.run();
    expect(n1.config.voters).toEqual(ids("n1", "n2"));
    expect(n1.config.isJoint).toBe(false);
    const at = n1.proposeCommand("after");
    c.run();
    expect(at.ok && n1.getCommitStatus(at.position)).toBe("committed");
    expect(n1.log.entries.getEntry(n1.log.lastPosition.index)).toEqual(commandEntry("after"));
  });
});
