import { describe, expect, it } from "bun:test";
import { RaftNode } from "../../packages/core/src/mod.ts";
import {
  append,
  appendCall,
  appendReply,
  broadcast,
  commandEntry,
  configEntry,
  drain,
  elect,
  expectActions,
  id,
  ids,
  pos,
  restarted,
  SAVE_TERM,
  SAVE_VOTE,
  SET_TIMEOUT,
  segment,
  send,
  termEntry,
  voteCall,
  voteReply,
  voters,
} from "../helpers/core_harness.ts";

const X = commandEntry;
const THREE = voters(["n0", "n1", "n2"]);

/** A follower of `THREE` in `term` whose log is config, Term(1) (last 1/2). */
function follower(name: string, term = 1, votedFor: string | null = null): RaftNode {
  return restarted(name, { term, votedFor, entries: segment(pos(0, 0), [configEntry(THREE), termEntry(1)]) });
}

describe("RaftNode.createCluster()", () => {
  it("RaftNode.createCluster() refuses a second bootstrap (already_initialized)", () => {
    const node = RaftNode.start(id("n0"));
    expect(node.createCluster(ids("n0", "n1")).ok).toBe(true);
    drain(node);
    expect(node.createCluster(ids("n0"))).toEqual({
      ok: false,
      reason: "already_initialized",
      detail: expect.any(String),
      leaderHint: null,
    });
    expectActions(node, []);
    expect<number>(node.currentTerm).toBe(1);
  });

  it("RaftNode.createCluster() refuses an empty voter list (no_voters)", () => {
    const node = RaftNode.start(id("n0"));
    expect(node.createCluster([])).toEqual({
      ok: false,
      reason: "no_voters",
      detail: expect.any(String),
      leaderHint: null,
    });
    expectActions(node, []);
    expect(node.log.lastPosition).toEqual(pos(0, 0));
  });

  it("RaftNode.createCluster() refuses a node whose snapshot configuration already has voters", () => {
    const node = restarted("n0", { term: 0, entries: segment(pos(0, 0), []), snapshotConfig: THREE });
    expect(node.createCluster(ids("n0"))).toEqual({
      ok: false,
      reason: "already_initialized",
      detail: expect.any(String),
      leaderHint: null,
    });
    expectActions(node, []);
  });

  it("RaftNode.createCluster() without itself among the voters stores the configuration and does not campaign", () => {
    const node = RaftNode.start(id("n9"));
    expect(node.createCluster(ids("n0", "n1"))).toEqual({ ok: true, position: pos(0, 1) });
    expect(node.role).toBe("follower");
    expect<number>(node.currentTerm).toBe(0);
    expectActions(node, [append(segment(pos(0, 0), [configEntry(voters(["n0", "n1"]))]))]);
    node.handleElectionTimeout();
    expectActions(node, []); // Not a voter: it never campaigns.
  });
});

describe("RaftNode voting", () => {
  it("RaftNode answers a stale-term RequestVoteCall with an explicit refusal in its own term", () => {
    const node = follower("n1", 3);
    node.handleMessage(voteCall("n2", 2, pos(9, 9)));
    expectActions(node, [send("n2", voteReply("n1", 3, false))]);
    expect<number>(node.currentTerm).toBe(3);
    expect(node.votedFor).toBeNull();
  });

  it("RaftNode as a candidate steps down on a refusal carrying a higher term", () => {
    const node = follower("n2", 1);
    node.handleElectionTimeout();
    drain(node);
    node.handleMessage(voteReply("n1", 3, false));
    expect(node.role).toBe("follower");
    expect<number>(node.currentTerm).toBe(3);
    expect(node.votedFor).toBeNull();
    expectActions(node, [SET_TIMEOUT, SAVE_TERM, SAVE_VOTE]);
  });

  it("RaftNode as a candidate or leader ignores a same-term RequestVoteCall", () => {
    const candidate = follower("n0");
    candidate.handleElectionTimeout();
    drain(candidate);
    candidate.handleMessage(voteCall("n1", 2, pos(5, 9)));
    expectActions(candidate, []);
    expect(candidate.role).toBe("candidate");
    const leader = elect(follower("n0"), ["n2"]);
    leader.handleMessage(voteCall("n1", leader.currentTerm, pos(5, 9)));
    expectActions(leader, []);
    expect(leader.role).toBe("leader");
  });

  it("RaftNode grants one vote per term; the same candidate is granted again without another save", () => {
    const node = follower("n0");
    node.handleMessage(voteCall("n1", 2, pos(1, 2)));
    expectActions(node, [SET_TIMEOUT, SAVE_TERM, SAVE_VOTE, send("n1", voteReply("n0", 2, true))]);
    node.handleMessage(voteCall("n1", 2, pos(1, 2)));
    expectActions(node, [SET_TIMEOUT, send("n1", voteReply("n0", 2, true))]);
    node.handleMessage(voteCall("n2", 2, pos(1, 5)));
    expectActions(node, []); // Already voted for n1 in term 2: silent refusal.
    expect(node.votedFor).toBe(id("n1"));
  });

  it("RaftNode refuses a candidate whose log is behind, by term or by index, silently", () => {
    const node = restarted("n0", {
      term: 3,
      entries: segment(pos(0, 0), [configEntry(THREE), termEntry(2), X(), X()]),
    });
    node.handleMessage(voteCall("n1", 4, pos(2, 3))); // Same last term, shorter.
    expectActions(node, [SAVE_TERM, SAVE_VOTE]);
    node.handleMessage(voteCall("n1", 5, pos(1, 9))); // Longer, older last term.
    expectActions(node, [SAVE_TERM, SAVE_VOTE]);
    node.handleMessage(voteCall("n1", 5, pos(2, 4))); // Equal: granted.
    expectActions(node, [SET_TIMEOUT, SAVE_VOTE, send("n1", voteReply("n0", 5, true))]);
  });

  it("RaftNode refuses to vote for another node in a term whose leader it follows", () => {
    const node = follower("n1", 2);
    node.handleMessage(appendCall({ from: "n0", term: 2, commitIndex: 0, entries: segment(pos(1, 2), []) }));
    drain(node);
    expect(node.leaderId).toBe(id("n0"));
    node.handleMessage(voteCall("n2", 2, pos(5, 5)));
    expectActions(node, []);
    expect(node.votedFor).toBeNull();
  });

  it("RaftNode as a candidate ignores stale and refused votes, counts each voter once, and wins with a majority", () => {
    const five = voters(["n0", "n1", "n2", "n3", "n4"]);
    const node = restarted("n0", { term: 2, entries: segment(pos(0, 0), [configEntry(five), termEntry(1)]) });
    node.handleElectionTimeout();
    drain(node);
    node.handleMessage(voteReply("n1", 2, true)); // From an old term.
    node.handleMessage(voteReply("n2", 3, false)); // Refused.
    node.handleMessage(voteReply("n3", 3, true));
    node.handleMessage(voteReply("n3", 3, true)); // Duplicate.
    expect(node.role).toBe("candidate");
    expectActions(node, []);
    node.handleMessage(voteReply("n4", 3, true));
    expect(node.role).toBe("leader");
    expect(node.leaderId).toBe(id("n0"));
  });

  it("RaftNode as a leader steps down on a higher-term RequestVoteCall and grants it if the log is up to date", () => {
    const node = elect(follower("n0"), ["n1"]);
    node.handleMessage(voteCall("n1", 3, pos(2, 3)));
    expect(node.role).toBe("follower");
    expect(node.leaderId).toBeNull();
    expectActions(node, [SET_TIMEOUT, SAVE_TERM, SAVE_VOTE, send("n1", voteReply("n0", 3, true))]);
  });

  it("RaftNode as a leader steps down on a higher-term AppendEntriesReply", () => {
    const node = elect(follower("n0"), ["n1"]);
    node.handleMessage(appendReply({ from: "n2", term: 5, lastPosition: pos(1, 2), rejected: true }));
    expect(node.role).toBe("follower");
    expect<number>(node.currentTerm).toBe(5);
    expectActions(node, [SET_TIMEOUT, SAVE_TERM, SAVE_VOTE]);
  });

  it("RaftNode ignores every message whose sender is itself", () => {
    const node = elect(follower("n0"), ["n1"]);
    node.handleMessage(appendCall({ from: "n0", term: 9, commitIndex: 0, entries: segment(pos(1, 2), []) }));
    node.handleMessage(appendReply({ from: "n0", term: 9, lastPosition: pos(1, 2), rejected: false }));
    node.handleMessage(voteCall("n0", 9, pos(9, 9)));
    node.handleMessage(voteReply("n0", 9, false));
    expectActions(node, []);
    expect(node.role).toBe("leader");
    expect<number>(node.currentTerm).toBe(2);
  });
});

describe("RaftNode campaigning rights", () => {
  it("RaftNode as a learner never campaigns", () => {
    const config = voters(["n0", "n1"], [], ["n2"]);
    const node = restarted("n2", { term: 1, entries: segment(pos(0, 0), [configEntry(config), termEntry(1)]) });
    node.handleElectionTimeout();
    expectActions(node, []);
    expect(node.role).toBe("follower");
    expect<number>(node.currentTerm).toBe(1);
  });

  it("RaftNode as a candidate does not count a learner's vote", () => {
    const config = voters(["n0", "n1", "n2"], [], ["n3", "n4"]);
    const node = restarted("n0", { term: 1, entries: segment(pos(0, 0), [configEntry(config), termEntry(1)]) });
    node.handleElectionTimeout();
    expect(node.peers).toEqual(ids("n1", "n2", "n3", "n4")); // Learners get the broadcast too.
    drain(node);
    node.handleMessage(voteReply("n3", 2, true));
    node.handleMessage(voteReply("n4", 2, true));
    expect(node.role).toBe("candidate");
    node.handleMessage(voteReply("n1", 2, true));
    expect(node.role).toBe("leader");
  });

  it("RaftNode removed by a committed configuration never campaigns", () => {
    const node = restarted("n2", {
      term: 1,
      entries: segment(pos(1, 5), []),
      snapshotConfig: voters(["n0", "n1"]),
    });
    node.handleElectionTimeout();
    expectActions(node, []);
  });

  it("RaftNode removed by an uncommitted configuration campaigns only if it was a voter before it", () => {
    const before = voters(["n0", "n1"], [], ["n2"]);
    const after = voters(["n0", "n1"]);
    const entries = () => segment(pos(0, 0), [configEntry(before), termEntry(1), configEntry(after)]);
    const learner = restarted("n2", { term: 1, entries: entries() });
    learner.handleElectionTimeout();
    expectActions(learner, []);
    const exVoter = restarted("n0", {
      term: 1,
      entries: segment(pos(0, 0), [configEntry(THREE), termEntry(1), configEntry(voters(["n1", "n2"]))]),
    });
    exVoter.handleElectionTimeout();
    expect(exVoter.role).toBe("candidate");
    expectActions(exVoter, [SET_TIMEOUT, SAVE_TERM, SAVE_VOTE, broadcast(voteCall("n0", 2, pos(1, 3)))]);
  });
});

describe("RaftNode.couldBeDisruptiveRequestVote()", () => {
  const higher = (from: string) => voteCall(from, 5, pos(1, 2));

  it("RaftNode.couldBeDisruptiveRequestVote() is false for a fresh follower and for calls of no higher term", () => {
    const node = follower("n0", 5);
    expect(node.couldBeDisruptiveRequestVote(voteCall("n1", 6, pos(0, 0)))).toBe(false);
    expect(node.couldBeDisruptiveRequestVote(voteCall("n1", 5, pos(0, 0)))).toBe(false);
    expect(node.couldBeDisruptiveRequestVote(voteCall("n1", 4, pos(0, 0)))).toBe(false);
  });

  it("RaftNode.couldBeDisruptiveRequestVote() is true on a leader", () => {
    const node = elect(follower("n0"), ["n1"]);
    expect(node.couldBeDisruptiveRequestVote(higher("n1"))).toBe(true);
    expect(node.couldBeDisruptiveRequestVote(voteCall("n1", 2, pos(1, 2)))).toBe(false);
  });

  it("RaftNode.couldBeDisruptiveRequestVote() is true on a follower of another known leader", () => {
    const node = follower("n1", 2);
    node.handleMessage(appendCall({ from: "n0", term: 2, commitIndex: 0, entries: segment(pos(1, 2), []) }));
    expect(node.couldBeDisruptiveRequestVote(higher("n2"))).toBe(true);
    expect(node.couldBeDisruptiveRequestVote(higher("n0"))).toBe(false);
  });

  it("RaftNode.couldBeDisruptiveRequestVote() is false on a follower that only voted for another node", () => {
    // raftbare filters here too, which can stall elections for good (a node that cannot campaign
    // keeps refusing every other candidate); only a known, recently heard leader is protected.
    const node = follower("n1", 2, "n0");
    expect(node.couldBeDisruptiveRequestVote(higher("n2"))).toBe(false);
    expect(node.couldBeDisruptiveRequestVote(higher("n0"))).toBe(false);
  });

  it("RaftNode.couldBeDisruptiveRequestVote() stops protecting a leader once the election timer expired", () => {
    const node = follower("n1", 2);
    node.handleMessage(appendCall({ from: "n0", term: 2, commitIndex: 0, entries: segment(pos(1, 2), []) }));
    drain(node);
    expect(node.couldBeDisruptiveRequestVote(higher("n2"))).toBe(true);
    node.handleElectionTimeout();
    expect(node.couldBeDisruptiveRequestVote(higher("n2"))).toBe(false);
  });
});

describe("RaftNode user calls on a non-leader", () => {
  it("RaftNode.proposeCommand() and heartbeat() on a follower are refused with the known leader as hint", () => {
    const node = follower("n1", 2);
    expect(node.proposeCommand("x")).toEqual({
      ok: false,
      reason: "not_leader",
      detail: expect.any(String),
      leaderHint: null,
    });
    node.handleMessage(appendCall({ from: "n0", term: 2, commitIndex: 0, entries: segment(pos(1, 2), []) }));
    drain(node);
    expect(node.proposeCommand("x")).toEqual({
      ok: false,
      reason: "not_leader",
      detail: expect.any(String),
      leaderHint: id("n0"),
    });
    expect(node.heartbeat()).toEqual({ ok: false, reason: "not_leader", leaderHint: id("n0") });
    expect(node.proposeConfig(THREE)).toEqual({
      ok: false,
      reason: "not_leader",
      detail: expect.any(String),
      leaderHint: id("n0"),
    });
    expectActions(node, []);
  });
});
