/**
 * Three Bun node processes on loopback: bootstrap, writes and reads through every node, kill -9 of
 * the leader, restart and catch-up from the log, and catch-up of a follower through a snapshot
 * while writes go on.
 */
import { afterAll, describe } from "bun:test";
import { type AckedWrites, writeThroughEach } from "../helpers/cluster_kv.ts";
import { type ClusterNode, ProcessCluster } from "../helpers/process_cluster.ts";
import {
  checkSnapshotCatchUp,
  clusterIt,
  describeFailover,
  expectReadableThrough,
  STOP_TIMEOUT_MS,
  startAndBootstrap,
} from "./cluster_scenarios.ts";

describeFailover("three Bun node processes", { runtimes: ["bun", "bun", "bun"] });

describe("three Bun node processes with frequent snapshots", () => {
  const cluster = new ProcessCluster({ runtimes: ["bun", "bun", "bun"], snapshotEvery: 20 });
  const acked: AckedWrites = new Map();
  afterAll(() => cluster.stop(), { timeout: STOP_TIMEOUT_MS });

  clusterIt(cluster, "a follower that missed compacted entries catches up through a snapshot install", async () => {
    const leader = await startAndBootstrap(cluster);
    await writeThroughEach(cluster.nodes, "s0", 5, acked);
    const follower = cluster.nodes.find((n) => n.id !== leader.id) as ClusterNode;
    await checkSnapshotCatchUp(cluster, follower, acked, "s1");
    await expectReadableThrough(cluster.nodes, acked);
  });
});
