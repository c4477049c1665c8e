import { describe, expect, it } from "bun:test";
import type { RaftNode, RaftNodeOptions } from "../../packages/core/src/mod.ts";
import { bootstrapped } from "../helpers/core_cluster.ts";
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
  pos,
  restarted,
  SET_TIMEOUT,
  segment,
  send,
  termEntry,
  voters,
} from "../helpers/core_harness.ts";

const X = commandEntry;
const THREE = voters(["n0", "n1", "n2"]);

/** n0 leading THREE in term 2; its log is config, Term(1), Term(2) (the term entry is in flight). */
function leader(options: RaftNodeOptions): RaftNode {
  const node = restarted("n0", { term: 1, entries: segment(pos(0, 0), [configEntry(THREE), termEntry(1)]), options });
  return elect(node, ["n1"]);
}

function ack(from: string, index: number, seq = 0) {
  return appendReply({ from, term: 2, lastPosition: pos(2, index), rejected: false, generation: 0, seq });
}

describe("flow control: the in-flight window", () => {
  it("leaves followers with a full window out of the broadcast, and resumes as they acknowledge", () => {
    const n0 = leader({ maxInflightMessages: 2 });
    n0.proposeCommand("a"); // The term entry (3) and a (4) are in flight: the windows are full.
    drain(n0);
    expect(n0.progress().map((p) => p.inflight)).toEqual([2, 2]);
    n0.proposeCommand("b");
    const call = appendCall({ from: "n0", term: 2, commitIndex: 0, entries: segment(pos(2, 4), [X("b")]) });
    expectActions(n0, [broadcast(call, ["n1", "n2"]), append(segment(pos(2, 4), [X("b")]))]);
    expect(n0.progress().map((p) => p.nextIndex)).toEqual([5, 5]); // b was not sent to them.

    n0.handleMessage(ack("n1", 3)); // Frees one slot; 4 is still in flight, so nothing is sent yet.
    expectActions(n0, []);
    expect(n0.progress()[0]).toMatchObject({ inflight: 1, matchIndex: 3, state: "replicate" });
    n0.handleMessage(ack("n1", 4)); // Caught up to what was sent: b follows, as catch-up data.
    const catchUp = appendCall({ from: "n0", term: 2, commitIndex: 4, entries: segment(pos(2, 4), [X("b")]) });
    expectActions(n0, [send("n1", catchUp)]);
    expect(n0.progress()[0]).toMatchObject({ inflight: 1, nextIndex: 6 });
  });

  it("a heartbeat still reaches a follower left out of a pending broadcast", () => {
    const n0 = leader({ maxInflightMessages: 1 });
    n0.proposeCommand("a"); // n1 and n2 have the term entry in flight: a leaves them out.
    n0.handleElectionTimeout(); // The heartbeat merges into the pending broadcast.
    const actions = drain(n0);
    const sent: string[] = actions.flatMap((a) => (a.type === "SendMessage" ? [a.destination] : []));
    expect(sent).toEqual(["n1", "n2"]);
    for (const a of actions) {
      if (a.type === "SendMessage" && a.message.type === "AppendEntriesCall") expect(a.message.entries.length).toBe(0);
    }
  });

  it("the first answer after a heartbeat frees a slot of a full window (a send may have been lost)", () => {
    const n0 = leader({ maxInflightMessages: 1 });
    n0.proposeCommand("a");
    drain(n0);
    const before = n0.progress()[0].inflight;
    expect(before).toBe(1);
    const hb = n0.heartbeat();
    expect(hb.ok).toBe(true);
    drain(n0);
    // n1 never got the term entry; it answers the heartbeat refusing it (its log ends at 1/2).
    n0.handleMessage(
      appendReply({
        from: "n1",
        term: 2,
        lastPosition: pos(1, 2),
        rejected: true,
        generation: 1,
        seq: hb.ok ? hb.seq : 0,
      }),
    );
    const resend = appendCall({
      from: "n0",
      term: 2,
      commitIndex: 0,
      entries: segment(pos(1, 2), [termEntry(2), X("a")]),
      seq: hb.ok ? hb.seq : 0,
    });
    expectActions(n0, [send("n1", resend)]);
    expect(n0.progress()[0]).toMatchObject({ inflight: 1, state: "probe" });
  });

  it("without a window, nobody is ever left out", () => {
    const n0 = leader({});
    for (let k = 0; k < 50; k++) n0.proposeCommand(`c${k}`);
    const actions = drain(n0);
    expect(actions.some((a) => a.type === "BroadcastMessage" && a.except !== undefined)).toBe(false);
  });

  it("a slow follower under a window catches up in a cluster", () => {
    const c = bootstrapped(["n0", "n1", "n2"], { maxInflightMessages: 2, maxEntriesPerMessage: 3 });
    const n0 = c.node("n0");
    for (let k = 0; k < 40; k++) {
      n0.proposeCommand(`c${k}`);
      c.drain(n0);
    }
    c.run();
    n0.handleElectionTimeout();
    c.run();
    expect(c.node("n1").commitIndex).toBe(n0.commitIndex);
    expect(c.node("n2").log.lastPosition).toEqual(n0.log.lastPosition);
    expect(n0.progress().map((p) => p.inflight)).toEqual([0, 0]);
  });
});

describe("slow follower after compaction", () => {
  it("a follower behind the leader's snapshot is sent one (state snapshot), then replicates within its window", () => {
    const c = bootstrapped(["n0", "n1", "n2"], { maxInflightMessages: 2, maxEntriesPerMessage: 2 });
    const n0 = c.node("n0");
    c.isolated.add(c.node("n2").id);
    for (let k = 0; k < 10; k++) n0.proposeCommand(`c${k}`);
    c.run();
    n0.handleElectionTimeout();
    c.run();
    const at = n0.log.getPositionAndConfig(n0.commitIndex);
    expect(at === undefined ? false : n0.handleSnapshotInstalled(at.position, at.config)).toBe(true); // Compacted past n2.
    c.isolated.delete(c.node("n2").id);
    c.snapshotRequests.length = 0;
    n0.handleElectionTimeout(); // n2 answers the heartbeat from far behind.
    c.run();
    expect(c.snapshotRequests.map((r) => r.to)).toContain(c.node("n2").id);
    expect(n0.progress()[1]).toMatchObject({ state: "snapshot", inflight: 0 });
    // The operator's transfer of the snapshot: n2 installs it.
    const n2 = c.node("n2");
    if (at !== undefined) expect(n2.handleSnapshotInstalled(at.position, at.config)).toBe(true);
    const stored = c.stored.get(n2.id);
    if (stored !== undefined && at !== undefined) {
      stored.log = n2.log.entries.clone(); // Stored entries the snapshot covers are dropped.
      stored.snapshotConfig = at.config;
    }
    c.drain(n2);
    n0.proposeCommand("after the install");
    c.run();
    n0.handleElectionTimeout();
    c.run();
    expect(n0.progress()[1]).toMatchObject({ state: "replicate", matchIndex: n0.log.lastPosition.index });
    expect(n2.commitIndex).toBe(n0.commitIndex);
  });
});

describe("flow control: the uncommitted-bytes limit", () => {
  it("refuses a command whose bytes would pass the limit while entries are uncommitted, and accepts again after commit", () => {
    const n0 = leader({ maxUncommittedBytes: 10 });
    expect(n0.proposeCommand("12345").ok).toBe(true);
    const refused = n0.proposeCommand("123456");
    expect(refused).toMatchObject({ ok: false, reason: "uncommitted_limit" });
    expect(refused.ok === false && refused.detail).toBe(
      "5 bytes are waiting to commit; 6 more would pass the limit of 10",
    );
    expect(n0.proposeCommand("12345").ok).toBe(true); // Exactly at the limit.
    drain(n0);
    n0.handleMessage(ack("n1", 5));
    expect<number>(n0.commitIndex).toBe(5);
    expect(n0.proposeCommand("a proposal longer than the limit").ok).toBe(true); // Nothing is uncommitted.
  });

  it("a new leader counts the uncommitted entries it inherited", () => {
    const node = restarted("n0", {
      term: 1,
      entries: segment(pos(0, 0), [configEntry(THREE), termEntry(1), X("0123456789")]),
      options: { maxUncommittedBytes: 12 },
    });
    const n0 = elect(node, ["n1"]);
    expect(n0.proposeCommand("abc")).toMatchObject({ ok: false, reason: "uncommitted_limit" });
  });
});

describe("progress view and stepDown()", () => {
  it("reports each follower's match, next, state and contact, and is empty off the leader", () => {
    const c = bootstrapped(["n0", "n1", "n2"]);
    const n0 = c.node("n0");
    n0.proposeCommand("x");
    c.run();
    const last = n0.log.lastPosition.index;
    expect(n0.progress()).toEqual([
      {
        id: c.node("n1").id,
        voter: true,
        matchIndex: last,
        nextIndex: last + 1,
        inflight: 0,
        state: "replicate",
        ticksSinceContact: 0,
      },
      {
        id: c.node("n2").id,
        voter: true,
        matchIndex: last,
        nextIndex: last + 1,
        inflight: 0,
        state: "replicate",
        ticksSinceContact: 0,
      },
    ]);
    c.isolated.add(c.node("n2").id);
    n0.handleElectionTimeout();
    c.run();
    n0.handleElectionTimeout();
    c.run();
    expect(n0.progress().map((p) => p.ticksSinceContact)).toEqual([0, 2]);
    expect(c.node("n1").progress()).toEqual([]);
  });

  it("stepDown() makes a leader a follower in its term; false elsewhere", () => {
    const n0 = leader({});
    expect(n0.stepDown()).toBe(true);
    expect(n0.role).toBe("follower");
    expect<number>(n0.currentTerm).toBe(2);
    expect(n0.leaderId).toBeNull();
    expectActions(n0, [SET_TIMEOUT]);
    expect(n0.stepDown()).toBe(false);
  });
});
