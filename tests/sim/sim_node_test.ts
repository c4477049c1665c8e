/**
 * A simulated node is the shipped runtime on the in-memory storage twin: replies wait for their
 * writes, a crash loses what was not synced, and a snapshot never outlives the term it was taken in.
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
} from "../../packages/core/src/mod.ts";
import { SafetyChecker } from "./checker.ts";
import { checkNode } from "./node_checks.ts";
import { optionsFromSeed, type SimOptions } from "./options.ts";
import { Prng } from "./prng.ts";
import type { TaskEvent } from "./sim_clock.ts";
import { type NodeHost, SimNode } from "./sim_node.ts";
import { simAddress } from "./sim_transport.ts";

const n0 = NodeId.of("n0");
const n1 = NodeId.of("n1");
const n2 = NodeId.of("n2");

/** Below this delay a task is a turn of the event loop or a sync completion, not a timer. */
const TIMER_FLOOR = 10;

interface FakeHost extends NodeHost {
  readonly sent: Message[];
  readonly tasks: Array<{ readonly delay: number; readonly event: TaskEvent }>;
}

function fakeHost(overrides: Partial<SimOptions> = {}): FakeHost {
  const sent: Message[] = [];
  const tasks: Array<{ delay: number; event: TaskEvent }> = [];
  const options = {
    ...optionsFromSeed({ seed: 1, nodes: 3, steps: 0 }),
    storageLatency: [1, 5] as const,
    ...overrides,
  };
  return {
    options,
    now: 0,
    rng: new Prng(1),
    sent,
    tasks,
    send: (_from, _to, message) => sent.push(message),
    sendSnapshot: () => Promise.resolve(false),
    schedule: (delay, event) => tasks.push({ delay, event }),
    appended: () => {},
    durable: () => {},
    snapshotSaved: () => {},
    applied: () => {},
    trace: () => {},
  };
}

/** Runs the queued turns (delay 0) only, or also the sync completions, until none is left. */
function run(host: FakeHost, node: SimNode, what: "turns" | "turns and syncs"): void {
  const limit = what === "turns" ? 0 : TIMER_FLOOR;
  for (let rounds = 0; rounds < 1000; rounds++) {
    const k = host.tasks.findIndex((t) => t.delay <= limit);
    if (k < 0) return;
    const [{ event }] = host.tasks.splice(k, 1);
    if (event.task.cancelled || event.incarnation !== node.incarnation || !node.up) continue;
    event.task.fn();
  }
  throw new Error("the node kept scheduling work");
}

/** A leader of term 2 sends the cluster's first entries (config, term 2, a put) and commits them. */
const CALL: Message = {
  type: "AppendEntriesCall",
  from: n0,
  term: Term.of(2),
  commitIndex: LogIndex.of(3),
  entries: LogEntries.from(LogPosition.ZERO, [
    LogEntry.config(
      new ClusterConfig({
        voters: [n0, n1, n2],
        addresses: { n0: simAddress(n0), n1: simAddress(n1), n2: simAddress(n2) },
      }),
    ),
    LogEntry.term(Term.of(2)),
    LogEntry.command(JSON.stringify({ op: "put", key: "k", value: "a" })),
  ]),
  seq: 1,
};

describe("SimNode: the shipped runtime on the in-memory storage twin", () => {
  it("SimNode holds a reply until the append and the term it vouches for are durable", () => {
    const host = fakeHost();
    const node = new SimNode(n1, host);
    node.deliver(CALL);
    run(host, node, "turns");
    expect(host.sent).toEqual([]);
    expect(node.disk.hardState.term).toBe(Term.of(0));
    run(host, node, "turns and syncs");
    expect(host.sent.map((m) => m.type)).toEqual(["AppendEntriesReply"]);
    expect(node.disk.hardState.term).toBe(Term.of(2));
    expect(node.disk.entries.lastPosition).toEqual(LogPosition.of(2, 3));
  });

  it("SimNode.crash() loses the writes of a sync in flight; restart() recovers the durable state", () => {
    const host = fakeHost({ snapshotEvery: 1000 });
    const node = new SimNode(n1, host);
    node.deliver(CALL);
    run(host, node, "turns");
    node.crash();
    node.restart();
    expect(node.raft.currentTerm).toBe(Term.of(0));
    expect(node.raft.log.lastPosition).toEqual(LogPosition.ZERO);
    expect(Number(node.raft.generation)).toBe(1);
  });

  it("SimNode takes a snapshot only once its term is durable, so a crash right after restarts", () => {
    const host = fakeHost({ snapshotEvery: 2 });
    const node = new SimNode(n1, host);
    node.deliver(CALL);
    run(host, node, "turns"); // Applies 1..3 and snapshots at 2/3 while the term-2 save is still buffered.
    expect(node.latestSnapshot()?.position).toEqual(LogPosition.of(2, 3));
    expect(node.disk.hardState.term).toBe(Term.of(2));
    node.crash();
    node.restart();
    expect(node.raft.currentTerm).toBe(Term.of(2));
    expect(node.raft.log.snapshotPosition).toEqual(LogPosition.of(2, 3));
    expect(node.core.machine.machine.get("k")?.value).toBe("a");
  });

  it("checkNode() counts a sole voter as leader once its term is durable (a crash before voids it)", () => {
    const host = fakeHost();
    const node = new SimNode(n0, host);
    expect(node.core.runtime.bootstrap([{ id: n0, url: simAddress(n0) }])).toBe(true);
    expect(node.raft.role).toBe("leader");
    const checker = new SafetyChecker();
    checkNode(checker, node, [node]);
    checker.observeLeader(1, n1); // Its term is not durable: another node may still lead term 1.
    run(host, node, "turns and syncs");
    expect(() => checkNode(new SafetyChecker(), node, [node])).not.toThrow();
    expect(() => checkNode(checker, node, [node])).toThrow(/both leaders of term 1/);
  });
});
