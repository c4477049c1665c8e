import { describe, expect, it } from "bun:test";
import { type RaftNode, type RequestVoteCall, type RequestVoteReply, Term } from "../../packages/core/src/mod.ts";
import { bootstrapped } from "../helpers/core_cluster.ts";
import {
  appendCall,
  broadcast,
  configEntry,
  drain,
  expectActions,
  id,
  pos,
  restarted,
  SAVE_TERM,
  SAVE_VOTE,
  SET_TIMEOUT,
  segment,
  send,
  termEntry,
  voters,
} from "../helpers/core_harness.ts";
import type { InMemoryCluster } from "../helpers/in_memory_cluster.ts";

const THREE = voters(["n0", "n1", "n2"]);
const PRE_VOTE = { preVote: true };

/** A node of `THREE` in `term` whose log is config, Term(1) (last 1/2), with pre-vote on. */
function node(name: string, term = 1, options = PRE_VOTE): RaftNode {
  return restarted(name, { term, entries: segment(pos(0, 0), [configEntry(THREE), termEntry(1)]), options });
}

function preVoteCall(from: string, term: number, index = 2, lastTerm = 1): RequestVoteCall {
  return {
    type: "RequestVoteCall",
    from: id(from),
    term: Term.of(term),
    lastPosition: pos(lastTerm, index),
    preVote: true,
  };
}

function preVoteReply(from: string, term: number, granted: boolean): RequestVoteReply {
  return { type: "RequestVoteReply", from: id(from), term: Term.of(term), voteGranted: granted, preVote: true };
}

/** Fires `times` election timeouts on the isolated `name`, delivering (and so dropping) what it sends. */
function timeOutWhileCut(c: InMemoryCluster, name: string, times: number): void {
  for (let k = 0; k < times; k++) {
    c.node(name).handleElectionTimeout();
    c.run();
  }
}

describe("pre-vote: the pre-candidate", () => {
  it("asks for pre-votes for the next term without raising its term or voting", () => {
    const n0 = node("n0", 3);
    n0.handleElectionTimeout();
    expect(n0.role).toBe("precandidate");
    expect<number>(n0.currentTerm).toBe(3);
    expect(n0.votedFor).toBeNull();
    expectActions(n0, [SET_TIMEOUT, broadcast(preVoteCall("n0", 4))]); // No SaveCurrentTerm, no SaveVotedFor.
  });

  it("campaigns once a quorum grants: the term rises only then", () => {
    const n0 = node("n0", 3);
    n0.handleElectionTimeout();
    drain(n0);
    n0.handleMessage(preVoteReply("n1", 4, true));
    expect(n0.role).toBe("candidate");
    expect<number>(n0.currentTerm).toBe(4);
    const call: RequestVoteCall = {
      type: "RequestVoteCall",
      from: id("n0"),
      term: Term.of(4),
      lastPosition: pos(1, 2),
    };
    expectActions(n0, [SET_TIMEOUT, SAVE_TERM, SAVE_VOTE, broadcast(call)]);
  });

  it("ignores refusals and delayed grants for another term, and moves to a later term it is told of", () => {
    const n0 = node("n0", 3);
    n0.handleElectionTimeout();
    drain(n0);
    n0.handleMessage(preVoteReply("n1", 3, false));
    n0.handleMessage(preVoteReply("n2", 6, true)); // A grant for a term it did not ask about.
    expect(n0.role).toBe("precandidate");
    expect<number>(n0.currentTerm).toBe(3);
    expectActions(n0, []);
    n0.handleMessage(preVoteReply("n2", 7, false)); // n2 holds term 7: n0 follows it there.
    expect(n0.role).toBe("follower");
    expect<number>(n0.currentTerm).toBe(7);
    expectActions(n0, [SET_TIMEOUT, SAVE_TERM, SAVE_VOTE]);
  });

  it("follows the leader of its term when it hears from it", () => {
    const n0 = node("n0", 3);
    n0.handleElectionTimeout();
    drain(n0);
    n0.handleMessage(appendCall({ from: "n1", term: 3, commitIndex: 2, entries: segment(pos(1, 2), []) }));
    expect(n0.role).toBe("follower");
    expect(n0.leaderId).toBe(id("n1"));
  });

  it("may still vote in its current term, which it has not voted in", () => {
    const n0 = node("n0", 3);
    n0.handleElectionTimeout();
    drain(n0);
    n0.handleMessage({ type: "RequestVoteCall", from: id("n1"), term: Term.of(3), lastPosition: pos(1, 2) });
    expect(n0.votedFor).toBe(id("n1"));
  });

  it("a single voter skips the pre-vote and leads at once", () => {
    const solo = restarted("n0", {
      term: 1,
      entries: segment(pos(0, 0), [configEntry(voters(["n0"])), termEntry(1)]),
      options: PRE_VOTE,
    });
    solo.handleElectionTimeout();
    expect(solo.role).toBe("leader");
    expect<number>(solo.currentTerm).toBe(2);
  });
});

describe("pre-vote: the voter", () => {
  it("grants a pre-vote while it has no leader, changing neither term nor vote", () => {
    const n1 = node("n1", 3);
    n1.handleElectionTimeout(); // Its own timer expired: it forgot any leader.
    drain(n1);
    n1.handleMessage(preVoteCall("n0", 4));
    expect<number>(n1.currentTerm).toBe(3);
    expect(n1.votedFor).toBeNull();
    expectActions(n1, [send("n0", preVoteReply("n1", 4, true))]);
  });

  it("refuses a pre-vote, with its own term, while it hears from a leader (Raft thesis §9.6)", () => {
    const n1 = node("n1", 3);
    n1.handleMessage(appendCall({ from: "n2", term: 3, commitIndex: 2, entries: segment(pos(1, 2), []) }));
    drain(n1);
    n1.handleMessage(preVoteCall("n0", 4));
    expectActions(n1, [send("n0", preVoteReply("n1", 3, false))]);
    expect(n1.leaderId).toBe(id("n2"));
  });

  it("refuses a pre-vote from a shorter log, or for a term not after its own", () => {
    const n1 = node("n1", 3);
    n1.handleElectionTimeout();
    drain(n1);
    n1.handleMessage(preVoteCall("n0", 4, 1, 0)); // Last position 0/1 < 1/2.
    n1.handleMessage(preVoteCall("n2", 3)); // Term 3 is not after n1's own term 3.
    expectActions(n1, [send("n0", preVoteReply("n1", 3, false)), send("n2", preVoteReply("n1", 3, false))]);
  });

  it("a leader refuses pre-votes", () => {
    const c = bootstrapped(["n0", "n1", "n2"], PRE_VOTE);
    const n0 = c.node("n0");
    n0.handleMessage(preVoteCall("n1", n0.currentTerm + 1, n0.log.lastPosition.index, n0.currentTerm));
    expectActions(n0, [send("n1", preVoteReply("n0", n0.currentTerm, false))]);
  });
});

describe("pre-vote in a cluster", () => {
  it("a follower cut off for many election timeouts and then healed does not depose the leader", () => {
    const c = bootstrapped(["n0", "n1", "n2"], PRE_VOTE);
    const term = c.node("n0").currentTerm;
    c.isolated.add(id("n2"));
    timeOutWhileCut(c, "n2", 25);
    expect<number>(c.node("n2").currentTerm).toBe(term); // It never raised its term.
    c.isolated.delete(id("n2"));
    c.node("n0").proposeCommand("after the heal");
    c.node("n0").handleElectionTimeout(); // A heartbeat reaches n2.
    c.run();
    expect(c.leader()?.id).toBe(id("n0"));
    expect<number>(c.node("n0").currentTerm).toBe(term);
    expect(c.node("n2").leaderId).toBe(id("n0"));
    c.node("n0").handleElectionTimeout(); // The next heartbeat carries the new commit index.
    c.run();
    expect(c.node("n2").commitIndex).toBe(c.node("n0").commitIndex);
    expect<number>(c.node("n0").currentTerm).toBe(term);
  });

  it("without pre-vote, the same healed follower deposes the leader (the disruption pre-vote prevents)", () => {
    const c = bootstrapped(["n0", "n1", "n2"]);
    const term = c.node("n0").currentTerm;
    c.isolated.add(id("n2"));
    timeOutWhileCut(c, "n2", 25);
    expect<number>(c.node("n2").currentTerm).toBe(term + 25);
    c.isolated.delete(id("n2"));
    c.node("n0").handleElectionTimeout();
    c.run();
    expect(c.node("n0").currentTerm).toBeGreaterThan(term); // n2's reply carried its term: n0 stepped down.
  });

  it("an election is not stuck when a node with a higher term but a shorter log refuses pre-votes", () => {
    const c = bootstrapped(["n0", "n1", "n2"], PRE_VOTE);
    c.isolated.add(id("n2"));
    c.node("n0").proposeCommand("only on n0 and n1");
    c.run();
    // n2 moved to a far later term (e.g. it ran without pre-vote for a while).
    const n2 = c.node("n2");
    n2.handleMessage({ type: "RequestVoteCall", from: id("n1"), term: Term.of(9), lastPosition: pos(0, 0) });
    c.drain(n2);
    c.queue.length = 0;
    c.isolated.delete(id("n2"));
    c.node("n0").handleElectionTimeout(); // n2 answers the heartbeat with term 9: n0 steps down.
    c.run();
    for (let round = 0; round < 6 && (c.leader() === undefined || c.leader()?.currentTerm === 1); round++) {
      c.node(round % 2 === 0 ? "n1" : "n0").handleElectionTimeout();
      c.run();
    }
    const leader = c.leader();
    expect(leader).toBeDefined();
    expect(leader?.currentTerm).toBeGreaterThan(9);
    expect(leader?.id).not.toBe(id("n2")); // Its log lacks a committed entry.
  });
});
