/**
 * Three Bun node processes on loopback: bootstrap, writes and reads through every node, kill -9 of
 * the leader, restart and catch-up from the log, and catch-up of a follower through a snapshot.
 */
import { afterAll, describe, expect } from "bun:test";
import { type AckedWrites, expectAllStaleAfterApply, writeThroughEach } from "../helpers/cluster_kv.ts";
import { type ClusterNode, ProcessCluster } from "../helpers/process_cluster.ts";
import { waitFor } from "../helpers/wait_for.ts";
import { clusterIt, describeFailover, STOP_TIMEOUT_MS } from "./cluster_scenarios.ts";

describeFailover("three Bun node processes", { runtimes: ["bun", "bun", "bun"] });

describe("three Bun node processes with frequent snapshots", () => {
  const cluster = new ProcessCluster({ runtimes: ["bun", "bun", "bun"], snapshotEvery: 20 });
  const acked: AckedWrites = new Map();
  afterAll(() => cluster.stop(), { timeout: STOP_TIMEOUT_MS });

  /** Waits until the leader's snapshot covers more than `index`; resolves with its snapshot index. */
  async function waitForCompaction(leader: ClusterNode, index: number): Promise<number> {
    return await waitFor(
      async () => {
        const status = await leader.status();
        return status.snapshotIndex > index ? status.snapshotIndex : undefined;
      },
      { timeoutMs: 10_000, what: `${leader.id} to compact its log past index ${index}` },
    );
  }

  clusterIt(cluster, "a follower that missed compacted entries catches up through a snapshot install", async () => {
    await cluster.start();
    await cluster.bootstrap();
    const leader = await cluster.waitForLeader();
    await writeThroughEach([leader], "s0", 5, acked);
    const follower = cluster.nodes.find((n) => n.id !== leader.id) as ClusterNode;
    await expectAllStaleAfterApply(cluster, follower, acked);
    const stoppedAt = (await follower.status()).lastIndex;
    await cluster.kill(follower);
    await writeThroughEach(cluster.running, "s1", 50, acked, 8);
    expect(await waitForCompaction(leader, stoppedAt)).toBeGreaterThan(stoppedAt);
    await cluster.restart(follower);
    await expectAllStaleAfterApply(cluster, follower, acked);
    expect((await follower.status()).snapshotIndex).toBeGreaterThan(0);
    expect(follower.output).toMatch(/installed snapshot \S+ from the leader/);
    expect(leader.output).toContain(`sending snapshot`);
  });
});
