/**
 * Scenarios shared by the multi-process test files: a per-test wrapper that prints node output on
 * failure, and the failover scenario (bootstrap, writes and reads through every node, kill -9 of the
 * leader, restart and catch-up) for a cluster of any mix of runtimes.
 */
import { afterAll, describe, expect } from "bun:test";
import {
  type AckedWrites,
  expectAllReadable,
  expectAllStaleAfterApply,
  highestIndex,
  writeThroughEach,
} from "../helpers/cluster_kv.ts";
import { type ClusterNode, ProcessCluster, type ProcessClusterOptions } from "../helpers/process_cluster.ts";
import { slowIt } from "../helpers/slow_test.ts";

/** Per-test deadline: generous, the machine may be loaded. */
export const TEST_TIMEOUT_MS = 60_000;
/** How long cluster cleanup may take (SIGTERM, then SIGKILL after a deadline). */
export const STOP_TIMEOUT_MS = 30_000;

/** Registers a test of `cluster` that prints the output of its nodes when it fails. */
export function clusterIt(cluster: ProcessCluster, name: string, fn: () => Promise<void>): void {
  slowIt(name, fn, { timeoutMs: TEST_TIMEOUT_MS, onFailure: () => cluster.printLogs(name) });
}

/** Starts `cluster`, bootstraps it and checks that every node agrees on the leader and the members. */
export async function startAndBootstrap(cluster: ProcessCluster): Promise<ClusterNode> {
  await cluster.start();
  await cluster.bootstrap();
  const leader = await cluster.waitForLeader();
  await cluster.waitForMembers();
  for (const node of cluster.nodes) {
    const status = await node.status();
    expect(status.id).toBe(node.id);
    expect(status.url).toBe(node.url);
    expect(status.leader).toEqual({ id: leader.id, url: leader.url });
    expect(status.term).toBeGreaterThan(0);
    expect(status.runtime.name).toBe(node.runtime);
  }
  return leader;
}

/** Kills the leader and checks failover; resolves with the killed node. */
async function killLeaderAndCheck(cluster: ProcessCluster, acked: AckedWrites): Promise<ClusterNode> {
  const old = await cluster.waitForLeader();
  const oldTerm = (await old.status()).term;
  await cluster.kill(old);
  const survivors = cluster.running;
  expect(survivors.map((n) => n.id)).not.toContain(old.id);
  const leader = await cluster.waitForLeader(survivors);
  expect(leader.id).not.toBe(old.id);
  expect((await leader.status()).term).toBeGreaterThan(oldTerm);
  for (const node of survivors) await expectAllReadable(node, acked);
  await writeThroughEach(survivors, "b", 5, acked);
  for (const node of survivors) await expectAllReadable(node, acked);
  return old;
}

/** Restarts `node` and checks that it catches up with the leader and serves writes again. */
async function restartAndCheck(cluster: ProcessCluster, node: ClusterNode, acked: AckedWrites): Promise<void> {
  await cluster.restart(node);
  const leader = await cluster.waitForLeader(cluster.nodes);
  expect(leader.id).not.toBe(node.id);
  await expectAllStaleAfterApply(cluster, node, acked);
  const commit = (await leader.status()).commitIndex;
  expect(commit).toBeGreaterThanOrEqual(highestIndex(acked));
  await cluster.waitForApplied(node, commit);
  await writeThroughEach([node], "c", 3, acked);
  for (const n of cluster.nodes) await expectAllReadable(n, acked);
}

/**
 * The failover scenario as one describe block of four sequential tests on a cluster with
 * `options` (its nodes are n1, n2, … with the given runtimes; n1 receives the bootstrap call).
 * `extra` may register more tests on the same cluster after these.
 */
export function describeFailover(
  title: string,
  options: ProcessClusterOptions,
  extra?: (cluster: ProcessCluster, acked: AckedWrites) => void,
): void {
  describe(title, () => {
    const cluster = new ProcessCluster(options);
    const acked: AckedWrites = new Map();
    let killed: ClusterNode | undefined;
    const n = options.runtimes.length;
    afterAll(() => cluster.stop(), { timeout: STOP_TIMEOUT_MS });

    clusterIt(cluster, "bootstrap: every node reports the same leader, the members and its runtime", async () => {
      await startAndBootstrap(cluster);
    });

    clusterIt(cluster, "writes through every node are readable through every node", async () => {
      await writeThroughEach(cluster.nodes, "a", 10, acked);
      expect(acked.size).toBe(10 * n);
      for (const node of cluster.nodes) await expectAllReadable(node, acked);
      for (const node of cluster.nodes) await expectAllStaleAfterApply(cluster, node, acked);
    });

    clusterIt(
      cluster,
      "kill -9 of the leader: a new leader, acknowledged writes survive, new writes succeed",
      async () => {
        killed = await killLeaderAndCheck(cluster, acked);
      },
    );

    clusterIt(cluster, "the killed node restarts from its data and catches up", async () => {
      if (killed === undefined) throw new Error("the previous test did not kill a node");
      await restartAndCheck(cluster, killed, acked);
    });

    extra?.(cluster, acked);
  });
}
