// Reference: raftbare tests/fixed_scenario_test.rs (7 scenarios at 0.1.1, 5 added by HEAD), re-expressed
// for this core. Every step asserts the exact set of pending actions.
import { describe, expect, it } from "bun:test";
import { Generation, Log, RaftNode, Term } from "../../packages/core/src/mod.ts";
import {
  appendCall,
  appendReply,
  configEntry,
  drain,
  expectActions,
  expectNoActions,
  id,
  ids,
  pos,
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
import { Scenario, ThreeNodeCluster } from "../helpers/fixed_scenario.ts";

describe("fixed scenarios (raftbare 0.1.1)", () => {
  it("single_node_start: createCluster([self]) makes the node leader with one storage append and no message", () => {
    const s = new Scenario();
    const node = s.start("n0", ["n0"]);
    // Differs from raftbare: createCluster returns the config entry's position (0/1), not the leader's last.
    expect(node.log.lastPosition).toEqual(pos(1, 2));
    expect(node.getCommitStatus(pos(0, 1))).toBe("committed");
    expect(node.getCommitStatus(pos(1, 2))).toBe("committed");
  });

  it("create_two_nodes_cluster: a fresh node votes, fails the first call, catches up and commits", () => {
    const s = new Scenario();
    s.start("n0", ["n0", "n1"]);
    s.start("n1");
    const call = s.electionTimeout("n0");
    expect(call.term).toBe<number>(2);
    const vote = s.requestVoteCallSuccess("n1", call);
    const first = s.becomeLeader("n0", vote);
    const failed = s.appendCallFailure("n1", first);
    expect(failed.lastPosition).toEqual(pos(0, 0));
    // Differs from raftbare: the follower's reply says `rejected`, and the leader resends all it lacks.
    const everything = segment(pos(0, 0), [configEntry(voters(["n0", "n1"])), termEntry(2)]);
    const delta = s.appendReplyFailure("n0", failed, everything);
    const ok = s.appendCallSuccess("n1", delta);
    s.appendReplySuccess("n0", ok, true);
    expect(s.node("n0").commitIndex).toBe<number>(2);
    expect(s.node("n1").config.equals(s.node("n0").config)).toBe(true);
  });

  it("create_three_nodes_cluster: all three nodes end with the same, non-joint configuration", () => {
    const c = new ThreeNodeCluster();
    c.initCluster();
    for (const name of ["n0", "n1", "n2"]) {
      expect(c.node(name).config.isJoint).toBe(false);
      expect(c.node(name).config.equals(c.initialConfig)).toBe(true);
    }
    expect(c.node("n0").commitIndex).toBe<number>(2);
    expect(c.node("n1").commitIndex).toBe<number>(0); // It learns the commit index from the next call.
    expect(c.node("n2").commitIndex).toBe<number>(2);
  });

  it("election: a new leader is elected by a candidate that steps down, and the old leader follows it", () => {
    const c = new ThreeNodeCluster();
    c.initCluster();
    c.electionTimeout("n1");
    c.electionTimeout("n2");
    const call = c.electionTimeout("n1");
    expect(call.term).toBe<number>(4);
    // n2 is a candidate of term 3: the higher term makes it a follower (timer re-armed: it left the
    // candidate role) and it grants.
    const vote = c.requestVoteCallSuccess("n2", call);
    const first = c.becomeLeader("n1", vote);
    expect(first.commitIndex).toBe<number>(0); // n1 never learned that 2 is committed.
    const reply2 = c.appendCallSuccess("n2", first);
    // The old leader of term 2 saves the new term and a cleared vote, re-arms its timer, and appends.
    const reply0 = c.appendCallSuccess("n0", first);
    expect(c.node("n0").role).toBe("follower");
    c.appendReplySuccess("n1", reply2, true);
    c.appendReplySuccess("n1", reply0, false);
    // A manual heartbeat: one reply (plus the leader itself) is a majority, which confirms the barrier.
    const hb = c.heartbeat("n1");
    const hbReply = c.appendCallSuccess("n0", hb);
    expect(c.node("n0").commitIndex).toBe<number>(3);
    c.appendReplySuccess("n1", hbReply, false);
    expect(c.node("n1").getHeartbeatStatus(hb.seq)).toBe("confirmed");
    // A periodic heartbeat through the leader's timer.
    const periodic = c.heartbeat("n1", true);
    const periodicReply = c.appendCallSuccess("n2", periodic);
    c.appendReplySuccess("n1", periodicReply, false);
  });

  it("restart: a follower rebuilt from its persisted state keeps replicating, and its new generation is accepted", () => {
    const c = new ThreeNodeCluster();
    c.initCluster();
    c.replicateCommand("n0", ["n1", "n2"]);
    const restarted = c.restart("n1", 1);
    expect(restarted.generation).toBe<number>(1);
    expect(restarted.currentTerm).toBe<number>(2);
    expect(restarted.votedFor).toBe(id("n0"));
    const call = c.proposeCommand("n0", "second");
    const reply = c.appendCallSuccess("n1", call);
    expect(reply.generation).toBe<number>(1);
    c.appendReplySuccess("n0", reply, true);
    expect(c.node("n0").commitIndex).toBe<number>(4);
  });

  it("truncate_log: an uncommitted entry of the old leader is overwritten and finally reported rejected", () => {
    const c = new ThreeNodeCluster();
    c.initCluster();
    c.replicateCommand("n0", ["n1", "n2"]);
    const n0 = c.node("n0");
    expect(n0.proposeCommand("lost")).toEqual({ ok: true, position: pos(2, 4) });
    drain(n0); // Lost: never stored elsewhere, never sent.
    c.electionTimeout("n2");
    const call = c.electionTimeout("n2");
    expect(call.term).toBe<number>(4);
    // Differs from raftbare 0.1.1: no built-in filter; the runtime asks the predicate and drops the call.
    expect(n0.couldBeDisruptiveRequestVote(call)).toBe(true);
    c.electionTimeout("n1");
    expect(c.node("n1").couldBeDisruptiveRequestVote(call)).toBe(false); // A candidate is not disrupted.
    const vote = c.requestVoteCallSuccess("n1", call); // Equal last positions (2/3): granted.
    const first = c.becomeLeader("n2", vote);
    expect(first.entries.prevPosition).toEqual(pos(2, 3));
    // n0 replaces its entry 2/4 by the new leader's 4/4.
    const reply0 = c.appendCallSuccess("n0", first);
    expect(n0.log.entries.getTerm(4)).toBe<number>(4);
    // HEAD semantics: not yet decidable on n0 (its commit index is 3, the term there is 2).
    expect(n0.getCommitStatus(pos(2, 4))).toBe("in_progress");
    c.appendReplySuccess("n2", reply0, true);
    const hb = c.heartbeat("n2");
    c.appendCallSuccess("n0", hb);
    expect(n0.commitIndex).toBe<number>(4);
    expect(n0.getCommitStatus(pos(2, 4))).toBe("rejected");
    expect(n0.getCommitStatus(pos(4, 4))).toBe("committed");
  });

  it("snapshot: a node added by joint consensus installs the leader's snapshot, catches up, and C_new follows", () => {
    const c = new ThreeNodeCluster();
    c.initCluster();
    c.replicateCommand("n0", ["n1", "n2"]);
    const hb = c.heartbeat("n0");
    for (const name of ["n1", "n2"]) c.appendReplySuccess("n0", c.appendCallSuccess(name, hb), false);
    for (const name of ["n0", "n1", "n2"]) {
      const node = c.node(name);
      const last = node.log.lastPosition;
      expect(last).toEqual(pos(2, 3));
      const at = node.log.getPositionAndConfig(last.index);
      expect(at).toEqual({ position: pos(2, 3), config: c.initialConfig });
      expect(node.handleSnapshotInstalled(pos(2, 3), c.initialConfig)).toBe(true);
      expect(node.log.snapshotPosition).toEqual(pos(2, 3));
      expectNoActions(node);
    }
    const joint = c.initialConfig.toJointConsensus([id("n3")], [id("n1"), id("n2")]);
    expect(joint.newVoters).toEqual(ids("n0", "n3"));
    const proposal = c.proposeConfig("n0", joint);
    for (const name of ["n1", "n2"]) {
      // The old voters agree, but the new voters lack n3: no commit yet.
      c.appendReplySuccess("n0", c.appendCallSuccess(name, proposal), false);
    }
    const n3 = c.start("n3");
    const failed = c.appendCallFailure("n3", proposal);
    expect(failed.lastPosition).toEqual(pos(0, 0));
    c.appendReplyNeedSnapshot("n0", failed);
    const leaderLog = c.node("n0").log;
    expect(n3.handleSnapshotInstalled(leaderLog.snapshotPosition, leaderLog.snapshotConfig)).toBe(true);
    // Differs from raftbare: a leader's snapshot re-arms the election timer, as a leader's call does.
    expectActions(n3, [SET_TIMEOUT]);
    // Differs from raftbare: installing the leader's snapshot raises the commit index to it (spec 9.8 #2).
    expect(n3.commitIndex).toBe<number>(3);
    const hb2 = c.heartbeat("n0");
    const failedAgain = c.appendCallFailure("n3", hb2);
    expect(failedAgain.lastPosition).toEqual(pos(2, 3));
    const delta = c.appendReplyFailure("n0", failedAgain, segment(pos(2, 3), [configEntry(joint)]));
    const ok = c.appendCallSuccess("n3", delta);
    const cNewCall = c.appendReplyJointCommitted("n0", ok);
    expect(cNewCall.entries.lastPosition).toEqual(pos(2, 5));
    expect(c.node("n0").config.voters).toEqual(ids("n0", "n3"));
    expect(c.node("n0").peers).toEqual(ids("n3"));
  });
});

describe("fixed scenarios (raftbare HEAD additions)", () => {
  it("self_request_vote_call_is_ignored: a candidate's own RequestVoteCall changes nothing", () => {
    const s = new Scenario();
    s.start("n0", ["n0", "n1", "n2"]);
    const call = s.electionTimeout("n0");
    const node = s.node("n0");
    node.handleMessage(call);
    expect(node.role).toBe("candidate");
    expect(node.currentTerm).toBe<number>(2);
    expect(node.votedFor).toBe(id("n0"));
    expectNoActions(node);
  });

  function restartedVoter(): RaftNode {
    const log = Log.empty(voters(["n0", "n1", "n2"]), pos(0, 0));
    const node = RaftNode.restart(id("n0"), Generation.of(1), Term.of(2), id("n1"), log);
    expectActions(node, [SET_TIMEOUT]);
    return node;
  }

  it("couldBeDisruptiveRequestVote() is false for a request that only conflicts with the vote", () => {
    // Differs from raftbare HEAD: only a leader, or a follower that heard from its leader within the
    // current election timeout, filters; a bare vote for another node does not (it can stall elections).
    const node = restartedVoter();
    expect(node.couldBeDisruptiveRequestVote(voteCall("n2", 3, pos(0, 0)))).toBe(false);
    expectNoActions(node);
    expect(node.currentTerm).toBe<number>(2);
  });

  it("couldBeDisruptiveRequestVote() is false for a candidate", () => {
    const s = new Scenario();
    s.start("n0", ["n0", "n1", "n2"]);
    const node = s.node("n0");
    expect(node.couldBeDisruptiveRequestVote(voteCall("n2", 5, pos(0, 0)))).toBe(false);
    expectNoActions(node);
  });

  it("couldBeDisruptiveRequestVote() is false for a message that is not a RequestVoteCall", () => {
    const node = restartedVoter();
    const call = appendCall({ from: "n2", term: 3, commitIndex: 0, entries: segment(pos(0, 0), []) });
    expect(node.couldBeDisruptiveRequestVote(call)).toBe(false);
    const reply = appendReply({ from: "n2", term: 3, lastPosition: pos(0, 0), rejected: false });
    expect(node.couldBeDisruptiveRequestVote(reply)).toBe(false);
    expect(node.couldBeDisruptiveRequestVote(voteReply("n2", 3, true))).toBe(false);
  });

  it("disruptive_request_vote_is_processed_without_prefilter: the node moves to the term and votes", () => {
    const node = restartedVoter();
    node.handleMessage(voteCall("n2", 3, pos(0, 0)));
    expect(node.role).toBe("follower");
    expect(node.currentTerm).toBe<number>(3);
    expect(node.votedFor).toBe(id("n2"));
    expectActions(node, [SET_TIMEOUT, SAVE_TERM, SAVE_VOTE, send("n2", voteReply("n0", 3, true))]);
  });
});
