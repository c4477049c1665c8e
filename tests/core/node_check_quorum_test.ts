import { describe, expect, it } from "bun:test";
import { type RaftNode, type RequestVoteCall, Term } from "../../packages/core/src/mod.ts";
import { bootstrapped } from "../helpers/core_cluster.ts";
import {
  appendCall,
  appendReply,
  configEntry,
  drain,
  elect,
  expectActions,
  id,
  pos,
  restarted,
  SET_TIMEOUT,
  segment,
  termEntry,
  voteReply,
  voters,
} from "../helpers/core_harness.ts";

const THREE = voters(["n0", "n1", "n2"]);
const TICKS = 4;
const CHECK_QUORUM = { checkQuorum: true, electionTicks: TICKS };

function node(name: string, term = 1, options: object = CHECK_QUORUM): RaftNode {
  return restarted(name, { term, entries: segment(pos(0, 0), [configEntry(THREE), termEntry(1)]), options });
}

/** n0 elected leader of THREE in term 2 (log config, Term(1), Term(2)). */
function leader(options: object = CHECK_QUORUM): RaftNode {
  return elect(node("n0", 1, options), ["n1"]);
}

function voteCall(from: string, term: number, extra: Partial<RequestVoteCall> = {}): RequestVoteCall {
  return { type: "RequestVoteCall", from: id(from), term: Term.of(term), lastPosition: pos(9, 9), ...extra };
}

describe("check-quorum: the leader", () => {
  it("steps down when no follower answered for an election timeout (electionTicks heartbeats)", () => {
    const n0 = leader();
    for (let k = 1; k < TICKS; k++) {
      n0.handleElectionTimeout();
      expect(n0.role).toBe("leader");
      drain(n0);
    }
    n0.handleElectionTimeout();
    expect(n0.role).toBe("follower");
    expect<number>(n0.currentTerm).toBe(2); // Same term: stepping down raises nothing.
    expect(n0.leaderId).toBeNull();
    expectActions(n0, [SET_TIMEOUT]); // No heartbeat goes out.
    expect(n0.proposeCommand("x")).toMatchObject({ ok: false, reason: "not_leader" });
    expect(n0.heartbeat().ok).toBe(false); // Reads stop too.
  });

  it("stays leader while a quorum answers in every round", () => {
    const n0 = leader();
    for (let k = 0; k < 5 * TICKS; k++) {
      n0.handleElectionTimeout();
      drain(n0);
      n0.handleMessage(appendReply({ from: "n1", term: 2, lastPosition: pos(2, 3), rejected: false, generation: 1 }));
      drain(n0);
    }
    expect(n0.role).toBe("leader");
  });

  it("without check-quorum, a leader nobody answers stays leader", () => {
    const n0 = leader({});
    for (let k = 0; k < 5 * TICKS; k++) {
      n0.handleElectionTimeout();
      drain(n0);
    }
    expect(n0.role).toBe("leader");
  });

  it("ignores a vote request for a later term (stickiness)", () => {
    const n0 = leader();
    n0.handleMessage(voteCall("n1", 7));
    expectActions(n0, []);
    expect(n0.role).toBe("leader");
    expect<number>(n0.currentTerm).toBe(2);
  });
});

describe("check-quorum: leader stickiness on followers", () => {
  function followerOf(leaderName: string, options: object = CHECK_QUORUM): RaftNode {
    const n1 = node("n1", 2, options);
    n1.handleMessage(appendCall({ from: leaderName, term: 2, commitIndex: 2, entries: segment(pos(1, 2), []) }));
    drain(n1);
    return n1;
  }

  it("a follower that heard from its leader ignores a later-term vote request: no reply, no term change", () => {
    const n1 = followerOf("n0");
    n1.handleMessage(voteCall("n2", 5));
    expectActions(n1, []);
    expect<number>(n1.currentTerm).toBe(2);
    expect(n1.leaderId).toBe(id("n0"));
  });

  it("without check-quorum the follower moves to the later term (the core's default, filtered by the runtime)", () => {
    const n1 = followerOf("n0", {});
    n1.handleMessage(voteCall("n2", 5));
    expect<number>(n1.currentTerm).toBe(5);
  });

  it("a vote request from a leadership transfer gets through", () => {
    const n1 = followerOf("n0");
    n1.handleMessage(voteCall("n2", 3, { transfer: true }));
    expect<number>(n1.currentTerm).toBe(3);
    expect(n1.votedFor).toBe(id("n2"));
  });

  it("once its timer expired (the leader is lost), it takes vote requests again", () => {
    const n1 = followerOf("n0");
    n1.handleElectionTimeout(); // Campaigns in term 3 (no pre-vote here).
    drain(n1);
    n1.handleMessage(voteCall("n2", 5));
    expect<number>(n1.currentTerm).toBe(5);
    expect(n1.votedFor).toBe(id("n2"));
  });

  it("the runtime's disruptive-vote predicate never flags a transfer or a pre-vote", () => {
    const n1 = followerOf("n0", {});
    expect(n1.couldBeDisruptiveRequestVote(voteCall("n2", 5))).toBe(true);
    expect(n1.couldBeDisruptiveRequestVote(voteCall("n2", 5, { transfer: true }))).toBe(false);
    expect(n1.couldBeDisruptiveRequestVote(voteCall("n2", 5, { preVote: true }))).toBe(false);
  });
});

describe("check-quorum in a cluster", () => {
  it("a leader cut off in a minority steps down, and the majority elects a new one", () => {
    const c = bootstrapped(["n0", "n1", "n2"], { ...CHECK_QUORUM, preVote: true });
    const n0 = c.node("n0");
    c.isolated.add(id("n0"));
    // The round under way counts the answers from before the cut, so the next round is the one
    // that finds no quorum: the leader is down within two election timeouts.
    for (let k = 0; k < 2 * TICKS; k++) {
      n0.handleElectionTimeout();
      c.run();
    }
    expect(n0.role).toBe("follower");
    // The majority's timers expire: one of them leads a later term.
    c.node("n1").handleElectionTimeout();
    c.run();
    c.node("n2").handleElectionTimeout();
    c.run();
    c.node("n1").handleElectionTimeout();
    c.run();
    const leader = c.leader();
    expect(leader === undefined ? null : leader.id).not.toBeNull();
    expect(leader?.id).not.toBe(id("n0"));
    expect(n0.role).toBe("follower");
  });

  it("answers count only in the leader's term: a stale reply does not keep it leader", () => {
    const n0 = leader();
    for (let k = 0; k < TICKS; k++) {
      n0.handleMessage(appendReply({ from: "n1", term: 1, lastPosition: pos(1, 2), rejected: false, generation: 1 }));
      n0.handleElectionTimeout();
      drain(n0);
    }
    expect(n0.role).toBe("follower");
  });

  it("a vote from the candidate's own term still elects (stickiness concerns later terms only)", () => {
    const n0 = node("n0");
    n0.handleElectionTimeout();
    drain(n0);
    n0.handleMessage(voteReply("n1", 2, true));
    expect(n0.role).toBe("leader");
    expect<number>(n0.currentTerm).toBe(2);
  });

  it("a leader that steps down sends nothing more than the re-armed timer", () => {
    const n0 = leader();
    n0.proposeCommand("pending");
    drain(n0);
    for (let k = 0; k < TICKS - 1; k++) {
      n0.handleElectionTimeout();
      drain(n0);
    }
    n0.handleElectionTimeout();
    expect(n0.role).toBe("follower");
    expectActions(n0, [SET_TIMEOUT]);
    n0.handleMessage(appendReply({ from: "n1", term: 2, lastPosition: pos(2, 4), rejected: false, generation: 1 }));
    expectActions(n0, []); // A late reply finds no leader to advance.
    expect(n0.heartbeat()).toMatchObject({ ok: false });
  });
});
