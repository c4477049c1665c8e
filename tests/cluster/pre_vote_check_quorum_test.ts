/**
 * Pre-vote and check-quorum in the node as it ships (both on by default), on three Bun node
 * processes: a follower paused for many election timeouts and then resumed does not depose the
 * leader or raise its term; a leader whose followers are gone steps down and, asking only for
 * pre-votes, never raises its term.
 */
import { afterAll, describe, expect } from "bun:test";
import { type AckedWrites, putKey } from "../helpers/cluster_kv.ts";
import { type ClusterNode, type NodeStatusBody, ProcessCluster } from "../helpers/process_cluster.ts";
import { waitFor } from "../helpers/wait_for.ts";
import { clusterIt, STOP_TIMEOUT_MS, startAndBootstrap } from "./cluster_scenarios.ts";

const ELECTION_TIMEOUT_MS = 500;
/** How long the follower stays paused: many election timeouts. */
const PAUSE_MS = 8 * ELECTION_TIMEOUT_MS;
const CATCH_UP_TIMEOUT_MS = 20_000;

/** Resolves after `ms`: the length of a fault, never a condition of the test. */
function faultLasting(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe("pre-vote on three Bun node processes", () => {
  const cluster = new ProcessCluster({ runtimes: ["bun", "bun", "bun"], electionTimeoutMs: ELECTION_TIMEOUT_MS });
  const acked: AckedWrites = new Map();
  afterAll(() => cluster.stop(), { timeout: STOP_TIMEOUT_MS });

  clusterIt(
    cluster,
    "a follower paused for many election timeouts rejoins without deposing the leader or raising its term",
    async () => {
      const leader = await startAndBootstrap(cluster);
      const before = await leader.status();
      // A leader that hears from its quorum is ready (once its followers have answered).
      await waitFor(async () => ((await fetch(`${leader.url}/readyz`)).status === 200 ? true : undefined), {
        what: `${leader.id} to be ready`,
        timeoutMs: CATCH_UP_TIMEOUT_MS,
      });
      const follower = cluster.nodes.find((n) => n.id !== leader.id) as ClusterNode;
      await putKey(leader, "before-pause", "1", acked);
      follower.pause();
      await putKey(leader, "while-paused", "2", acked); // The other follower keeps the quorum.
      await faultLasting(PAUSE_MS);
      follower.resume(); // Its election timer is long overdue: it fires first thing.
      const after = await putKey(leader, "after-pause", "3", acked);
      const caughtUp = await waitFor(
        async () => {
          const s = await follower.status();
          return s.appliedIndex >= after.index && s.leader?.id === leader.id ? s : undefined;
        },
        {
          what: `${follower.id} to follow ${leader.id} again and apply index ${after.index}`,
          timeoutMs: CATCH_UP_TIMEOUT_MS,
        },
      );
      const now = await leader.status();
      expect(now.role).toBe("leader");
      expect(now.term).toBe(before.term); // Nobody raised the term: the resumed follower only asked for pre-votes.
      expect(caughtUp.term).toBe(before.term);
    },
  );
});

describe("check-quorum on three Bun node processes", () => {
  const cluster = new ProcessCluster({ runtimes: ["bun", "bun", "bun"], electionTimeoutMs: ELECTION_TIMEOUT_MS });
  afterAll(() => cluster.stop(), { timeout: STOP_TIMEOUT_MS });

  clusterIt(cluster, "a leader that loses both followers steps down and, with pre-vote, keeps its term", async () => {
    const leader = await startAndBootstrap(cluster);
    const before = await leader.status();
    for (const node of cluster.nodes) if (node !== leader) await cluster.kill(node);
    const down = await waitFor(
      async () => {
        const s: NodeStatusBody = await leader.status();
        return s.role !== "leader" ? s : undefined;
      },
      { what: `${leader.id} to step down without a quorum`, timeoutMs: CATCH_UP_TIMEOUT_MS },
    );
    expect(["follower", "precandidate"]).toContain(down.role);
    expect(down.term).toBe(before.term);
    expect(down.progress).toEqual([]);
    const ready = await fetch(`${leader.url}/readyz?verbose`);
    expect(ready.status).toBe(503); // It has no leader, let alone a quorum.
    expect(await ready.text()).toContain("[-]leader failed: no leader is known");
    await faultLasting(4 * ELECTION_TIMEOUT_MS); // Several more timeouts alone.
    const later = await leader.status();
    expect(later.role).not.toBe("leader");
    expect(later.term).toBe(before.term); // Pre-votes that nobody grants never raise the term.
  });
});
