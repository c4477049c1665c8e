/**
 * Three Bun node processes on loopback: bootstrap, writes and reads through every node, kill -9 of
 * the leader, restart and catch-up from the log, and catch-up of a follower through a snapshot.
 */
import { afterAll, describe, expect } from "bun:test";
import {
  type AckedWrites,
  expectAllReadable,
  expectAllStaleAfterApply,
  highestIndex,
  writeThroughEach,
} from "../helpers/cluster_kv.ts";
import { type ClusterNode, ProcessCluster } from "../helpers/process_cluster.ts";
import { slowIt } from "../helpers/slow_test.ts";
import { waitFor } from "../helpers/wait_for.ts";

/** Per-test deadline: generous, the machine may be loaded. */
const TEST_TIMEOUT_MS = 60_000;
/** How long cluster cleanup may take (SIGTERM, then SIGKILL after a deadline). */
const STOP_TIMEOUT_MS = 30_000;

/** A test of `cluster` that prints the output of its nodes when it fails. */
function clusterIt(cluster: ProcessCluster, name: string, fn: () => Promise<void>): void {
  slowIt(name, fn, { timeoutMs: TEST_TIMEOUT_MS, onFailure: () => cluster.printLogs(name) });
}

describe("three Bun node processes", () => {
  const cluster = new ProcessCluster({ runtimes: ["bun", "bun", "bun"] });
  const acked: AckedWrites = new Map();
  let killed: ClusterNode | undefined;
  afterAll(() => cluster.stop(), { timeout: STOP_TIMEOUT_MS });

  clusterIt(cluster, "bootstrap: every node reports the same leader and three voters", async () => {
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
      expect(status.runtime.name).toBe("bun");
    }
  });

  clusterIt(cluster, "writes through every node are readable through every node", async () => {
    await writeThroughEach(cluster.nodes, "a", 10, acked);
    expect(acked.size).toBe(30);
    for (const node of cluster.nodes) await expectAllReadable(node, acked);
    for (const node of cluster.nodes) await expectAllStaleAfterApply(cluster, node, acked);
  });

  clusterIt(
    cluster,
    "kill -9 of the leader: a new leader, acknowledged writes survive, new writes succeed",
    async () => {
      const old = await cluster.waitForLeader();
      const oldTerm = (await old.status()).term;
      await cluster.kill(old);
      killed = old;
      const survivors = cluster.running;
      expect(survivors.map((n) => n.id)).not.toContain(old.id);
      const leader = await cluster.waitForLeader(survivors);
      expect(leader.id).not.toBe(old.id);
      expect((await leader.status()).term).toBeGreaterThan(oldTerm);
      for (const node of survivors) await expectAllReadable(node, acked);
      await writeThroughEach(survivors, "b", 5, acked);
      for (const node of survivors) await expectAllReadable(node, acked);
    },
  );

  clusterIt(cluster, "the killed node restarts from its data and catches up", async () => {
    if (killed === undefined) throw new Error("the previous test did not kill a node");
    const node = killed;
    await cluster.restart(node);
    const leader = await cluster.waitForLeader(cluster.nodes);
    expect(leader.id).not.toBe(node.id);
    await expectAllStaleAfterApply(cluster, node, acked);
    const commit = (await leader.status()).commitIndex;
    expect(commit).toBeGreaterThanOrEqual(highestIndex(acked));
    await cluster.waitForApplied(node, commit);
    await writeThroughEach([node], "c", 3, acked);
    for (const n of cluster.nodes) await expectAllReadable(n, acked);
  });
});

describe("three Bun node processes with frequent snapshots", () => {
  const cluster = new ProcessCluster({ runtimes: ["bun", "bun", "bun"], snapshotEvery: 20 });
  const acked: AckedWrites = new Map();
  afterAll(() => cluster.stop(), { timeout: STOP_TIMEOUT_MS });

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
    const compacted = await waitFor(
      async () => {
        const status = await leader.status();
        return status.snapshotIndex > stoppedAt ? status : undefined;
      },
      { timeoutMs: 10_000, what: `${leader.id} to compact its log past index ${stoppedAt}` },
    );
    expect(compacted.snapshotIndex).toBeGreaterThan(stoppedAt);
    await cluster.restart(follower);
    await expectAllStaleAfterApply(cluster, follower, acked);
    expect((await follower.status()).snapshotIndex).toBeGreaterThan(0);
    expect(follower.output).toMatch(/installed snapshot \S+ from the leader/);
    expect(leader.output).toContain(`sending snapshot`);
  });
});
