/**
 * Real node processes and frames from a holder of the cluster token who is not a member: the
 * attack frames of the issue (an AppendEntriesCall of term 2^53−1, one of the highest term a node
 * may hold, an AppendEntriesReply of term 1001 to the leader, a huge-term vote request) change no
 * node's term or role and make no node exit. A stored state no node can run from is a clear
 * startup error, not a crash loop.
 */
import { afterAll, describe, expect } from "bun:test";
import { Term } from "../../packages/core/src/mod.ts";
import { openFileStorage } from "../../src/storage/mod.ts";
import { type AckedWrites, putKey } from "../helpers/cluster_kv.ts";
import { Peer } from "../helpers/peer_socket.ts";
import { ProcessCluster } from "../helpers/process_cluster.ts";
import { delay } from "../helpers/wait_for.ts";
import { clusterIt, STOP_TIMEOUT_MS } from "./cluster_scenarios.ts";

const ELECTION_TIMEOUT_MS = 500;

/** The attack frames, from `from` (a made-up id). */
function attackFrames(from: string): string[] {
  const entries = { prev: { term: 0, index: 0 }, items: [{ kind: "command", data: "evil" }] };
  const call = (term: number) => ({ v: 1, type: "AppendEntriesCall", from, term, commitIndex: 99, entries, seq: 1 });
  const reply = {
    v: 1,
    type: "AppendEntriesReply",
    from,
    term: 1001,
    generation: 7,
    lastPosition: { term: 1001, index: 1 },
    rejected: false,
    seq: 1,
  };
  const vote = {
    v: 1,
    type: "RequestVoteCall",
    from,
    term: Term.MAX,
    lastPosition: { term: Term.MAX, index: 10 ** 9 },
  };
  return [call(2 ** 53 - 1), call(Term.MAX), reply, vote].map((f) => JSON.stringify(f));
}

describe("frames from a token holder that is not a member", () => {
  const cluster = new ProcessCluster({ runtimes: ["bun", "bun", "bun"], electionTimeoutMs: ELECTION_TIMEOUT_MS });
  afterAll(() => cluster.stop(), STOP_TIMEOUT_MS);

  clusterIt(cluster, "change no member's term or role and make no node exit", async () => {
    await cluster.start();
    await cluster.bootstrap();
    const leader = await cluster.waitForLeader();
    const before = await Promise.all(cluster.nodes.map((n) => n.status()));
    for (const node of cluster.nodes) {
      const peer = await Peer.open(node.url, "intruder", cluster.token);
      try {
        for (const frame of attackFrames("intruder")) await peer.send(frame);
        expect(peer.errors.some((e) => e.includes("invalid_frame"))).toBe(true); // The 2^53−1 term.
      } finally {
        peer.close();
      }
    }
    const check = async () => {
      const now = await Promise.all(cluster.nodes.map((n) => n.status()));
      expect(now.map((s) => [s.id, s.term, s.role, s.leader?.id])).toEqual(
        before.map((s) => [s.id, s.term, s.role, s.leader?.id]),
      );
    };
    await check();
    await delay(4 * ELECTION_TIMEOUT_MS); // Timers fire (the crash of old came a second later).
    await check();
    expect(cluster.running.map((n) => n.id)).toEqual(["n1", "n2", "n3"]);
    const acked: AckedWrites = new Map();
    await putKey(leader, "after-the-attack", "ok", acked);
  });

  clusterIt(cluster, "a stored term above the highest a node may hold is a clear startup error", async () => {
    const node = cluster.node("n3");
    await node.signal("SIGTERM");
    const storage = openFileStorage(node.dataDir);
    storage.log.saveHardState({ term: Number.MAX_SAFE_INTEGER as Term, votedFor: null });
    storage.log.sync();
    storage.log.close();
    node.spawn(cluster.argsOf(node));
    expect(await node.waitExit(30_000)).toBe(1);
    expect(node.lastStartOutput).toContain(`cannot start node ${node.id}`);
    expect(node.lastStartOutput).toContain("above the highest term a node may hold");
    expect(node.lastStartOutput).not.toContain("    at "); // No stack trace.
  });
});
