// One scenario per defect of raftbare listed in the behavioural spec, section 9. Each drives the
// situation the spec describes and asserts the correct outcome, so it fails if the defect is present.
import { describe, expect, it } from "bun:test";
import { ClusterConfig, Generation, Log, type Message, RaftNode, Term } from "../../packages/core/src/mod.ts";
import { bootstrapped, deliverQueued, takeQueued } from "../helpers/core_cluster.ts";
import {
  append,
  appendCall,
  appendReply,
  commandEntry,
  configEntry,
  drain,
  expectActions,
  id,
  ids,
  pos,
  SAVE_TERM,
  SAVE_VOTE,
  SET_TIMEOUT,
  segment,
  send,
  sentTo,
  termEntry,
  voters,
} from "../helpers/core_harness.ts";

const X = commandEntry;

describe("spec 9.1: votes compare the last term before the last index", () => {
  it("a voter holding committed entries of a newer term refuses a longer log of an older term, and they survive", () => {
    const c = bootstrapped(["n0", "n1", "n2"]);
    const [n0, n1, n2] = [c.node("n0"), c.node("n1"), c.node("n2")];
    // 1. n0 leads term 1 and entries up to 3 are committed everywhere.
    expect(n0.proposeCommand("c3").ok).toBe(true);
    c.run();
    n0.heartbeat();
    c.run();
    for (const n of [n0, n1, n2]) expect<number>(n.commitIndex).toBe(3);
    // 2. n0 appends 4-6, which nobody receives.
    for (const data of ["a4", "a5", "a6"]) n0.proposeCommand(data);
    c.drain(n0);
    c.queue.length = 0;
    expect(n0.log.lastPosition).toEqual(pos(1, 6));
    // 3. n1 and n2 split a vote in term 2; n1 wins term 3 and commits Term(3) at 4 and a command at 5.
    c.isolated.add(id("n0"));
    n1.handleElectionTimeout();
    n2.handleElectionTimeout();
    c.run();
    expect([n1.role, n2.role]).toEqual(["candidate", "candidate"]);
    n1.handleElectionTimeout();
    c.run();
    expect(n1.role).toBe("leader");
    expect<number>(n1.currentTerm).toBe(3);
    const committed = n1.proposeCommand("b5");
    expect(committed).toEqual({ ok: true, position: pos(3, 5) });
    c.run();
    n1.heartbeat();
    c.run();
    expect<number>(n2.commitIndex).toBe(5);
    // 4. n1 dies.
    c.isolated.add(id("n1"));
    c.isolated.delete(id("n0"));
    // 5. n0 learns the higher term from n2's answer to a stale heartbeat and steps down.
    n0.heartbeat();
    c.run();
    expect(n0.role).toBe("follower");
    expect<number>(n0.currentTerm).toBe(3);
    // 6. n2 campaigns in term 4; its request to n0 is lost.
    n2.handleElectionTimeout();
    c.drain(n2);
    c.queue.length = 0;
    // 7. n0 campaigns: term 4 reaches n2 as a candidate of that term; term 5 reaches it as a follower.
    n0.handleElectionTimeout();
    c.run();
    n0.handleElectionTimeout();
    c.drain(n0);
    const [call] = takeQueued(c, "n2");
    expect<unknown>(call).toEqual({ type: "RequestVoteCall", from: id("n0"), term: 5, lastPosition: pos(1, 6) });
    n2.handleMessage(call);
    // n2 moves to term 5 and re-arms its timer (it left the candidate role) but does not vote: 3/5 > 1/6.
    expectActions(n2, [SET_TIMEOUT, SAVE_TERM, SAVE_VOTE]);
    expect(n2.votedFor).toBeNull();
    expect(n0.role).toBe("candidate");
    // 8. n2 campaigns again, wins with n0's vote, and the committed entries 4-5 survive on n0.
    n2.handleElectionTimeout();
    c.run();
    expect(n2.role).toBe("leader");
    n2.heartbeat();
    c.run();
    expect(n0.log.lastPosition).toEqual(pos(6, 6));
    expect<number | undefined>(n0.log.entries.getTerm(4)).toBe(3);
    expect(n0.log.entries.getEntry(5)).toEqual(X("b5"));
    expect(n0.getCommitStatus(pos(3, 5))).toBe("committed");
    expect(n0.getCommitStatus(pos(1, 5))).toBe("rejected");
  });

  it("a follower refuses a vote to a candidate whose last term is lower, whatever its last index", () => {
    const log = new Log(voters(["n0", "n1", "n2"]), segment(pos(0, 0), [termEntry(1), X(), termEntry(3), X()]));
    const node = RaftNode.restart(id("n2"), Generation.of(1), Term.of(3), null, log);
    drain(node);
    node.handleMessage({ type: "RequestVoteCall", from: id("n0"), term: Term.of(5), lastPosition: pos(1, 6) });
    expectActions(node, [SAVE_TERM, SAVE_VOTE]); // No vote and no re-armed timer.
    node.handleMessage({ type: "RequestVoteCall", from: id("n1"), term: Term.of(5), lastPosition: pos(3, 4) });
    expectActions(node, [
      SET_TIMEOUT,
      SAVE_VOTE,
      send("n1", { type: "RequestVoteReply", from: id("n2"), term: Term.of(5), voteGranted: true }),
    ]);
  });
});

describe("spec 9.2: shrinking to a single voter keeps committing", () => {
  for (const names of [
    ["n0", "n1"],
    ["n0", "n1", "n2"],
  ]) {
    it(`a leader of ${names.length} that removes every other voter commits C_new and later commands`, () => {
      const c = bootstrapped(names);
      const n0 = c.node("n0");
      const joint = n0.config.toJointConsensus([], ids(...names.slice(1)));
      expect(joint.newVoters).toEqual(ids("n0"));
      const proposed = n0.proposeConfig(joint);
      expect(proposed.ok).toBe(true);
      c.run();
      // The joint entry committed, C_new {n0} followed it and committed at once.
      expect(n0.config.equals(voters(["n0"]))).toBe(true);
      expect(n0.log.lastPosition).toEqual(pos(1, 4));
      expect<number>(n0.commitIndex).toBe(4);
      expect(n0.role).toBe("leader");
      const last = n0.log.lastPosition;
      const cmd = n0.proposeCommand("alone");
      expect(cmd).toEqual({ ok: true, position: pos(1, 5) });
      expect<number>(n0.commitIndex).toBe(5);
      expectActions(n0, [append(segment(last, [X("alone")]))]); // Nobody to send it to.
      expect(n0.getCommitStatus(pos(1, 5))).toBe("committed");
    });
  }
});

describe("spec 9.3: a snapshot keeps the pending append of entries after it", () => {
  const config = voters(["n0", "n1"]);
  const all = segment(pos(0, 0), [configEntry(config), termEntry(1), X("c3"), X("c4"), X("c5"), X("c6")]);

  for (const [how, commitIndex] of [
    ["local compaction at the commit index", 3],
    ["an install from the leader above the commit index", 0],
  ] as const) {
    it(`a follower given entries 1-6 that snapshots at 3 before draining still stores 4-6 (${how})`, () => {
      const f = RaftNode.start(id("n1"));
      f.handleMessage(appendCall({ from: "n0", term: 1, commitIndex, entries: all.clone() }));
      expect(f.handleSnapshotInstalled(pos(1, 3), config)).toBe(true);
      expect(f.log.snapshotPosition).toEqual(pos(1, 3));
      expect(f.log.lastPosition).toEqual(pos(1, 6));
      expect<number>(f.commitIndex).toBe(3);
      const reply = appendReply({ from: "n1", term: 1, lastPosition: pos(1, 6), rejected: false });
      expectActions(f, [
        SET_TIMEOUT,
        SAVE_TERM,
        SAVE_VOTE,
        append(segment(pos(1, 3), [X("c4"), X("c5"), X("c6")])),
        send("n0", reply),
      ]);
    });
  }
});

describe("spec 9.4: a removed leader that loses leadership before C_new commits", () => {
  it("campaigns while its removal is uncommitted, so a leader emerges and C_new commits", () => {
    const c = bootstrapped(["n0", "n1"]);
    const [n0, n1] = [c.node("n0"), c.node("n1")];
    const joint = n0.config.toJointConsensus([], ids("n0"));
    expect(n0.proposeConfig(joint).ok).toBe(true);
    c.drain(n0);
    for (const m of takeQueued(c, "n1")) n1.handleMessage(m);
    c.drain(n1);
    for (const m of takeQueued(c, "n0")) n0.handleMessage(m);
    // The joint entry committed and n0 appended C_new = {n1}, which n1 never receives.
    expect(n0.config.equals(voters(["n1"]))).toBe(true);
    n0.proposeCommand("more");
    c.drain(n0);
    c.queue.length = 0;
    expect(n0.log.lastPosition).toEqual(pos(1, 5));
    expect<number>(n0.commitIndex).toBe(3);
    expect(n1.config.isJoint).toBe(true);
    // n1 campaigns; n0 steps down but refuses (its log is longer).
    n1.handleElectionTimeout();
    c.run();
    expect(n0.role).toBe("follower");
    expect(n1.role).toBe("candidate");
    n1.handleElectionTimeout();
    c.run();
    expect(n1.role).toBe("candidate");
    // n0 is not a voter of C_new, but C_new is uncommitted and n0 was a voter before it: it campaigns.
    n0.handleElectionTimeout();
    expect(n0.role).toBe("candidate");
    c.run();
    // n0 won with n1's vote (its own does not count for C_new), replicated C_new, and stepped down once it committed.
    expect(n1.config.equals(voters(["n1"]))).toBe(true);
    expect<number>(n1.log.lastPosition.index).toBe(6);
    expect(n0.role).toBe("follower");
    expect<number>(n0.commitIndex).toBe(6);
    // n0 may no longer campaign; n1, the only voter, elects itself.
    n0.handleElectionTimeout();
    expectActions(n0, []);
    n1.handleElectionTimeout();
    expect(n1.role).toBe("leader");
    c.run();
    expect(n1.proposeCommand("after").ok).toBe(true);
    c.run();
    expect<number>(n1.commitIndex).toBe(n1.log.lastPosition.index);
  });
});

describe("spec 9.5: a bare term bump does not re-arm the election timer", () => {
  it("a stale candidate's higher-term RequestVoteCall does not re-arm an up-to-date follower's timer", () => {
    const c = bootstrapped(["n0", "n1", "n2"]);
    const [n0, n1, n2] = [c.node("n0"), c.node("n1"), c.node("n2")];
    c.isolated.add(id("n2"));
    n0.proposeCommand("missed by n2");
    c.run();
    expect<number>(n0.commitIndex).toBe(3);
    c.isolated.delete(id("n2"));
    // n2 (last 1/2) times out repeatedly; n1 (last 1/3) never grants and never re-arms its timer.
    for (let term = 2; term <= 4; term++) {
      n2.handleElectionTimeout();
      c.drain(n2);
      const [call] = takeQueued(c, "n1");
      expect<unknown>(call).toEqual({ type: "RequestVoteCall", from: id("n2"), term, lastPosition: pos(1, 2) });
      n1.handleMessage(call);
      expectActions(n1, [SAVE_TERM, SAVE_VOTE]);
      c.queue.length = 0;
    }
    // So n1's own timer fires eventually; it campaigns and wins with the votes of n0 and n2.
    n1.handleElectionTimeout();
    c.run();
    expect(n1.role).toBe("leader");
    expect<number>(n1.currentTerm).toBe(5);
    expect(n2.role).toBe("follower");
    c.run();
    expect(n2.log.lastPosition).toEqual(n1.log.lastPosition);
  });
});

describe("spec 9.6: same-term leadership is recognised", () => {
  it("a candidate and a follower that voted for another node both accept the leader of their term", () => {
    const names = ["n0", "n1", "n2", "n3", "n4"];
    const config = voters(names);
    const nodes = new Map<string, RaftNode>();
    for (const name of names) {
      const log = new Log(ClusterConfig.EMPTY, segment(pos(0, 0), [configEntry(config), termEntry(1)]));
      const node = RaftNode.restart(id(name), Generation.of(1), Term.of(1), null, log);
      drain(node);
      nodes.set(name, node);
    }
    const at = (name: string) => nodes.get(name) as RaftNode;
    const vote = (voter: string, candidate: string) => {
      at(voter).handleMessage({
        type: "RequestVoteCall",
        from: id(candidate),
        term: Term.of(2),
        lastPosition: pos(1, 2),
      });
      const [action] = drain(at(voter)).filter((a) => a.type === "SendMessage");
      expect(action).toBeDefined();
      if (action?.type === "SendMessage") at(candidate).handleMessage(action.message);
    };
    at("n0").handleElectionTimeout();
    at("n1").handleElectionTimeout();
    vote("n2", "n1");
    vote("n3", "n0");
    vote("n4", "n0");
    expect(at("n0").role).toBe("leader");
    expect(at("n1").role).toBe("candidate");
    const [broadcast] = drain(at("n0")).filter((a) => a.type === "BroadcastMessage");
    if (broadcast?.type !== "BroadcastMessage") throw new Error("the new leader broadcasts its term entry");
    const first = broadcast.message;
    const stored = segment(pos(1, 2), [termEntry(2)]);
    for (const name of ["n1", "n2"]) {
      drain(at(name));
      at(name).handleMessage(first);
      expect(at(name).role).toBe("follower");
      expect(at(name).leaderId).toBe(id("n0"));
      expect(at(name).votedFor).toBe(id("n1")); // The vote of this term is kept.
      const reply = appendReply({ from: name, term: 2, generation: 1, lastPosition: pos(2, 3), rejected: false });
      // Same term: no save; the timer is re-armed (accepted call; for n1 also leaving the candidate role).
      expectActions(at(name), [SET_TIMEOUT, append(stored.clone()), send("n0", reply)]);
    }
  });
});

describe("spec 9.7: divergence is found where the terms first differ", () => {
  /** A follower in term 2 whose log is config, Term(1), cmd, Term(2), cmd (terms 0 1 1 2 2). */
  function follower(): RaftNode {
    const config = voters(["n0", "n1", "n2"]);
    const log = new Log(
      ClusterConfig.EMPTY,
      segment(pos(0, 0), [configEntry(config), termEntry(1), X("3"), termEntry(2), X("5")]),
    );
    const node = RaftNode.restart(id("n1"), Generation.of(1), Term.of(2), null, log);
    drain(node);
    return node;
  }

  for (const [what, remote, last] of [
    ["a remote range without a term entry", [X("r4"), X("r5"), X("r6")], pos(1, 6)],
    ["a remote term entry after the local one", [X("r4"), X("r5"), termEntry(3)], pos(3, 6)],
  ] as const) {
    it(`a follower whose Term(2) sits inside the leader's range cuts its log there (${what})`, () => {
      const node = follower();
      const entries = segment(pos(1, 3), [...remote]);
      node.handleMessage(appendCall({ from: "n2", term: 3, commitIndex: 0, entries }));
      expect(node.log.lastPosition).toEqual(last);
      expect<number | undefined>(node.log.entries.getTerm(4)).toBe(1);
      expect(node.log.entries.getEntry(4)).toEqual(X("r4"));
      expect(node.inconsistency).toBeNull();
      const reply = appendReply({ from: "n1", term: 3, generation: 1, lastPosition: last, rejected: false });
      expectActions(node, [
        SET_TIMEOUT,
        SAVE_TERM,
        SAVE_VOTE,
        append(segment(pos(1, 3), [...remote])),
        send("n2", reply),
      ]);
    });
  }
});

describe("spec 9.8: smaller issues", () => {
  it("9.8 #3: a conflict at the snapshot point is flagged as an inconsistency, and the log is kept", () => {
    const config = voters(["n0", "n1"]);
    const log = new Log(config, segment(pos(2, 3), [X()]));
    const node = RaftNode.restart(id("n1"), Generation.of(1), Term.of(2), null, log);
    drain(node);
    node.handleMessage(appendCall({ from: "n0", term: 3, commitIndex: 4, entries: segment(pos(3, 3), [X()]) }));
    expect(node.inconsistency).not.toBeNull();
    expect(node.log.lastPosition).toEqual(pos(2, 4));
    expect(node.log.snapshotPosition).toEqual(pos(2, 3));
    const reply = appendReply({ from: "n1", term: 3, generation: 1, lastPosition: pos(2, 4), rejected: true });
    expectActions(node, [SET_TIMEOUT, SAVE_TERM, SAVE_VOTE, send("n0", reply)]);
  });

  it("9.8 #5 and #6: a leader stepping down on its committed removal sends nothing more and rejects its read barrier", () => {
    const c = bootstrapped(["n0", "n1", "n2"]);
    const [n0, n2] = [c.node("n0"), c.node("n2")];
    const joint = n0.config.toJointConsensus([], ids("n0"));
    expect(n0.proposeConfig(joint).ok).toBe(true);
    c.drain(n0);
    deliverQueued(c); // The joint entry reaches n1 and n2.
    deliverQueued(c); // Both replies: the joint entry commits and C_new {n1, n2} follows.
    expect(n0.config.equals(voters(["n1", "n2"]))).toBe(true);
    deliverQueued(c); // C_new reaches n1 and n2.
    for (const m of takeQueued(c, "n0")) if (m.from === "n1") n0.handleMessage(m); // n2's ack is lost.
    expect(n0.role).toBe("leader");
    expect<number>(n0.commitIndex).toBe(3);
    const hb = n0.heartbeat();
    if (!hb.ok) throw new Error("n0 leads");
    expect(n0.proposeCommand("late").ok).toBe(true); // Entry 5: lost on the way.
    c.drain(n0);
    c.queue.length = 0;
    expect(n0.proposeCommand("later").ok).toBe(true); // Entry 6: n2 cannot attach it.
    c.drain(n0);
    for (const m of takeQueued(c, "n2")) n2.handleMessage(m);
    c.queue.length = 0;
    const reply = sentTo(drain(n2), "n0");
    expect<unknown>(reply).toEqual(
      appendReply({ from: "n2", term: 1, lastPosition: pos(1, 4), rejected: true, seq: hb.seq }),
    );
    n0.handleMessage(reply as Message);
    // C_new committed: n0 steps down in the same term and sends n2 no catch-up for entries 5-6.
    expect(n0.role).toBe("follower");
    expect<number>(n0.commitIndex).toBe(4);
    expectActions(n0, [SET_TIMEOUT]);
    expect(n0.getHeartbeatStatus(hb.seq)).toBe("rejected");
  });
});
