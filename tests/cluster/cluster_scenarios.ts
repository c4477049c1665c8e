/**
 * Scenarios shared by the multi-process test files: a per-test wrapper that prints node output on
 * failure, and the failover scenario (bootstrap, writes and reads through every node, kill -9 of the
 * leader, restart and catch-up) for a cluster of any mix of runtimes.
 */
import { afterAll, describe, expect } from "bun:test";
import {
  type AckedWrites,
  BackgroundWriter,
  expectAllReadable,
  expectAllStaleAfterApply,
  highestIndex,
  writeThroughEach,
} from "../helpers/cluster_kv.ts";
import { type ClusterNode, ProcessCluster, type ProcessClusterOptions } from "../helpers/process_cluster.ts";
import { slowIt } from "../helpers/slow_test.ts";
import { waitFor } from "../helpers/wait_for.ts";

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

/** Reads every acknowledged key through each of `nodes` with the default (linearizable) consistency. */
export async function expectReadableThrough(nodes: readonly ClusterNode[], acked: AckedWrites): Promise<void> {
  for (const node of nodes) await expectAllReadable(node, acked);
}

/**
 * Kills the leader while writes go on through every node and checks failover: a new leader among
 * the others in a higher term, every acknowledged write readable, new writes accepted. Resolves
 * with the killed node.
 */
async function killLeaderAndCheck(cluster: ProcessCluster, acked: AckedWrites): Promise<ClusterNode> {
  const old = await cluster.waitForLeader();
  const oldTerm = (await old.status()).term;
  const writer = new BackgroundWriter(() => cluster.nodes, "during-failover", acked, { maxWrites: 5000 });
  try {
    await writer.waitForMoreAcks(10, "before the kill");
    await cluster.kill(old);
    const survivors = cluster.running;
    expect(survivors.map((n) => n.id)).not.toContain(old.id);
    const leader = await cluster.waitForLeader(survivors);
    expect(leader.id).not.toBe(old.id);
    expect((await leader.status()).term).toBeGreaterThan(oldTerm);
    await writer.waitForMoreAcks(10, "after the new leader was elected");
  } finally {
    await writer.stop();
  }
  await expectReadableThrough(cluster.running, acked);
  await writeThroughEach(cluster.running, "b", 5, acked);
  await expectReadableThrough(cluster.running, acked);
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
  await expectReadableThrough(cluster.nodes, acked);
}

/** Waits until `leader`'s snapshot covers more than `index`; resolves with its snapshot index. */
async function waitForCompaction(leader: ClusterNode, index: number): Promise<number> {
  return await waitFor(
    async () => {
      const status = await leader.status();
      return status.snapshotIndex > index ? status.snapshotIndex : undefined;
    },
    { timeoutMs: 10_000, what: `${leader.id} to compact its log past index ${index}` },
  );
}

/** Restarts `node` while writes go on through every node, until it installed a snapshot and 20 more writes were acknowledged. */
async function restartDuringWrites(cluster: ProcessCluster, node: ClusterNode, acked: AckedWrites, prefix: string) {
  const writer = new BackgroundWriter(() => cluster.nodes, prefix, acked, { maxWrites: 2000 });
  try {
    await cluster.restart(node);
    const what = `${node.id} to install a snapshot`;
    await waitFor(() => /installed snapshot/.test(node.lastStartOutput), { timeoutMs: 20_000, what });
    await writer.waitForMoreAcks(20, "after the snapshot install");
  } finally {
    await writer.stop();
  }
}

/**
 * The snapshot scenario on a cluster with a small snapshot interval: kill -9 of `follower`, enough
 * writes that the leader compacts its log past the follower's last index, then a restart while
 * writes go on; the follower must catch up through a snapshot install and serve every key.
 */
export async function checkSnapshotCatchUp(
  cluster: ProcessCluster,
  follower: ClusterNode,
  acked: AckedWrites,
  prefix: string,
): Promise<void> {
  const leader = await cluster.waitForLeader(cluster.nodes);
  if (leader === follower) throw new Error(`${follower.id} is the leader, not a follower`);
  await expectAllStaleAfterApply(cluster, follower, acked);
  const stoppedAt = (await follower.status()).lastIndex;
  await cluster.kill(follower);
  await writeThroughEach(cluster.running, prefix, 30, acked, 8);
  // The leader snapshots once the log since its latest snapshot is as big as that snapshot (and
  // --snapshot-every entries long): write on, a bounded number of rounds, until it compacted.
  for (let round = 1; (await leader.status()).snapshotIndex <= stoppedAt && round <= 10; round++) {
    await writeThroughEach(cluster.running, `${prefix}-more${round}`, 30, acked, 8);
  }
  expect(await waitForCompaction(leader, stoppedAt)).toBeGreaterThan(stoppedAt);
  await restartDuringWrites(cluster, follower, acked, `${prefix}-during`);
  await expectAllStaleAfterApply(cluster, follower, acked);
  expect((await follower.status()).snapshotIndex).toBeGreaterThan(stoppedAt);
  expect(follower.lastStartOutput).toMatch(/installed snapshot \S+ from n\d+/);
  expect(leader.lastStartOutput).toContain(`sending snapshot`);
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
      await expectReadableThrough(cluster.nodes, acked);
      for (const node of cluster.nodes) await expectAllStaleAfterApply(cluster, node, acked);
    });

    clusterIt(
      cluster,
      "kill -9 of the leader during writes: a new leader, acknowledged writes survive, new writes succeed",
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
