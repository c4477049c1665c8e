/**
 * Hand-driven scenarios in the style of raftbare's fixed-scenario tests: each step feeds one input
 * to one node and asserts the exact set of actions it leaves pending. Expected actions are built
 * from the node's state before the step and the input, never from the node's output.
 */
import { expect } from "bun:test";
import {
  type AppendEntriesCall,
  type AppendEntriesReply,
  ClusterConfig,
  Generation,
  Log,
  type LogEntries,
  type LogEntry,
  type LogPosition,
  type Payload,
  type ProposeResult,
  RaftNode,
  type RequestVoteCall,
  type RequestVoteReply,
  Term,
} from "../../packages/core/src/mod.ts";
import {
  append,
  appendCall,
  appendReply,
  broadcast,
  commandEntry,
  configEntry,
  expectActions,
  id,
  ids,
  installSnapshot,
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
} from "./core_harness.ts";

/** Options for {@link Scenario.appendCallSuccess}. */
export interface CallSuccessOptions {
  /** The storage append expected (default: the call's entries, or none if they are empty). */
  append?: LogEntries | null;
}

/** A set of nodes driven step by step, each step checked against the exact pending actions. */
export class Scenario {
  readonly #nodes = new Map<string, RaftNode>();
  /** The heartbeat sequence number each node's next AppendEntriesCall carries. */
  readonly #seq = new Map<string, number>();

  /** The node named `name`. */
  node(name: string): RaftNode {
    const node = this.#nodes.get(name);
    if (node === undefined) throw new Error(`no node ${name}`);
    return node;
  }

  /** The heartbeat sequence number that `name`'s AppendEntriesCalls currently carry. */
  seq(name: string): number {
    return this.#seq.get(name) ?? 0;
  }

  /**
   * Starts a fresh node (asserting its initial state) and, with `voterNames`, bootstraps a cluster on
   * it: a single self voter becomes leader at once, otherwise the node becomes a candidate.
   */
  start(name: string, voterNames?: string[]): RaftNode {
    const node = RaftNode.start(id(name));
    this.#nodes.set(name, node);
    this.#seq.set(name, 0);
    expect(node.role).toBe("follower");
    expect(node.currentTerm).toBe(Term.ZERO);
    expect(node.votedFor).toBeNull();
    expect(node.actions.isEmpty).toBe(true);
    if (voterNames === undefined) return node;
    const config = voters(voterNames);
    expect(node.createCluster(ids(...voterNames))).toEqual({ ok: true, position: pos(0, 1) });
    expect(node.currentTerm).toBe<number>(1);
    expect(node.votedFor).toBe(id(name));
    if (voterNames.length === 1 && voterNames[0] === name) {
      expect(node.role).toBe("leader");
      expect(node.commitIndex).toBe<number>(2);
      const stored = segment(pos(0, 0), [configEntry(config), termEntry(1)]);
      expectActions(node, [SET_TIMEOUT, SAVE_TERM, SAVE_VOTE, append(stored)]);
    } else {
      expect(node.role).toBe("candidate");
      const stored = segment(pos(0, 0), [configEntry(config)]);
      const call = voteCall(name, 1, pos(0, 1));
      expectActions(node, [SET_TIMEOUT, SAVE_TERM, SAVE_VOTE, broadcast(call), append(stored)]);
    }
    return node;
  }

  /** Restarts `name` from a copy of its current term, vote and log, with `generation`. */
  restart(name: string, generation: number): RaftNode {
    const old = this.node(name);
    const log = new Log(old.log.snapshotConfig, old.log.entries.clone());
    const node = RaftNode.restart(old.id, Generation.of(generation), old.currentTerm, old.votedFor, log);
    this.#nodes.set(name, node);
    this.#seq.set(name, 0);
    expect(node.role).toBe("follower");
    expect(node.commitIndex).toBe(log.snapshotPosition.index);
    expectActions(node, [SET_TIMEOUT]);
    return node;
  }

  /** A follower or candidate times out and campaigns in the next term. Returns its RequestVoteCall. */
  electionTimeout(name: string): RequestVoteCall {
    const node = this.node(name);
    const term = node.currentTerm + 1;
    const call = voteCall(name, term, node.log.lastPosition);
    node.handleElectionTimeout();
    expect(node.role).toBe("candidate");
    expect(node.currentTerm).toBe<number>(term);
    expect(node.votedFor).toBe(id(name));
    expectActions(node, [SET_TIMEOUT, SAVE_TERM, SAVE_VOTE, broadcast(call)]);
    return call;
  }

  /** `name` grants `call`'s vote. Returns the reply. */
  requestVoteCallSuccess(name: string, call: RequestVoteCall): RequestVoteReply {
    const node = this.node(name);
    const bumped = call.term > node.currentTerm;
    const changedVote = bumped || node.votedFor !== call.from;
    node.handleMessage(call);
    expect(node.role).toBe("follower");
    expect(node.currentTerm).toBe(call.term);
    expect(node.votedFor).toBe(call.from);
    const reply = voteReply(name, call.term, true);
    const expected = [SET_TIMEOUT, send(call.from, reply)];
    if (bumped) expected.push(SAVE_TERM);
    if (changedVote) expected.push(SAVE_VOTE);
    expectActions(node, expected);
    return reply;
  }

  /** A candidate receives the vote that gives it a majority. Returns its first AppendEntriesCall. */
  becomeLeader(name: string, reply: RequestVoteReply): AppendEntriesCall {
    const node = this.node(name);
    expect(node.role).toBe("candidate");
    const last = node.log.lastPosition;
    const term = node.currentTerm;
    const entries = segment(last, [termEntry(term)]);
    const call = appendCall({ from: name, term, commitIndex: node.commitIndex, entries, seq: this.seq(name) });
    node.handleMessage(reply);
    expect(node.role).toBe("leader");
    expect(node.leaderId).toBe(id(name));
    expectActions(node, [SET_TIMEOUT, broadcast(call), append(segment(last, [termEntry(term)]))]);
    return call;
  }

  /** `name` accepts `call` and ends at the call's last position. Returns its reply. */
  appendCallSuccess(name: string, call: AppendEntriesCall, options: CallSuccessOptions = {}): AppendEntriesReply {
    const node = this.node(name);
    const bumped = call.term > node.currentTerm;
    const votedFor = bumped ? null : node.votedFor;
    const commit = Math.max(node.commitIndex, Math.min(call.commitIndex, call.entries.lastIndex));
    const stored = options.append === undefined ? (call.entries.isEmpty ? null : call.entries) : options.append;
    const expectedStored = stored === null ? null : stored.clone();
    node.handleMessage(call);
    expect(node.role).toBe("follower");
    expect(node.currentTerm).toBe(call.term);
    expect(node.votedFor).toBe(votedFor);
    expect(node.leaderId).toBe(call.from);
    expect(node.log.lastPosition).toEqual(call.entries.lastPosition);
    expect(node.commitIndex).toBe<number>(commit);
    const reply = appendReply({
      from: name,
      term: call.term,
      generation: node.generation,
      lastPosition: call.entries.lastPosition,
      rejected: false,
      seq: call.seq,
    });
    const expected = [SET_TIMEOUT, send(call.from, reply)];
    if (bumped) expected.push(SAVE_TERM, SAVE_VOTE);
    if (expectedStored !== null) expected.push(append(expectedStored));
    expectActions(node, expected);
    return reply;
  }

  /**
   * `name` cannot attach `call`'s entries: it re-arms its timer and reports its last position
   * (`last`, by default its last position before the call) with `rejected`. Returns the reply.
   */
  appendCallFailure(name: string, call: AppendEntriesCall, last?: LogPosition): AppendEntriesReply {
    const node = this.node(name);
    const bumped = call.term > node.currentTerm;
    const commit = node.commitIndex;
    const lastPosition = last ?? node.log.lastPosition;
    node.handleMessage(call);
    expect(node.role).toBe("follower");
    expect(node.leaderId).toBe(call.from);
    expect(node.log.lastPosition).toEqual(lastPosition);
    expect(node.log.lastPosition).not.toEqual(call.entries.lastPosition);
    expect(node.commitIndex).toBe(commit);
    const reply = appendReply({
      from: name,
      term: call.term,
      generation: node.generation,
      lastPosition,
      rejected: true,
      seq: call.seq,
    });
    const expected = [SET_TIMEOUT, send(call.from, reply)];
    if (bumped) expected.push(SAVE_TERM, SAVE_VOTE);
    expectActions(node, expected);
    return reply;
  }

  /** The leader answers a lagging follower's reply with the entries `missing`. Returns that call. */
  appendReplyFailure(leader: string, reply: AppendEntriesReply, missing: LogEntries): AppendEntriesCall {
    const node = this.node(leader);
    const call = appendCall({
      from: leader,
      term: node.currentTerm,
      commitIndex: node.commitIndex,
      entries: missing,
      seq: this.seq(leader),
    });
    node.handleMessage(reply);
    expectActions(node, [send(reply.from, call)]);
    return call;
  }

  /** The leader learns that a follower is behind its snapshot and asks for an install. */
  appendReplyNeedSnapshot(leader: string, reply: AppendEntriesReply): void {
    const node = this.node(leader);
    const commit = node.commitIndex;
    node.handleMessage(reply);
    expect(node.commitIndex).toBe(commit);
    expectActions(node, [installSnapshot(reply.from)]);
  }

  /** The leader takes a follower's success; `commits` says whether its commit index moves to the reply's index. */
  appendReplySuccess(leader: string, reply: AppendEntriesReply, commits: boolean): void {
    const node = this.node(leader);
    const commit = commits ? reply.lastPosition.index : node.commitIndex;
    node.handleMessage(reply);
    expect(node.role).toBe("leader");
    expect(node.commitIndex).toBe(commit);
    expectActions(node, []);
  }

  /**
   * The leader takes the reply that commits its joint configuration and appends C_new at once.
   * Returns the broadcast carrying C_new.
   */
  appendReplyJointCommitted(leader: string, reply: AppendEntriesReply): AppendEntriesCall {
    const node = this.node(leader);
    const joint = node.config;
    expect(joint.isJoint).toBe(true);
    const last = node.log.lastPosition;
    const cNew = new ClusterConfig({ voters: joint.newVoters, nonVoters: joint.nonVoters });
    const entries = segment(last, [configEntry(cNew)]);
    const call = appendCall({
      from: leader,
      term: node.currentTerm,
      commitIndex: reply.lastPosition.index,
      entries,
      seq: this.seq(leader),
    });
    node.handleMessage(reply);
    expect(node.commitIndex).toBe(reply.lastPosition.index);
    expect(node.config.equals(cNew)).toBe(true);
    // Differs from raftbare: proposals do not re-arm the leader's (heartbeat) timer.
    expectActions(node, [broadcast(call), append(segment(last, [configEntry(cNew)]))]);
    return call;
  }

  /** The leader proposes a command. Returns the broadcast carrying it. */
  proposeCommand(leader: string, data: Payload = "x"): AppendEntriesCall {
    return this.#propose(leader, commandEntry(data), (node) => node.proposeCommand(data));
  }

  /** The leader proposes `config`. Returns the broadcast carrying it. */
  proposeConfig(leader: string, config: ClusterConfig): AppendEntriesCall {
    return this.#propose(leader, configEntry(config), (node) => node.proposeConfig(config));
  }

  /** Runs `propose` on the leader and checks it appended `entry`, stored and broadcast it. */
  #propose(leader: string, entry: LogEntry, propose: (node: RaftNode) => ProposeResult): AppendEntriesCall {
    const node = this.node(leader);
    const last = node.log.lastPosition;
    const call = appendCall({
      from: leader,
      term: node.currentTerm,
      commitIndex: node.commitIndex,
      entries: segment(last, [entry]),
      seq: this.seq(leader),
    });
    expect(propose(node)).toEqual({ ok: true, position: pos(node.currentTerm, last.index + 1) });
    // Differs from raftbare: proposals do not re-arm the leader's (heartbeat) timer.
    expectActions(node, [broadcast(call), append(segment(last, [entry]))]);
    return call;
  }

  /**
   * The leader sends a heartbeat, through `heartbeat()` or (with `viaTimeout`) its timer.
   * Returns the empty AppendEntriesCall it broadcasts.
   */
  heartbeat(leader: string, viaTimeout = false): AppendEntriesCall {
    const node = this.node(leader);
    const seq = this.seq(leader) + 1;
    this.#seq.set(leader, seq);
    const call = appendCall({
      from: leader,
      term: node.currentTerm,
      commitIndex: node.commitIndex,
      entries: segment(node.log.lastPosition, []),
      seq,
    });
    if (viaTimeout) node.handleElectionTimeout();
    else expect(node.heartbeat()).toEqual({ ok: true, seq });
    expect(node.getHeartbeatStatus(seq)).toBe("pending");
    // The timer expiry re-arms the heartbeat timer. Unlike raftbare, heartbeat() called by the user
    // does not: heartbeat rounds (check-quorum, transfer deadlines) keep a steady pace under reads.
    expectActions(node, viaTimeout ? [SET_TIMEOUT, broadcast(call)] : [broadcast(call)]);
    return call;
  }
}

/** The three-node cluster {n0, n1, n2} of raftbare's fixed scenarios, bootstrapped on n0. */
export class ThreeNodeCluster extends Scenario {
  /** The initial configuration. */
  readonly initialConfig: ClusterConfig = voters(["n0", "n1", "n2"]);

  /**
   * Bootstraps the cluster: n0 times out once more (term 2), n1 and n2 grant, n1's vote makes n0
   * leader, each follower fails the first call, catches up from the delta and succeeds.
   */
  initCluster(): void {
    this.start("n0", ["n0", "n1", "n2"]);
    this.start("n1");
    this.start("n2");
    const call = this.electionTimeout("n0");
    const vote1 = this.requestVoteCallSuccess("n1", call);
    const vote2 = this.requestVoteCallSuccess("n2", call);
    const first = this.becomeLeader("n0", vote1);
    this.node("n0").handleMessage(vote2);
    expectActions(this.node("n0"), []); // The election is over: a late vote changes nothing.
    const everything = segment(pos(0, 0), [configEntry(this.initialConfig), termEntry(2)]);
    for (const [follower, commits] of [
      ["n1", true],
      ["n2", false],
    ] as const) {
      const failed = this.appendCallFailure(follower, first);
      const delta = this.appendReplyFailure("n0", failed, everything.clone());
      const ok = this.appendCallSuccess(follower, delta);
      this.appendReplySuccess("n0", ok, commits);
    }
    for (const name of ["n1", "n2"]) expect(this.node(name).config.equals(this.node("n0").config)).toBe(true);
  }

  /**
   * The leader `leader` proposes a command; `followers` accept it; the first reply commits it and
   * the rest change nothing. Returns the command's position.
   */
  replicateCommand(leader: string, followers: string[], data: Payload = "x"): LogPosition {
    const call = this.proposeCommand(leader, data);
    const replies = followers.map((f) => this.appendCallSuccess(f, call));
    replies.forEach((reply, i) => {
      this.appendReplySuccess(leader, reply, i === 0);
    });
    return call.entries.lastPosition;
  }
}
