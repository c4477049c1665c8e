import { describe, expect, it } from "bun:test";
import { LogPosition, RaftNode } from "../../packages/core/src/mod.ts";
import { bootstrapped } from "../helpers/core_cluster.ts";
import {
  appendCall,
  commandEntry,
  drain,
  expectActions,
  id,
  ids,
  pos,
  restarted,
  segment,
  termEntry,
  voters,
} from "../helpers/core_harness.ts";

const X = commandEntry;

describe("RaftNode.heartbeat() and getHeartbeatStatus()", () => {
  it("RaftNode as a single voter confirms its heartbeat at once and sends nothing", () => {
    const node = RaftNode.start(id("n0"));
    node.createCluster(ids("n0"));
    drain(node);
    expect(node.heartbeat()).toEqual({ ok: true, seq: 1 });
    expectActions(node, []);
    expect(node.getHeartbeatStatus(1)).toBe("confirmed");
    expect(node.getHeartbeatStatus(0)).toBe("rejected"); // Never issued in this leadership.
    expect(node.getHeartbeatStatus(2)).toBe("rejected"); // Not issued yet.
  });

  it("RaftNode heartbeat numbers from an earlier leadership stay rejected after the node leads again", () => {
    const c = bootstrapped(["n0", "n1", "n2"]);
    const [n0, n1] = [c.node("n0"), c.node("n1")];
    expect(n0.heartbeat()).toEqual({ ok: true, seq: 1 });
    expect(n0.getHeartbeatStatus(1)).toBe("pending");
    c.run();
    expect(n0.getHeartbeatStatus(1)).toBe("confirmed");
    n1.handleElectionTimeout();
    c.run();
    expect(n1.role).toBe("leader");
    expect(n0.getHeartbeatStatus(1)).toBe("rejected"); // No longer leader.
    n0.handleElectionTimeout();
    c.run();
    expect(n0.role).toBe("leader");
    expect(n0.getHeartbeatStatus(1)).toBe("rejected"); // From the earlier leadership.
    expect(n0.heartbeat()).toEqual({ ok: true, seq: 2 });
    expect(n0.getHeartbeatStatus(2)).toBe("pending");
    c.run();
    expect(n0.getHeartbeatStatus(2)).toBe("confirmed");
  });

  it("RaftNode heartbeat during joint consensus needs a majority of both voter sets", () => {
    const c = bootstrapped(["n0", "n1", "n2"]);
    const n0 = c.node("n0");
    c.add("n3");
    c.add("n4");
    expect(n0.proposeConfig(n0.config.toJointConsensus(ids("n3", "n4"), ids("n1", "n2"))).ok).toBe(true);
    c.isolated.add(id("n3"));
    c.isolated.add(id("n4"));
    c.run();
    expect(n0.config.isJoint).toBe(true);
    const hb = n0.heartbeat();
    if (!hb.ok) throw new Error("n0 leads");
    c.run();
    expect(n0.getHeartbeatStatus(hb.seq)).toBe("pending"); // The old voters answered; the new ones did not.
    c.isolated.delete(id("n3"));
    const again = n0.heartbeat();
    if (!again.ok) throw new Error("n0 leads");
    c.run();
    expect(n0.getHeartbeatStatus(again.seq)).toBe("confirmed");
  });
});

describe("RaftNode.getCommitStatus()", () => {
  /** A follower with a snapshot at 2/5, entries 6 (term 2), 7 Term(3), 8 (term 3), told commit 7. */
  function follower(): RaftNode {
    const node = restarted("n1", {
      term: 3,
      entries: segment(pos(2, 5), [X(), termEntry(3), X()]),
      snapshotConfig: voters(["n0", "n1", "n2"]),
    });
    expect<number>(node.commitIndex).toBe(5);
    node.handleMessage(appendCall({ from: "n0", term: 3, commitIndex: 7, entries: segment(pos(3, 8), []) }));
    expect<number>(node.commitIndex).toBe(7);
    return node;
  }

  it("RaftNode.getCommitStatus() is unknown below the snapshot", () => {
    expect(follower().getCommitStatus(pos(2, 4))).toBe("unknown");
  });

  it("RaftNode.getCommitStatus() is committed for a committed entry of this log, the snapshot point included", () => {
    const node = follower();
    expect(node.getCommitStatus(pos(2, 5))).toBe("committed");
    expect(node.getCommitStatus(pos(2, 6))).toBe("committed");
    expect(node.getCommitStatus(pos(3, 7))).toBe("committed");
  });

  it("RaftNode.getCommitStatus() is rejected for INVALID, another term at a committed index, or a stale term above it", () => {
    const node = follower();
    expect(node.getCommitStatus(LogPosition.INVALID)).toBe("rejected");
    expect(node.getCommitStatus(pos(3, 6))).toBe("rejected");
    expect(node.getCommitStatus(pos(2, 8))).toBe("rejected");
    expect(node.getCommitStatus(pos(1, 20))).toBe("rejected");
  });

  it("RaftNode.getCommitStatus() is in_progress above the commit index for a term not below the committed one", () => {
    const node = follower();
    expect(node.getCommitStatus(pos(3, 8))).toBe("in_progress");
    expect(node.getCommitStatus(pos(4, 9))).toBe("in_progress");
  });
});
