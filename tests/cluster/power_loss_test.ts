/**
 * Power loss through the storage fault hook: every node keeps its unflushed writes in memory, so a
 * kill -9 leaves its files as of their last flush. Killing the whole cluster under load, and
 * killing the leader while its flush hangs after a torn write reached the disk, loses only writes
 * that were never acknowledged: every acknowledged write is readable through every node after the
 * restart, and the torn write is cut off and reported.
 */
import { afterAll, describe, expect } from "bun:test";
import {
  type AckedWrites,
  BackgroundWriter,
  expectAllReadable,
  expectAllStaleAfterApply,
  keyUrl,
  writeThroughEach,
} from "../helpers/cluster_kv.ts";
import { httpJson } from "../helpers/http_json.ts";
import { ProcessCluster } from "../helpers/process_cluster.ts";
import { StorageFaultControl } from "../helpers/storage_fault_control.ts";
import { waitFor } from "../helpers/wait_for.ts";
import { clusterIt, STOP_TIMEOUT_MS, startAndBootstrap } from "./cluster_scenarios.ts";

const faults = new StorageFaultControl();
const cluster = new ProcessCluster({
  runtimes: ["bun", "bun", "bun"],
  env: (node) => faults.envOf(node),
});

describe("power loss", () => {
  afterAll(async () => {
    await cluster.stop();
    faults.cleanup();
  }, STOP_TIMEOUT_MS);

  clusterIt(cluster, "the whole cluster loses power under load: every acknowledged write survives", async () => {
    await startAndBootstrap(cluster);
    const acked: AckedWrites = new Map();
    const writer = new BackgroundWriter(() => cluster.nodes, "load", acked, { writers: 6, maxWrites: 100_000 });
    try {
      await writer.waitForMoreAcks(50, "before the power loss");
      await Promise.all(cluster.nodes.map((node) => cluster.kill(node))); // Writes are in flight.
    } finally {
      await writer.stop();
    }
    await Promise.all(cluster.nodes.map((node) => cluster.restart(node)));
    await cluster.waitForLeader(cluster.nodes);
    for (const node of cluster.nodes) await expectAllReadable(node, acked);
    for (const node of cluster.nodes) await expectAllStaleAfterApply(cluster, node, acked);
  });

  clusterIt(
    cluster,
    "the leader loses power with a torn write on disk: it is cut off, and nothing acknowledged is lost",
    async () => {
      const leader = await cluster.waitForLeader(cluster.nodes);
      const acked: AckedWrites = new Map();
      await writeThroughEach(cluster.nodes, "before-torn", 3, acked);
      faults.set(leader, "torn", true);
      faults.set(leader, "stallFlush", true);
      // The next batch is half on disk, and its flush hangs: a kill now finds a torn write.
      const inFlight = httpJson("PUT", keyUrl(leader, "torn/write"), { body: { value: "x" }, timeoutMs: 30_000 }).catch(
        (error: Error) => error,
      );
      await waitFor(() => leader.lastStartOutput.includes("fdatasync stalls while") || undefined, {
        what: `${leader.id} to hang in its flush`,
      });
      await cluster.kill(leader);
      await inFlight; // Its outcome is unknown: not counted as acknowledged.
      faults.set(leader, "stallFlush", false);
      faults.set(leader, "torn", false);
      await cluster.restart(leader);
      expect(leader.lastStartOutput).toContain("cut a torn write off");
      expect(leader.lastStartOutput).toContain("tornTail=true");
      await cluster.waitForLeader(cluster.nodes);
      await writeThroughEach(cluster.nodes, "after-torn", 2, acked);
      for (const node of cluster.nodes) await expectAllStaleAfterApply(cluster, node, acked);
      for (const node of cluster.nodes) await expectAllReadable(node, acked);
    },
  );
});
