/**
 * Every node of a cluster stops (kill -9 or a clean SIGTERM) and starts again from its data:
 * before any snapshot exists the members' addresses come from the configuration in the log, after
 * one from the snapshot. The cluster elects a leader within a few election timeouts, knows every
 * member's URL before anything new commits, and keeps every acknowledged write. `--bootstrap`
 * given again is checked against the stored members.
 */
import { afterAll, describe, expect } from "bun:test";
import { type AckedWrites, expectAllReadable, writeThroughEach } from "../helpers/cluster_kv.ts";
import { type ClusterNode, ProcessCluster } from "../helpers/process_cluster.ts";
import { clusterIt, STOP_TIMEOUT_MS } from "./cluster_scenarios.ts";

const ELECTION_TIMEOUT_MS = 500;
/** "A few election timeouts" for a leader to emerge once every node listens again. */
const ELECTION_BOUND_MS = 20 * ELECTION_TIMEOUT_MS;

/** Stops every node the way `how` says, then starts them all again (in parallel). */
async function restartAll(cluster: ProcessCluster, how: "SIGKILL" | "SIGTERM", extra: readonly string[] = []) {
  for (const node of cluster.running) {
    if (!(await node.signal(how))) throw new Error(`${node.id} did not exit after ${how}`);
  }
  expect(cluster.running).toEqual([]);
  await Promise.all(cluster.nodes.map((node) => cluster.restart(node, extra)));
}

/** Every node lists every member with its URL (known from the log, not learned since). */
async function expectMembersKnown(cluster: ProcessCluster): Promise<void> {
  const expected = cluster.nodes.map((n) => ({ id: n.id, url: n.url, role: "voter" }));
  for (const node of cluster.nodes) expect((await node.status()).members).toEqual(expected);
}

/** Bootstraps, writes, stops everything, restarts, and checks leader, members and writes. */
async function scenario(cluster: ProcessCluster, how: "SIGKILL" | "SIGTERM", writes: number): Promise<ClusterNode> {
  await cluster.start();
  await cluster.bootstrap();
  await cluster.waitForLeader();
  const acked: AckedWrites = new Map();
  await writeThroughEach(cluster.nodes, how, writes, acked);
  const before = await Promise.all(cluster.nodes.map((n) => n.status()));
  await restartAll(cluster, how);
  await expectMembersKnown(cluster);
  const leader = await cluster.waitForLeader(cluster.nodes, ELECTION_BOUND_MS);
  expect((await leader.status()).term).toBeGreaterThan(Math.max(...before.map((s) => s.term)));
  for (const node of cluster.nodes) await expectAllReadable(node, acked);
  await writeThroughEach(cluster.nodes, `${how}-after`, 2, acked);
  for (const node of cluster.nodes) await expectAllReadable(node, acked);
  return leader;
}

describe("whole-cluster restart, before any snapshot", () => {
  const killed = new ProcessCluster({ runtimes: ["bun", "bun", "bun"], electionTimeoutMs: ELECTION_TIMEOUT_MS });
  const stopped = new ProcessCluster({ runtimes: ["bun", "bun", "bun"], electionTimeoutMs: ELECTION_TIMEOUT_MS });
  afterAll(() => Promise.all([killed.stop(), stopped.stop()]), STOP_TIMEOUT_MS);

  clusterIt(
    killed,
    "kill -9 of every node, then a restart: a leader, the members' URLs, every acknowledged write",
    async () => {
      await scenario(killed, "SIGKILL", 5);
      for (const node of killed.nodes) expect((await node.status()).snapshotIndex).toBe(0);
    },
  );

  clusterIt(
    stopped,
    "SIGTERM of every node, then a restart: a leader, the members' URLs, every acknowledged write",
    async () => {
      await scenario(stopped, "SIGTERM", 5);
      for (const node of stopped.nodes) expect((await node.status()).snapshotIndex).toBe(0);
    },
  );
});

describe("whole-cluster restart, after snapshots", () => {
  const cluster = new ProcessCluster({
    runtimes: ["bun", "bun", "bun"],
    electionTimeoutMs: ELECTION_TIMEOUT_MS,
    snapshotEvery: 10,
  });
  afterAll(() => cluster.stop(), STOP_TIMEOUT_MS);

  clusterIt(cluster, "kill -9 of every node after snapshots: a leader and every acknowledged write", async () => {
    await scenario(cluster, "SIGKILL", 12);
    for (const node of cluster.nodes) expect((await node.status()).snapshotIndex).toBeGreaterThan(0);
  });
});

describe("--bootstrap on every start", () => {
  const members = (cluster: ProcessCluster) => cluster.nodes.map((n) => `${n.id}=${n.url}`).join(",");
  const cluster: ProcessCluster = new ProcessCluster({
    runtimes: ["bun", "bun", "bun"],
    electionTimeoutMs: ELECTION_TIMEOUT_MS,
    extraArgs: () => ["--bootstrap", members(cluster)],
  });
  afterAll(() => cluster.stop(), STOP_TIMEOUT_MS);

  clusterIt(
    cluster,
    "the same --bootstrap restarts from the data; a different one is refused with a clear error",
    async () => {
      await cluster.start(); // Every node bootstraps the same members itself.
      await cluster.waitForLeader();
      const acked: AckedWrites = new Map();
      await writeThroughEach(cluster.nodes, "boot", 3, acked);
      await restartAll(cluster, "SIGKILL"); // With the same --bootstrap: a restart, not a new cluster.
      await cluster.waitForLeader(cluster.nodes, ELECTION_BOUND_MS);
      for (const node of cluster.nodes) await expectAllReadable(node, acked);
      for (const node of cluster.nodes)
        expect(node.lastStartOutput).toContain("--bootstrap matches the stored members");
      const n3 = cluster.node("n3");
      await n3.signal("SIGTERM");
      const other = `${members(cluster)},n4=http://127.0.0.1:9`;
      n3.spawn([
        ...cluster.argsOf(n3).filter((a) => a !== members(cluster) && a !== "--bootstrap"),
        "--bootstrap",
        other,
      ]);
      expect(await n3.waitExit(30_000)).toBe(2);
      expect(n3.lastStartOutput).toContain("does not match the cluster stored in");
      expect(n3.lastStartOutput).toContain("start it without --bootstrap");
      await cluster.restart(n3); // Its data was left alone: the usual start works.
      await expectAllReadable(n3, acked);
    },
  );
});
