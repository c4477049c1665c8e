import { describe, expect, it } from "bun:test";
import { ClusterConfig, Generation, Log, RaftInvariantError, RaftNode, Term } from "../../packages/core/src/mod.ts";
import { bootstrapped, takeQueued } from "../helpers/core_cluster.ts";
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
  expectSameEntries,
  id,
  pos,
  restarted,
  SAVE_TERM,
  SAVE_VOTE,
  SET_TIMEOUT,
  segment,
  send,
  sentTo,
  termEntry,
  voters,
} from "../helpers/core_harness.ts";
import type { InMemoryCluster } from "../helpers/in_memory_cluster.ts";

const X = commandEntry;
const THREE = voters(["n0", "n1", "n2"]);

/** A three-node cluster led by n0 in term 1; every log is config, Term(1) (last 1/2). */
function leaderOf3(): InMemoryCluster {
  const c = bootstrapped(["n0", "n1", "n2"]);
  for (const name of ["n0", "n1", "n2"]) expect(c.node(name).log.lastPosition).toEqual(pos(1, 2));
  expect<number>(c.node("n0").commitIndex).toBe(2);
  return c;
}

describe("RaftNode follower replication", () => {
  it("RaftNode as a follower advances its commit index from a call whose entries it already has", () => {
    const c = leaderOf3();
    const n1 = c.node("n1");
    expect<number>(n1.commitIndex).toBe(0);
    n1.handleMessage(appendCall({ from: "n0", term: 1, commitIndex: 2, entries: segment(pos(0, 1), [termEntry(1)]) }));
    expect<number>(n1.commitIndex).toBe(2);
    const reply = appendReply({ from: "n1", term: 1, lastPosition: pos(1, 2), rejected: false });
    expectActions(n1, [SET_TIMEOUT, send("n0", reply)]);
  });

  it("RaftNode as a follower keeps newer entries on a reordered older call, and commits only up to its entries", () => {
    const c = leaderOf3();
    const [n0, n1] = [c.node("n0"), c.node("n1")];
    n0.proposeCommand("a");
    n0.proposeCommand("b");
    c.run();
    expect(n1.log.lastPosition).toEqual(pos(1, 4));
    expect<number>(n0.commitIndex).toBe(4);
    n1.handleMessage(appendCall({ from: "n0", term: 1, commitIndex: 4, entries: segment(pos(1, 2), [X("a")]) }));
    expect(n1.log.lastPosition).toEqual(pos(1, 4));
    expect<number>(n1.commitIndex).toBe(3);
    const reply = appendReply({ from: "n1", term: 1, lastPosition: pos(1, 4), rejected: false });
    expectActions(n1, [SET_TIMEOUT, send("n0", reply)]);
  });

  it("RaftNode answers a stale-term AppendEntriesCall with its term and changes nothing else", () => {
    const node = restarted("n1", { term: 3, entries: segment(pos(0, 0), [configEntry(THREE), termEntry(1)]) });
    node.handleMessage(appendCall({ from: "n0", term: 2, commitIndex: 2, entries: segment(pos(1, 2), [X()]), seq: 7 }));
    const reply = appendReply({ from: "n1", term: 3, generation: 1, lastPosition: pos(1, 2), rejected: true, seq: 7 });
    expectActions(node, [send("n0", reply)]);
    expect(node.leaderId).toBeNull();
    expect<number>(node.commitIndex).toBe(0);
  });

  describe("RaftNode as a follower with an undrained storage append", () => {
    const first = () =>
      appendCall({
        from: "n0",
        term: 1,
        commitIndex: 0,
        entries: segment(pos(0, 0), [configEntry(THREE), termEntry(1)]),
      });
    const twoMore = () =>
      appendCall({ from: "n0", term: 1, commitIndex: 0, entries: segment(pos(1, 2), [X("a"), X("b")]) });

    it("RaftNode truncates the pending append when a new leader overwrites part of it", () => {
      const node = RaftNode.start(id("n1"));
      node.handleMessage(
        appendCall({
          from: "n0",
          term: 1,
          commitIndex: 0,
          entries: segment(pos(0, 0), [configEntry(THREE), termEntry(1), X("a"), X("b")]),
        }),
      );
      node.handleMessage(
        appendCall({ from: "n2", term: 2, commitIndex: 0, entries: segment(pos(1, 2), [termEntry(2)]) }),
      );
      expect(node.log.lastPosition).toEqual(pos(2, 3));
      expectActions(node, [
        SET_TIMEOUT,
        SAVE_TERM,
        SAVE_VOTE,
        append(segment(pos(0, 0), [configEntry(THREE), termEntry(1), termEntry(2)])),
        // The reply to n0 reported entries that will never be stored: it is dropped.
        send("n2", appendReply({ from: "n1", term: 2, lastPosition: pos(2, 3), rejected: false })),
      ]);
    });

    it("RaftNode drops the pending append when a new leader overwrites all of it", () => {
      const node = RaftNode.start(id("n1"));
      node.handleMessage(first());
      drain(node);
      node.handleMessage(twoMore());
      node.handleMessage(
        appendCall({ from: "n2", term: 2, commitIndex: 0, entries: segment(pos(1, 2), [termEntry(2)]) }),
      );
      expectActions(node, [
        SET_TIMEOUT,
        SAVE_TERM,
        SAVE_VOTE,
        append(segment(pos(1, 2), [termEntry(2)])),
        // The reply to n0 reported entries that will never be stored: it is dropped.
        send("n2", appendReply({ from: "n1", term: 2, lastPosition: pos(2, 3), rejected: false })),
      ]);
    });

    it("RaftNode trims the pending append when it drops a conflicting suffix it cannot yet replace", () => {
      const node = RaftNode.start(id("n1"));
      node.handleMessage(first());
      drain(node);
      node.handleMessage(twoMore());
      node.handleMessage(appendCall({ from: "n2", term: 2, commitIndex: 0, entries: segment(pos(2, 4), [X("c")]) }));
      expect(node.log.lastPosition).toEqual(pos(1, 3));
      expectActions(node, [
        SET_TIMEOUT,
        SAVE_TERM,
        SAVE_VOTE,
        append(segment(pos(1, 2), [X("a")])),
        // The reply to n0 reported entries that will never be stored: it is dropped.
        send("n2", appendReply({ from: "n1", term: 2, lastPosition: pos(1, 3), rejected: true })),
      ]);
    });
  });
});

describe("RaftNode follower replication: the call's segment", () => {
  it("RaftNode as a follower stores a call's segment as it is, and copies it before a later call extends the pending append", () => {
    const node = RaftNode.start(id("n1"));
    const first = segment(pos(0, 0), [configEntry(THREE), termEntry(1)]);
    node.handleMessage(appendCall({ from: "n0", term: 1, commitIndex: 0, entries: first }));
    expect(node.actions.appendLogEntries).toBe(first);
    node.handleMessage(appendCall({ from: "n0", term: 1, commitIndex: 0, entries: segment(pos(1, 2), [X("a")]) }));
    expect(first.length).toBe(2);
    expect(first.lastPosition).toEqual(pos(1, 2));
    expectActions(node, [
      SET_TIMEOUT,
      SAVE_TERM,
      SAVE_VOTE,
      append(segment(pos(0, 0), [configEntry(THREE), termEntry(1), X("a")])),
      send("n0", appendReply({ from: "n1", term: 1, lastPosition: pos(1, 3), rejected: false })),
    ]);
  });

  it("RaftNode as a follower truncates a copy, not the call's segment, when a new leader overwrites the pending append", () => {
    const node = RaftNode.start(id("n1"));
    const first = segment(pos(0, 0), [configEntry(THREE), termEntry(1), X("a"), X("b")]);
    node.handleMessage(appendCall({ from: "n0", term: 1, commitIndex: 0, entries: first }));
    node.handleMessage(
      appendCall({ from: "n2", term: 2, commitIndex: 0, entries: segment(pos(1, 2), [termEntry(2)]) }),
    );
    expect(first.length).toBe(4);
    expect(first.lastPosition).toEqual(pos(1, 4));
    expect(node.actions.appendLogEntries).not.toBe(first);
    expectSameEntries(
      node.actions.appendLogEntries as never,
      segment(pos(0, 0), [configEntry(THREE), termEntry(1), termEntry(2)]),
    );
  });
});

describe("RaftNode leader replication", () => {
  it("RaftNode as a leader sends one catch-up per distinct follower position between heartbeats", () => {
    const c = leaderOf3();
    const n0 = c.node("n0");
    c.isolated.add(id("n2"));
    n0.proposeCommand("a");
    n0.proposeCommand("b");
    c.run();
    expect<number>(n0.commitIndex).toBe(4);
    const behind = appendReply({ from: "n2", term: 1, lastPosition: pos(1, 2), rejected: true });
    const catchUp = (seq: number) =>
      appendCall({ from: "n0", term: 1, commitIndex: 4, entries: segment(pos(1, 2), [X("a"), X("b")]), seq });
    n0.handleMessage(behind);
    expectActions(n0, [send("n2", catchUp(0))]);
    n0.handleMessage(behind);
    expectActions(n0, []); // That catch-up is already on its way.
    expect(n0.heartbeat()).toEqual({ ok: true, seq: 1 });
    drain(n0);
    n0.handleMessage({ ...behind, seq: 1 });
    expectActions(n0, [send("n2", catchUp(1))]); // A heartbeat allows one more.
  });

  it("RaftNode as a leader sends nothing for an accepted reply while newer entries are in flight", () => {
    const c = leaderOf3();
    const n0 = c.node("n0");
    n0.proposeCommand("a");
    drain(n0);
    n0.handleMessage(appendReply({ from: "n1", term: 1, lastPosition: pos(1, 2), rejected: false }));
    expectActions(n0, []);
  });

  it("RaftNode as a leader ignores a delayed reply below the follower's match index", () => {
    const c = leaderOf3();
    const n0 = c.node("n0");
    n0.proposeCommand("a");
    c.run();
    expect<number>(n0.commitIndex).toBe(3);
    n0.handleMessage(appendReply({ from: "n1", term: 1, lastPosition: pos(1, 2), rejected: true }));
    expectActions(n0, []);
  });

  it("RaftNode as a leader ignores replies from unknown nodes and from older terms; a follower ignores replies", () => {
    const leader = elect(
      restarted("n0", { term: 1, entries: segment(pos(0, 0), [configEntry(THREE), termEntry(1)]) }),
      ["n1"],
    );
    leader.handleMessage(appendReply({ from: "n7", term: 2, lastPosition: pos(0, 0), rejected: true }));
    leader.handleMessage(appendReply({ from: "n1", term: 1, lastPosition: pos(0, 0), rejected: true }));
    expectActions(leader, []);
    const follower = restarted("n1", { term: 2, entries: segment(pos(0, 0), [configEntry(THREE)]) });
    follower.handleMessage(appendReply({ from: "n2", term: 2, lastPosition: pos(0, 0), rejected: true }));
    expectActions(follower, []);
  });

  it("RaftNode as a leader repairs a follower with entries of an older term from the last index whose term is at most it", () => {
    const leader = elect(
      restarted("n1", { term: 1, entries: segment(pos(0, 0), [configEntry(THREE), termEntry(1), X("3")]) }),
      ["n2"],
    );
    expect(leader.proposeCommand("y")).toEqual({ ok: true, position: pos(2, 5) });
    drain(leader);
    const repair = appendCall({
      from: "n1",
      term: 2,
      commitIndex: 0,
      entries: segment(pos(1, 3), [termEntry(2), X("y")]),
    });
    const stale = appendReply({ from: "n0", term: 2, lastPosition: pos(1, 6), rejected: true });
    leader.handleMessage(stale);
    expectActions(leader, [send("n0", repair)]);
    leader.handleMessage(stale);
    expectActions(leader, []); // The same repair is already on its way.
    const follower = restarted("n0", {
      term: 2,
      entries: segment(pos(0, 0), [configEntry(THREE), termEntry(1), X("3"), X("4"), X("5"), X("6")]),
    });
    follower.handleMessage(repair);
    expect(follower.log.lastPosition).toEqual(pos(2, 5));
    const reply = appendReply({ from: "n0", term: 2, generation: 1, lastPosition: pos(2, 5), rejected: false });
    expectActions(follower, [SET_TIMEOUT, append(segment(pos(1, 3), [termEntry(2), X("y")])), send("n1", reply)]);
  });

  it("RaftNode as a leader repairs a follower whose log is longer than its own", () => {
    const leader = elect(
      restarted("n1", { term: 1, entries: segment(pos(0, 0), [configEntry(THREE), termEntry(1), X("3")]) }),
      ["n2"],
    );
    leader.handleMessage(appendReply({ from: "n0", term: 2, lastPosition: pos(1, 9), rejected: true }));
    const repair = appendCall({ from: "n1", term: 2, commitIndex: 0, entries: segment(pos(1, 3), [termEntry(2)]) });
    expectActions(leader, [send("n0", repair)]);
  });

  it("RaftNode as a leader resends what a restarted follower lost, and ignores its previous incarnation's replies", () => {
    const c = leaderOf3();
    const n0 = c.node("n0");
    c.isolated.add(id("n1"));
    n0.proposeCommand("a");
    c.run();
    expect<number>(n0.commitIndex).toBe(3);
    // n2 restarts having lost its unsynced entry 3.
    const log = new Log(ClusterConfig.EMPTY, segment(pos(0, 0), [configEntry(THREE), termEntry(1)]));
    const n2 = RaftNode.restart(id("n2"), Generation.of(1), Term.of(1), null, log);
    drain(n2);
    n0.proposeCommand("b");
    c.drain(n0);
    for (const m of takeQueued(c, "n2")) n2.handleMessage(m);
    const lost = sentTo(drain(n2), "n0");
    expect<unknown>(lost).toEqual(
      appendReply({ from: "n2", term: 1, generation: 1, lastPosition: pos(1, 2), rejected: true }),
    );
    n0.handleMessage(lost as never);
    const resend = appendCall({ from: "n0", term: 1, commitIndex: 3, entries: segment(pos(1, 2), [X("a"), X("b")]) });
    expectActions(n0, [send("n2", resend)]);
    // A delayed reply of generation 0 would otherwise trigger a catch-up from 3.
    n0.handleMessage(appendReply({ from: "n2", term: 1, generation: 0, lastPosition: pos(1, 3), rejected: true }));
    expectActions(n0, []);
    n2.handleMessage(resend);
    n0.handleMessage(sentTo(drain(n2), "n0") as never);
    expect<number>(n0.commitIndex).toBe(4);
  });

  it("RaftNode as a leader catches a follower up in chunks of maxEntriesPerMessage", () => {
    const c = bootstrapped(["n0", "n1"], { maxEntriesPerMessage: 2 });
    const [n0, n1] = [c.node("n0"), c.node("n1")];
    c.isolated.add(id("n1"));
    for (const data of ["c3", "c4", "c5", "c6", "c7"]) n0.proposeCommand(data);
    c.run();
    c.isolated.delete(id("n1"));
    expect(n0.heartbeat()).toEqual({ ok: true, seq: 1 });
    c.drain(n0);
    for (const m of takeQueued(c, "n1")) n1.handleMessage(m);
    let reply = sentTo(drain(n1), "n0");
    expect(reply?.type === "AppendEntriesReply" && reply.rejected).toBe(true);
    const chunks: Array<[number, string[], number]> = [
      [2, ["c3", "c4"], 2],
      [4, ["c5", "c6"], 4],
      [6, ["c7"], 6],
    ];
    for (const [prevIndex, data, commitIndex] of chunks) {
      n0.handleMessage(reply as never);
      const entries = segment(
        pos(1, prevIndex),
        data.map((d) => X(d)),
      );
      const call = appendCall({ from: "n0", term: 1, commitIndex, entries, seq: 1 });
      expectActions(n0, [send("n1", call)]);
      n1.handleMessage(call);
      reply = sentTo(drain(n1), "n0");
    }
    n0.handleMessage(reply as never);
    expectActions(n0, []);
    expect<number>(n0.commitIndex).toBe(7);
  });

  it("RaftNode as a leader caps a catch-up's payload at maxBytesPerMessage, sending a larger entry alone", () => {
    const c = bootstrapped(["n0", "n1"], { maxBytesPerMessage: 5 });
    const [n0, n1] = [c.node("n0"), c.node("n1")];
    c.isolated.add(id("n1"));
    for (const data of ["aaa", "bbb", "cc", "dddddddd", "e"]) n0.proposeCommand(data);
    c.run();
    c.isolated.delete(id("n1"));
    n0.heartbeat();
    c.drain(n0);
    for (const m of takeQueued(c, "n1")) n1.handleMessage(m);
    let reply = sentTo(drain(n1), "n0");
    const chunks: Array<[number, string[]]> = [
      [2, ["aaa"]],
      [3, ["bbb", "cc"]],
      [5, ["dddddddd"]],
      [6, ["e"]],
    ];
    for (const [prevIndex, data] of chunks) {
      n0.handleMessage(reply as never);
      const [action] = drain(n0);
      expect(action?.type).toBe("SendMessage");
      const call = action?.type === "SendMessage" ? action.message : undefined;
      if (call?.type !== "AppendEntriesCall") throw new Error("a catch-up call");
      expectSameEntries(
        call.entries,
        segment(
          pos(1, prevIndex),
          data.map((d) => X(d)),
        ),
      );
      n1.handleMessage(call);
      reply = sentTo(drain(n1), "n0");
    }
    n0.handleMessage(reply as never);
    expectActions(n0, []);
    expect<number>(n0.commitIndex).toBe(7);
  });

  it("RaftNode refuses a maxEntriesPerMessage or maxBytesPerMessage below 1", () => {
    expect(() => RaftNode.start(id("n0"), { maxEntriesPerMessage: 0 })).toThrow(RaftInvariantError);
    expect(() => RaftNode.start(id("n0"), { maxBytesPerMessage: 0 })).toThrow(RaftInvariantError);
  });

  it("RaftNode as a leader batches proposals made between drains into one append and one broadcast", () => {
    const c = leaderOf3();
    const n0 = c.node("n0");
    n0.proposeCommand("a");
    c.drain(n0);
    c.queue.length = 0;
    n0.proposeCommand("b");
    // n1 acknowledges a: the commit index moves, and the pending broadcast carries it at once.
    n0.handleMessage(appendReply({ from: "n1", term: 1, lastPosition: pos(1, 3), rejected: false }));
    expect<number>(n0.commitIndex).toBe(3);
    n0.proposeCommand("c");
    const entries = () => segment(pos(1, 3), [X("b"), X("c")]);
    const call = appendCall({ from: "n0", term: 1, commitIndex: 3, entries: entries() });
    expectActions(n0, [broadcast(call), append(entries())]); // Proposals leave the heartbeat timer alone.
  });

  it("RaftNode as a leader folds a heartbeat into a pending broadcast", () => {
    const c = leaderOf3();
    const n0 = c.node("n0");
    n0.proposeCommand("d");
    expect(n0.heartbeat()).toEqual({ ok: true, seq: 1 });
    const entries = () => segment(pos(1, 2), [X("d")]);
    const call = appendCall({ from: "n0", term: 1, commitIndex: 2, entries: entries(), seq: 1 });
    expectActions(n0, [broadcast(call), append(entries())]); // heartbeat() leaves the timer's pace alone.
  });
});

describe("RaftNode inconsistency detection", () => {
  it("RaftNode as a leader flags and ignores a same-term AppendEntriesCall from another node", () => {
    const c = leaderOf3();
    const n0 = c.node("n0");
    n0.handleMessage(appendCall({ from: "n1", term: 1, commitIndex: 0, entries: segment(pos(1, 2), [X()]) }));
    expectActions(n0, []);
    expect(n0.role).toBe("leader");
    expect(n0.inconsistency).toContain("two leaders in term 1");
    expect(n0.log.lastPosition).toEqual(pos(1, 2));
  });

  it("RaftNode as a follower flags and ignores a call from a second leader of its term, and keeps the first report", () => {
    const c = leaderOf3();
    const n1 = c.node("n1");
    expect(n1.leaderId).toBe(id("n0"));
    n1.handleMessage(appendCall({ from: "n2", term: 1, commitIndex: 0, entries: segment(pos(1, 2), [X()]) }));
    expectActions(n1, []);
    const report = n1.inconsistency;
    expect(report).toContain("n0");
    expect(report).toContain("n2");
    n1.handleMessage(appendCall({ from: "n9", term: 1, commitIndex: 0, entries: segment(pos(1, 2), [X()]) }));
    expect(n1.inconsistency).toBe(report);
    expect(n1.leaderId).toBe(id("n0"));
    expect(n1.log.lastPosition).toEqual(pos(1, 2));
  });

  it("RaftNode as a follower flags and refuses a call that would overwrite a committed entry", () => {
    const c = leaderOf3();
    const [n0, n1] = [c.node("n0"), c.node("n1")];
    n0.proposeCommand("a");
    c.run();
    n0.heartbeat();
    c.run();
    expect<number>(n1.commitIndex).toBe(3);
    n1.handleMessage(appendCall({ from: "n2", term: 2, commitIndex: 0, entries: segment(pos(1, 2), [termEntry(2)]) }));
    expect(n1.inconsistency).toContain("committed index 3");
    expect(n1.log.lastPosition).toEqual(pos(1, 3));
    const reply = appendReply({ from: "n1", term: 2, lastPosition: pos(1, 3), rejected: true });
    expectActions(n1, [SET_TIMEOUT, SAVE_TERM, SAVE_VOTE, send("n2", reply)]);
  });
});
