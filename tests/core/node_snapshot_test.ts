import { describe, expect, it } from "bun:test";
import { Generation, Log, RaftNode, Term } from "../../packages/core/src/mod.ts";
import { bootstrapped } from "../helpers/core_cluster.ts";
import {
  append,
  appendCall,
  appendReply,
  commandEntry,
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

const X = commandEntry;
const THREE = voters(["n0", "n1", "n2"]);

/** The call that gives a fresh follower config, Term(1), a (last 1/3), telling it 3 is committed. */
function firstCall() {
  return appendCall({
    from: "n0",
    term: 1,
    commitIndex: 3,
    entries: segment(pos(0, 0), [configEntry(THREE), termEntry(1), X("a")]),
  });
}

describe("RaftNode.handleSnapshotInstalled() refusals", () => {
  it("RaftNode.handleSnapshotInstalled() refuses a position at or below the current snapshot", () => {
    const node = restarted("n1", { term: 2, entries: segment(pos(2, 5), [X()]), snapshotConfig: THREE });
    expect(node.handleSnapshotInstalled(pos(2, 5), THREE)).toBe(false);
    expect(node.handleSnapshotInstalled(pos(1, 4), THREE)).toBe(false);
    expect(node.log.snapshotPosition).toEqual(pos(2, 5));
  });

  it("RaftNode.handleSnapshotInstalled() refuses a local compaction whose configuration differs from the log's", () => {
    const c = bootstrapped(["n0", "n1", "n2"]);
    const n0 = c.node("n0");
    expect(n0.handleSnapshotInstalled(pos(1, 2), voters(["n0", "n1"]))).toBe(false);
    expect(n0.log.snapshotPosition).toEqual(pos(0, 0));
  });

  it("RaftNode.handleSnapshotInstalled() refuses a local compaction at a position this log does not hold", () => {
    const c = bootstrapped(["n0", "n1", "n2"]);
    const n0 = c.node("n0");
    expect(n0.handleSnapshotInstalled(pos(0, 2), THREE)).toBe(false);
    expect(n0.log.snapshotPosition).toEqual(pos(0, 0));
  });

  it("RaftNode.handleSnapshotInstalled() refuses a snapshot above the commit index on a leader", () => {
    const c = bootstrapped(["n0", "n1", "n2"]);
    const n0 = c.node("n0");
    n0.proposeCommand("a");
    drain(n0);
    expect(n0.handleSnapshotInstalled(pos(1, 3), THREE)).toBe(false);
    expect(n0.handleSnapshotInstalled(pos(5, 9), THREE)).toBe(false);
    expect(n0.log.snapshotPosition).toEqual(pos(0, 0));
  });
});

describe("RaftNode.handleSnapshotInstalled() local compaction", () => {
  it("RaftNode.handleSnapshotInstalled() compacts committed entries and keeps the rest of the log", () => {
    const c = bootstrapped(["n0", "n1", "n2"]);
    const n0 = c.node("n0");
    n0.proposeCommand("a");
    c.run();
    expect<number>(n0.commitIndex).toBe(3);
    expect(n0.handleSnapshotInstalled(pos(1, 2), THREE)).toBe(true);
    expectActions(n0, []);
    expect(n0.log.snapshotPosition).toEqual(pos(1, 2));
    expect(n0.log.snapshotConfig).toBe(THREE);
    expect(n0.log.lastPosition).toEqual(pos(1, 3));
    expect(n0.log.entries.getEntry(3)).toEqual(X("a"));
    expect<number>(n0.commitIndex).toBe(3);
    expect(n0.config.equals(THREE)).toBe(true);
    expect(n0.role).toBe("leader");
  });

  it("RaftNode.handleSnapshotInstalled() keeps a pending append that lies wholly after the snapshot", () => {
    const node = RaftNode.start(id("n1"));
    node.handleMessage(firstCall());
    drain(node);
    node.handleMessage(
      appendCall({ from: "n0", term: 1, commitIndex: 3, entries: segment(pos(1, 3), [X("b"), X("c")]) }),
    );
    expect(node.handleSnapshotInstalled(pos(1, 2), THREE)).toBe(true);
    const reply = appendReply({ from: "n1", term: 1, lastPosition: pos(1, 5), rejected: false });
    expectActions(node, [SET_TIMEOUT, append(segment(pos(1, 3), [X("b"), X("c")])), send("n0", reply)]);
  });

  it("RaftNode.handleSnapshotInstalled() drops a pending append that the snapshot covers", () => {
    const node = RaftNode.start(id("n1"));
    node.handleMessage(firstCall());
    expect(node.handleSnapshotInstalled(pos(1, 3), THREE)).toBe(true);
    expect(node.log.entries.isEmpty).toBe(true);
    const reply = appendReply({ from: "n1", term: 1, lastPosition: pos(1, 3), rejected: false });
    expectActions(node, [SET_TIMEOUT, SAVE_TERM, SAVE_VOTE, send("n0", reply)]);
  });

  it("RaftNode.handleSnapshotInstalled() keeps the durable index when it is already past the snapshot", () => {
    const node = restarted("n1", {
      term: 1,
      entries: segment(pos(0, 0), [configEntry(THREE), termEntry(1), X(), X()]),
      options: { trackDurableIndex: true },
    });
    node.handleMessage(appendCall({ from: "n0", term: 1, commitIndex: 4, entries: segment(pos(1, 4), []) }));
    expect<number>(node.commitIndex).toBe(4);
    expect(node.handleSnapshotInstalled(pos(1, 3), THREE)).toBe(true);
    expect<number>(node.durableIndex).toBe(4);
  });
});

describe("RaftNode.handleSnapshotInstalled() from the leader", () => {
  it("RaftNode.handleSnapshotInstalled() replaces a log that lacks the position, raising commit and durable indexes", () => {
    const node = RaftNode.start(id("n3"));
    node.handleMessage(
      appendCall({ from: "n0", term: 2, commitIndex: 0, entries: segment(pos(0, 0), [configEntry(THREE)]) }),
    );
    expect(node.handleSnapshotInstalled(pos(2, 10), THREE)).toBe(true);
    expect(node.log.snapshotPosition).toEqual(pos(2, 10));
    expect(node.log.lastPosition).toEqual(pos(2, 10));
    expect(node.config).toBe(THREE);
    expect<number>(node.commitIndex).toBe(10);
    expect<number>(node.durableIndex).toBe(10);
    // The pending append of entry 1 is gone: the snapshot replaced the whole log.
    const reply = appendReply({ from: "n3", term: 2, lastPosition: pos(0, 1), rejected: false });
    expectActions(node, [SET_TIMEOUT, SAVE_TERM, SAVE_VOTE, send("n0", reply)]);
  });

  it("RaftNode after a leader's snapshot reports the snapshot point and receives what follows it", () => {
    const c = bootstrapped(["n0", "n1", "n2"]);
    const n0 = c.node("n0");
    n0.proposeCommand("a");
    n0.proposeCommand("b");
    c.run();
    expect(n0.handleSnapshotInstalled(pos(1, 3), THREE)).toBe(true);
    const n3 = c.add("n3");
    expect(n0.proposeConfig(THREE.with({ nonVoters: [id("n3")] })).ok).toBe(true);
    c.run();
    expect(c.snapshotRequests).toEqual([{ from: id("n0"), to: id("n3") }]);
    expect(n3.handleSnapshotInstalled(n0.log.snapshotPosition, n0.log.snapshotConfig)).toBe(true);
    // The runtime's part: store the snapshot and drop the stored entries it replaced.
    const stored = c.stored.get(n3.id);
    if (stored === undefined) throw new Error("n3 has storage");
    stored.log = n3.log.entries.clone();
    stored.snapshotConfig = n3.log.snapshotConfig;
    n0.heartbeat();
    c.run();
    expect(n3.log.lastPosition).toEqual(n0.log.lastPosition);
    expect(n3.log.snapshotPosition).toEqual(pos(1, 3));
    expect(n3.config.equals(n0.config)).toBe(true);
    expect<number>(n3.commitIndex).toBe(n0.commitIndex);
  });
});

describe("RaftNode and a snapshot from a newer term", () => {
  /** What the node persisted (term, vote, the log from its snapshot on) restarts without an error. */
  function expectRestartable(node: RaftNode): void {
    const log = new Log(node.log.snapshotConfig, node.log.entries.clone());
    const restart = () => RaftNode.restart(node.id, Generation.of(9), node.currentTerm, node.votedFor, log);
    expect(restart).not.toThrow();
  }

  it("RaftNode.prepareSnapshotInstall() moves to the snapshot's newer term first, with saves to persist before it", () => {
    const node = RaftNode.start(id("n1"));
    node.handleMessage(firstCall());
    drain(node);
    expect(node.prepareSnapshotInstall(pos(5, 20))).toBe(true);
    expect(node.currentTerm).toBe(Term.of(5));
    expect(node.votedFor).toBeNull();
    expect(node.leaderId).toBeNull();
    expect(node.role).toBe("follower");
    expectActions(node, [SET_TIMEOUT, SAVE_TERM, SAVE_VOTE]);
    expect(node.handleSnapshotInstalled(pos(5, 20), THREE)).toBe(true);
    expectActions(node, [SET_TIMEOUT]);
    expect(node.log.snapshotPosition).toEqual(pos(5, 20));
    expectRestartable(node);
  });

  it("RaftNode.handleSnapshotInstalled() alone raises the term too (a new member seeded with a snapshot)", () => {
    const node = RaftNode.start(id("n3"));
    expect(node.handleSnapshotInstalled(pos(4, 10), THREE)).toBe(true);
    expect(node.currentTerm).toBe(Term.of(4));
    expectActions(node, [SET_TIMEOUT, SAVE_TERM, SAVE_VOTE]); // Seeded: it must notice when nobody leads it.
    expect<number>(node.commitIndex).toBe(10);
    expectRestartable(node);
  });

  it("RaftNode.prepareSnapshotInstall() refuses a stale snapshot and any snapshot on a leader, changing nothing", () => {
    const c = bootstrapped(["n0", "n1", "n2"]);
    const n0 = c.node("n0");
    expect(n0.prepareSnapshotInstall(pos(9, 99))).toBe(false);
    expect(n0.currentTerm).toBe(Term.of(1));
    n0.heartbeat(); // Followers learn the commit index.
    c.run();
    const n1 = c.node("n1");
    expect<number>(n1.commitIndex).toBe(2);
    expect(n1.prepareSnapshotInstall(pos(1, 1))).toBe(false);
    expect(n1.prepareSnapshotInstall(pos(1, n1.commitIndex))).toBe(false);
    expectActions(n0, []);
    expectActions(n1, []);
  });

  it("RaftNode.prepareSnapshotInstall() keeps the term and vote when the snapshot's term is not newer", () => {
    const node = RaftNode.start(id("n1"));
    node.handleMessage(firstCall());
    drain(node);
    expect(node.prepareSnapshotInstall(pos(1, 30))).toBe(true);
    expect(node.currentTerm).toBe(Term.of(1));
    expect(node.leaderId).toBe(id("n0"));
    expectActions(node, [SET_TIMEOUT]);
  });
});
