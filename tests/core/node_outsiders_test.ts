/**
 * Messages from senders outside a node's configuration (made-up ids, removed members, members
 * added after the node's log ends) never change its term, role, vote or log; a leader added
 * after a follower's log ends catches that follower up with a snapshot.
 */
import { describe, expect, it } from "bun:test";
import { LogEntries, RaftNode, Term } from "../../packages/core/src/mod.ts";
import { bootstrapped } from "../helpers/core_cluster.ts";
import {
  appendCall,
  appendReply,
  commandEntry,
  configEntry,
  drain,
  elect,
  expectActions,
  id,
  installSnapshot,
  pos,
  restarted,
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

/** A follower n1 of n0 in term 2 with a committed log 1..3 (config, term, command). */
function follower(): RaftNode {
  const node = restarted("n1", {
    term: 2,
    votedFor: "n0",
    entries: segment(pos(0, 0), [configEntry(THREE), termEntry(2), X("a")]),
  });
  node.handleMessage(appendCall({ from: "n0", term: 2, commitIndex: 3, entries: segment(pos(2, 3), []) }));
  drain(node);
  expect<number>(node.commitIndex).toBe(3);
  return node;
}

/** What an outsider may not change. */
function stateOf(node: RaftNode) {
  return {
    term: node.currentTerm,
    votedFor: node.votedFor,
    role: node.role,
    leader: node.leaderId,
    last: node.log.lastPosition,
    commit: node.commitIndex,
  };
}

describe("RaftNode and senders outside its configuration", () => {
  it("RaftNode.acceptsMessagesFrom() takes members of the latest configuration, and anyone while it has none", () => {
    expect(RaftNode.start(id("fresh")).acceptsMessagesFrom(id("anyone"))).toBe(true);
    const node = follower();
    for (const m of ["n0", "n1", "n2"]) expect(node.acceptsMessagesFrom(id(m))).toBe(true);
    expect(node.acceptsMessagesFrom(id("intruder"))).toBe(false);
  });

  it("RaftNode answers an outsider's AppendEntriesCall with a refused reply and changes nothing", () => {
    const node = follower();
    const before = stateOf(node);
    const call = appendCall({
      from: "intruder",
      term: Term.MAX,
      commitIndex: 9,
      entries: segment(pos(2, 3), [termEntry(Term.MAX), X("evil")]),
      seq: 5,
    });
    node.handleMessage(call);
    expect(stateOf(node)).toEqual(before);
    const refusal = { ...appendReply({ from: "n1", term: 2, lastPosition: pos(2, 3), rejected: true, seq: 5 }) };
    expectActions(node, [send("intruder", { ...refusal, generation: node.generation, refused: true })]);
  });

  it("RaftNode ignores an outsider's RequestVoteCall, RequestVoteReply and AppendEntriesReply of any term", () => {
    const node = follower();
    const before = stateOf(node);
    node.handleMessage(voteCall("intruder", 1000, pos(1000, 1000)));
    node.handleMessage(voteReply("intruder", 1001, true));
    node.handleMessage(appendReply({ from: "intruder", term: 1002, lastPosition: pos(1, 1), rejected: false }));
    expect(stateOf(node)).toEqual(before);
    expectActions(node, []);
  });

  it("RaftNode as a leader keeps its term when an outsider replies with a higher term", () => {
    const c = bootstrapped(["n0", "n1", "n2"]);
    const n0 = c.node("n0");
    const term = n0.currentTerm;
    n0.handleMessage(appendReply({ from: "n9", term: 1001, lastPosition: pos(1, 2), rejected: false }));
    n0.handleMessage(voteCall("n9", 1002, pos(1002, 99)));
    expect(n0.role).toBe("leader");
    expect(n0.currentTerm).toBe(term);
    expectActions(n0, []);
  });

  it("RaftNode as a candidate does not count a vote granted by an outsider", () => {
    const node = restarted("n1", { term: 1, entries: segment(pos(0, 0), [configEntry(THREE)]) });
    node.handleElectionTimeout();
    drain(node);
    node.handleMessage(voteReply("n9", node.currentTerm, true));
    expect(node.role).toBe("candidate");
    node.handleMessage(voteReply("n2", node.currentTerm, true));
    expect(node.role).toBe("leader");
  });

  it("RaftNode still takes a member removed by a configuration that is not committed, and ignores it once it is", () => {
    const node = restarted("n1", {
      term: 2,
      entries: segment(pos(0, 0), [configEntry(THREE), termEntry(2), configEntry(voters(["n0", "n1"]))]),
    });
    expect<number>(node.commitIndex).toBe(0);
    expect(node.acceptsMessagesFrom(id("n2"))).toBe(true); // Removed, but not committed: may be needed.
    node.handleMessage(appendCall({ from: "n0", term: 2, commitIndex: 3, entries: segment(pos(2, 3), []) }));
    drain(node);
    expect<number>(node.commitIndex).toBe(3);
    expect(node.acceptsMessagesFrom(id("n2"))).toBe(false);
    node.handleMessage(voteCall("n2", 7, pos(9, 9)));
    expect(node.currentTerm).toBe(Term.of(2));
  });

  it("RaftNode as a leader answers a refused reply from a member with InstallSnapshot", () => {
    const c = bootstrapped(["n0", "n1", "n2"]);
    const n0 = c.node("n0");
    const reply = { ...appendReply({ from: "n2", term: 0, lastPosition: pos(0, 0), rejected: true }), refused: true };
    n0.handleMessage(reply);
    expectActions(n0, [installSnapshot("n2")]);
    n0.handleMessage({ ...reply, from: id("n9") }); // Not a member of ours: ignored.
    expectActions(n0, []);
  });

  it("RaftNode.acceptsSnapshotFrom() takes an outsider's snapshot only if its configuration names the sender", () => {
    const node = follower();
    expect(node.acceptsSnapshotFrom(id("n0"), THREE)).toBe(true);
    expect(node.acceptsSnapshotFrom(id("n3"), voters(["n0", "n1", "n3"]))).toBe(true);
    expect(node.acceptsSnapshotFrom(id("n3"), voters(["n3"]))).toBe(true);
    expect(node.acceptsSnapshotFrom(id("n3"), THREE)).toBe(false);
  });
});

describe("RaftNode once it has lost its leader (Raft thesis §4.1)", () => {
  /** n1 of THREE, in term 2, whose timer expired without a leader: it campaigned and lost. */
  function leaderless(): RaftNode {
    const node = follower();
    node.handleElectionTimeout();
    drain(node);
    expect(node.role).toBe("candidate");
    expect(node.leaderId).toBeNull();
    return node;
  }

  it("RaftNode ignores an outsider's vote request until its timer expired without a leader", () => {
    const node = follower();
    node.handleMessage(voteCall("n4", 9, pos(9, 9)));
    expect(node.currentTerm).toBe(Term.of(2));
    const lost = leaderless();
    lost.handleMessage(voteCall("n4", 9, pos(9, 9)));
    expect(lost.currentTerm).toBe(Term.of(9));
    expect(lost.votedFor).toBe(id("n4"));
  });

  it("RaftNode then follows an outsider leader's calls (a member added after its log ends)", () => {
    const node = leaderless();
    const term = node.currentTerm + 1;
    const call = appendCall({ from: "n4", term, commitIndex: 3, entries: segment(pos(2, 3), [X("b")]), seq: 4 });
    node.handleMessage(call);
    expect(node.role).toBe("follower");
    expect(node.leaderId).toBe(id("n4"));
    expect(node.log.lastPosition).toEqual(pos(2, 4));
    // It keeps hearing the outsider it follows, and now refuses other outsiders.
    node.handleMessage(appendCall({ from: "n4", term, commitIndex: 4, entries: segment(pos(2, 4), []), seq: 5 }));
    expect<number>(node.commitIndex).toBe(4);
    const before = stateOf(node);
    node.handleMessage(appendCall({ from: "n9", term: term + 5, commitIndex: 9, entries: segment(pos(2, 4), []) }));
    expect(stateOf(node)).toEqual(before);
  });
});

describe("RaftNode: a follower catches up from a leader added after its log ends", () => {
  it("the leader's snapshot brings the follower into a configuration that names the leader, then entries follow", () => {
    const c = bootstrapped(["n0", "n1", "n2"]);
    const n0 = c.node("n0");
    c.isolated.add("n2" as never); // n2 misses everything from here on.
    const n3 = c.add("n3");
    const four = voters(["n0", "n1", "n2", "n3"]);
    expect(n0.proposeConfig(THREE.toJointConsensus([id("n3")], [])).ok).toBe(true);
    c.run();
    expect(n0.config.equals(four)).toBe(true);
    expect<number>(n0.commitIndex).toBe(n0.log.lastPosition.index);
    // n3 campaigns and wins with n0's and n1's votes (n2 is still cut off).
    n3.handleElectionTimeout();
    c.run();
    expect(n3.role).toBe("leader");
    const n2 = c.node("n2");
    expect(n2.config.equals(THREE)).toBe(true);
    expect(n2.acceptsMessagesFrom(id("n3"))).toBe(false);
    // n2 comes back: it refuses n3's calls (n3 is not in its configuration) and n3 answers with a snapshot.
    c.isolated.delete("n2" as never);
    n3.heartbeat();
    c.run();
    expect(n2.currentTerm).toBeLessThan(n3.currentTerm);
    expect(c.snapshotRequests.some((r) => r.from === id("n3") && r.to === id("n2"))).toBe(true);
    // The runtime's part: n3 snapshots at its commit index and n2 installs it.
    const at = n3.log.getPositionAndConfig(n3.commitIndex);
    if (at === undefined) throw new Error("n3 has its commit index in its log");
    expect(n3.handleSnapshotInstalled(at.position, at.config)).toBe(true);
    expect(n2.acceptsSnapshotFrom(n3.id, at.config)).toBe(true);
    expect(n2.prepareSnapshotInstall(at.position)).toBe(true);
    expect(n2.handleSnapshotInstalled(at.position, at.config)).toBe(true);
    const stored = c.stored.get(n2.id);
    if (stored === undefined) throw new Error("n2 has storage");
    stored.log = new LogEntries(at.position);
    stored.snapshotConfig = at.config;
    expect(n2.acceptsMessagesFrom(id("n3"))).toBe(true);
    n3.proposeCommand("after");
    c.run();
    n3.heartbeat(); // Carries the new commit index.
    c.run();
    expect(n2.log.lastPosition).toEqual(n3.log.lastPosition);
    expect<number>(n2.commitIndex).toBe(n3.commitIndex);
    expect(n2.currentTerm).toBe(n3.currentTerm);
    expect(n2.leaderId).toBe(id("n3"));
  });
});

describe("RaftNode term bound", () => {
  it("RaftNode ignores a member's message from a term above Term.MAX", () => {
    const node = follower();
    const before = stateOf(node);
    node.handleMessage(voteCall("n2", Number.MAX_SAFE_INTEGER, pos(3, 3)));
    node.handleMessage(
      appendCall({ from: "n2", term: Number.MAX_SAFE_INTEGER, commitIndex: 0, entries: segment(pos(2, 3), []) }),
    );
    expect(stateOf(node)).toEqual(before);
    expectActions(node, []);
  });

  it("RaftNode in Term.MAX refuses to campaign (flagging it) instead of computing an unsafe term", () => {
    const node = follower();
    node.handleMessage(voteCall("n2", Term.MAX, pos(2, 3)));
    expect(node.currentTerm).toBe(Term.MAX);
    drain(node);
    expect(() => node.handleElectionTimeout()).not.toThrow();
    expect(node.role).toBe("follower");
    expect(node.currentTerm).toBe(Term.MAX);
    expect(node.inconsistency).toContain("cannot campaign");
    expectActions(node, []);
  });

  it("RaftNode.prepareSnapshotInstall() refuses a snapshot from a term above Term.MAX", () => {
    const node = follower();
    expect(node.prepareSnapshotInstall(pos(Number.MAX_SAFE_INTEGER, 10))).toBe(false);
    expect(node.handleSnapshotInstalled(pos(Number.MAX_SAFE_INTEGER, 10), THREE)).toBe(false);
    expect(node.currentTerm).toBe(Term.of(2));
  });

  it("RaftNode as a leader ignores a reply echoing a heartbeat it never sent (the read barrier stays honest)", () => {
    const c = bootstrapped(["n0", "n1", "n2"]);
    const n0 = c.node("n0");
    const hb = n0.heartbeat();
    if (!hb.ok) throw new Error("n0 leads");
    drain(n0);
    const forged = appendReply({
      from: "n1",
      term: n0.currentTerm,
      lastPosition: n0.log.lastPosition,
      rejected: false,
      seq: hb.seq + 1000,
    });
    n0.handleMessage({ ...forged, generation: c.node("n1").generation });
    const next = n0.heartbeat();
    if (!next.ok) throw new Error("n0 leads");
    expect(n0.getHeartbeatStatus(next.seq)).toBe("pending");
  });
});

describe("RaftNode: elections still work with the outsider rule", () => {
  it("a fresh node votes for the candidate that bootstraps the cluster", () => {
    const fresh = RaftNode.start(id("n1"));
    fresh.handleMessage(voteCall("n0", 1, pos(0, 1)));
    expect(fresh.votedFor).toBe(id("n0"));
  });

  it("a leader elected with members' votes leads", () => {
    const node = restarted("n1", { term: 1, entries: segment(pos(0, 0), [configEntry(THREE)]) });
    elect(node, ["n2"]);
    expectActions(node, []);
    expect(node.role).toBe("leader");
    expect(SET_TIMEOUT.type).toBe("SetElectionTimeout");
  });
});
