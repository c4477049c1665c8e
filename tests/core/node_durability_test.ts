import { describe, expect, it } from "bun:test";
import { RaftNode } from "../../packages/core/src/mod.ts";
import { bootstrapped } from "../helpers/core_cluster.ts";
import {
  appendCall,
  commandEntry,
  configEntry,
  drain,
  id,
  ids,
  pos,
  restarted,
  segment,
  termEntry,
  voters,
} from "../helpers/core_harness.ts";

const X = commandEntry;
const THREE = voters(["n0", "n1", "n2"]);

describe("RaftNode with trackDurableIndex", () => {
  it("RaftNode as a single voter commits only what handleLogDurable() reported", () => {
    const node = RaftNode.start(id("n0"), { trackDurableIndex: true });
    expect(node.createCluster(ids("n0")).ok).toBe(true);
    drain(node);
    expect(node.role).toBe("leader");
    expect<number>(node.commitIndex).toBe(0);
    expect<number>(node.durableIndex).toBe(0);
    node.handleLogDurable(pos(0, 1));
    expect<number>(node.durableIndex).toBe(1);
    expect<number>(node.commitIndex).toBe(0); // Entry 1 is of term 0: it commits only with Term(1).
    node.handleLogDurable(pos(1, 2));
    expect<number>(node.commitIndex).toBe(2);
    expect(node.proposeCommand("a")).toEqual({ ok: true, position: pos(1, 3) });
    expect<number>(node.commitIndex).toBe(2);
    node.handleLogDurable(pos(1, 3));
    expect<number>(node.commitIndex).toBe(3);
  });

  it("RaftNode.handleLogDurable() ignores positions it has passed and positions no longer in the log", () => {
    const node = RaftNode.start(id("n0"), { trackDurableIndex: true });
    node.createCluster(ids("n0"));
    node.proposeCommand("a");
    drain(node);
    node.handleLogDurable(pos(1, 2));
    node.handleLogDurable(pos(0, 1)); // Behind: ignored.
    expect<number>(node.durableIndex).toBe(2);
    node.handleLogDurable(pos(7, 3)); // Not this log's entry 3.
    node.handleLogDurable(pos(1, 9)); // Beyond the log.
    expect<number>(node.durableIndex).toBe(2);
    expect<number>(node.commitIndex).toBe(2);
  });

  it("RaftNode as a leader counts followers' acknowledgements without its own durable append", () => {
    const c = bootstrapped(["n0", "n1", "n2"], { trackDurableIndex: true });
    const n0 = c.node("n0");
    expect<number>(n0.durableIndex).toBe(0);
    expect<number>(n0.commitIndex).toBe(2); // n1 and n2 stored entries 1-2: a majority without n0.
    c.isolated.add(id("n2"));
    n0.proposeCommand("a");
    c.run();
    expect<number>(n0.commitIndex).toBe(2); // n1 alone is not a majority while n0's copy is not durable.
    n0.handleLogDurable(pos(1, 3));
    expect<number>(n0.commitIndex).toBe(3);
  });

  it("RaftNode lowers its durable index when it truncates its log", () => {
    const node = restarted("n1", {
      term: 1,
      entries: segment(pos(0, 0), [configEntry(THREE), termEntry(1), X(), X()]),
      options: { trackDurableIndex: true },
    });
    expect<number>(node.durableIndex).toBe(4); // A restarted log was durable.
    node.handleMessage(
      appendCall({ from: "n2", term: 2, commitIndex: 0, entries: segment(pos(1, 2), [termEntry(2)]) }),
    );
    expect(node.log.lastPosition).toEqual(pos(2, 3));
    expect<number>(node.durableIndex).toBe(2);
    node.handleLogDurable(pos(2, 3));
    expect<number>(node.durableIndex).toBe(3);
  });
});
