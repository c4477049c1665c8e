/**
 * The simulated node's runtime on the in-memory storage twin: replies wait for their writes, a
 * crash loses what was not synced, and a snapshot never outlives the term it was taken in.
 */
import { describe, expect, it } from "bun:test";
import {
  ClusterConfig,
  LogEntries,
  LogEntry,
  LogIndex,
  LogPosition,
  type Message,
  NodeId,
  Term,
} from "../../src/core/mod.ts";
import { SafetyChecker } from "./checker.ts";
import { checkNode } from "./node_checks.ts";
import { optionsFromSeed } from "./options.ts";
import { Prng } from "./prng.ts";
import { type NodeEvent, type NodeHost, SimNode } from "./sim_node.ts";

const n0 = NodeId.of("n0");
const n1 = NodeId.of("n1");
const n2 = NodeId.of("n2");

interface FakeHost extends NodeHost {
  readonly sent: Message[];
  readonly events: NodeEvent[];
}

function fakeHost(): FakeHost {
  const sent: Message[] = [];
  const events: NodeEvent[] = [];
  return {
    options: optionsFromSeed({ seed: 1, nodes: 3, steps: 0 }),
    now: 0,
    rng: new Prng(1),
    sent,
    events,
    send: (_from, _to, message) => sent.push(message),
    schedule: (_delay, event) => events.push(event),
    requestSnapshot: () => {},
    appended: () => {},
    durable: () => {},
    trace: () => {},
  };
}

/** A leader of term 2 sends the cluster's first entries (config, term 2, "a") and commits them. */
const CALL: Message = {
  type: "AppendEntriesCall",
  from: n0,
  term: Term.of(2),
  commitIndex: LogIndex.of(3),
  entries: LogEntries.from(LogPosition.ZERO, [
    LogEntry.config(new ClusterConfig({ voters: [n0, n1, n2] })),
    LogEntry.term(Term.of(2)),
    LogEntry.command("a"),
  ]),
  seq: 1,
};

function lastSync(host: FakeHost): number {
  const syncs = host.events.filter((e) => e.kind === "sync");
  return syncs[syncs.length - 1].token;
}

describe("SimNode on the in-memory storage twin", () => {
  it("SimNode holds a reply until the append and the term it vouches for are durable", () => {
    const host = fakeHost();
    const node = new SimNode(n1, host);
    node.deliver(CALL);
    expect(host.sent).toEqual([]);
    expect(node.disk.hardState.term).toBe(Term.of(0));
    node.completeSync(lastSync(host));
    expect(host.sent.map((m) => m.type)).toEqual(["AppendEntriesReply"]);
    expect(node.disk.hardState.term).toBe(Term.of(2));
    expect(node.disk.entries.lastPosition).toEqual(LogPosition.of(2, 3));
  });

  it("SimNode.crash() loses the writes of a sync in flight; restart() recovers the durable state", () => {
    const host = fakeHost();
    const node = new SimNode(n1, host);
    node.deliver(CALL);
    node.crash();
    node.restart();
    expect(node.raft.currentTerm).toBe(Term.of(0));
    expect(node.raft.log.lastPosition).toEqual(LogPosition.ZERO);
    expect(Number(node.raft.generation)).toBe(1);
  });

  it("SimNode.compact() makes the term durable before the snapshot, so a crash right after restarts", () => {
    const host = fakeHost();
    const node = new SimNode(n1, host);
    node.deliver(CALL);
    expect(Number(node.raft.commitIndex)).toBe(3);
    for (let i = 1; i <= 3; i++) node.sm.apply(i, node.raft.log.entries.getEntry(i) as LogEntry);
    node.compact(); // The term-2 save is still buffered: the snapshot at 2/3 must not get ahead of it.
    node.crash();
    node.restart();
    expect(node.raft.currentTerm).toBe(Term.of(2));
    expect(node.raft.log.snapshotPosition).toEqual(LogPosition.of(2, 3));
    expect(node.sm.applied).toEqual(["a"]);
  });

  it("checkNode() counts a sole voter as leader once its term is durable (a crash before voids it)", () => {
    const host = fakeHost();
    const node = new SimNode(n0, host);
    expect(node.raft.createCluster([n0]).ok).toBe(true);
    node.drain();
    expect(node.raft.role).toBe("leader");
    const checker = new SafetyChecker();
    checkNode(checker, node, [node]);
    checker.observeLeader(1, n1); // Its term is not durable: another node may still lead term 1.
    node.completeSync(lastSync(host));
    expect(() => checkNode(new SafetyChecker(), node, [node])).not.toThrow();
    expect(() => checkNode(checker, node, [node])).toThrow(/both leaders of term 1/);
  });
});
