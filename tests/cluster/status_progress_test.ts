/**
 * `GET /v1/status` on three Bun node processes: the leader lists each follower's replication
 * progress, caught up to its commit index once a write settles; followers list none; every node
 * shows the Raft options in force (the node's defaults: pre-vote and check-quorum on).
 */
import { afterAll, describe, expect } from "bun:test";
import { type AckedWrites, highestIndex, writeThroughEach } from "../helpers/cluster_kv.ts";
import { type NodeStatusBody, ProcessCluster } from "../helpers/process_cluster.ts";
import { waitFor } from "../helpers/wait_for.ts";
import { clusterIt, STOP_TIMEOUT_MS, startAndBootstrap } from "./cluster_scenarios.ts";

/** How long the followers may take to acknowledge everything the leader committed. */
const SETTLE_TIMEOUT_MS = 20_000;

/** The statuses of every node, once exactly one of them leads and both followers match its commit index. */
function settled(statuses: readonly NodeStatusBody[], atLeast: number): NodeStatusBody[] | false {
  const leaders = statuses.filter((s) => s.role === "leader");
  if (leaders.length !== 1) return false;
  const leader = leaders[0];
  if (leader.commitIndex < atLeast || leader.progress.length !== 2) return false;
  return leader.progress.every((p) => p.matchIndex === leader.commitIndex) ? [...statuses] : false;
}

describe("GET /v1/status on three Bun node processes", () => {
  const cluster = new ProcessCluster({ runtimes: ["bun", "bun", "bun"] });
  const acked: AckedWrites = new Map();
  afterAll(() => cluster.stop(), { timeout: STOP_TIMEOUT_MS });

  clusterIt(
    cluster,
    "the leader lists both followers at its commit index after a write settles; followers list none; options shown",
    async () => {
      await startAndBootstrap(cluster);
      await writeThroughEach(cluster.nodes, "progress", 3, acked);
      const statuses = await waitFor(
        async () => settled(await Promise.all(cluster.nodes.map((n) => n.status())), highestIndex(acked)),
        { what: "a leader whose two followers match its commit index", timeoutMs: SETTLE_TIMEOUT_MS },
      );
      const leader = statuses.find((s) => s.role === "leader") as NodeStatusBody;
      const others = statuses.filter((s) => s !== leader);
      expect(leader.progress.map((p) => p.id).sort()).toEqual(others.map((s) => s.id).sort());
      for (const p of leader.progress) {
        expect(p.voter).toBe(true);
        expect(p.nextIndex).toBeGreaterThan(p.matchIndex);
        expect(p.inflight).toBeGreaterThanOrEqual(0);
        expect(["probe", "replicate", "snapshot"]).toContain(p.state);
        expect(p.ticksSinceContact).toBeGreaterThanOrEqual(0);
        expect(p.lastContactMs).not.toBeNull(); // Both followers answered the leader.
        expect(p.lastContactMs as number).toBeGreaterThanOrEqual(0);
      }
      for (const follower of others) expect(follower.progress).toEqual([]);
      for (const status of statuses) expect(status.options).toEqual({ preVote: true, checkQuorum: true });
    },
  );
});
