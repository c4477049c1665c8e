/**
 * A stalled disk on the leader, through the storage fault hook: its next write blocks inside the
 * flush, and since storage calls are synchronous the whole process stops answering (no heartbeats,
 * no HTTP). The other two elect a leader and keep serving; once the disk answers again the old
 * leader finishes its flush, learns the newer term, follows, and every acknowledged write is
 * readable through every node.
 */
import { afterAll, describe, expect } from "bun:test";
import {
  type AckedWrites,
  expectAllReadable,
  expectAllStaleAfterApply,
  keyUrl,
  writeThroughEach,
} from "../helpers/cluster_kv.ts";
import { httpJson, type JsonAnswer } from "../helpers/http_json.ts";
import { ProcessCluster } from "../helpers/process_cluster.ts";
import { StorageFaultControl } from "../helpers/storage_fault_control.ts";
import { waitFor } from "../helpers/wait_for.ts";
import { clusterIt, STOP_TIMEOUT_MS, startAndBootstrap } from "./cluster_scenarios.ts";

const faults = new StorageFaultControl();
const cluster = new ProcessCluster({
  runtimes: ["bun", "bun", "bun"],
  env: (node) => faults.envOf(node),
});

describe("a stalled disk on the leader", () => {
  afterAll(async () => {
    await cluster.stop();
    faults.cleanup();
  }, STOP_TIMEOUT_MS);

  clusterIt(
    cluster,
    "the others elect a leader and serve; the stalled node follows once its disk answers",
    async () => {
      const leader = await startAndBootstrap(cluster);
      const acked: AckedWrites = new Map();
      await writeThroughEach(cluster.nodes, "before", 3, acked);
      const others = cluster.nodes.filter((n) => n !== leader);
      const before = (await leader.status()).term;

      faults.set(leader, "stall", true);
      // This write makes the leader flush, and the flush blocks the whole process.
      const stuck: Promise<JsonAnswer | Error> = httpJson("PUT", keyUrl(leader, "stalled/write"), {
        body: { value: "x" },
        timeoutMs: 50_000,
      }).catch((error: Error) => error);
      await waitFor(() => leader.output.includes("stalls while") || undefined, {
        what: `${leader.id} to report its stalled flush`,
      });
      const next = await cluster.waitForLeader(others);
      expect((await next.status()).term).toBeGreaterThan(before);
      await writeThroughEach(others, "during", 5, acked);
      expect(leader.running).toBe(true); // Stalled, not dead.

      faults.set(leader, "stall", false);
      const answer = await stuck;
      if (!(answer instanceof Error) && answer.status === 200)
        acked.set("stalled/write", { value: "x", index: answer.body.index });
      await cluster.waitForLeader(cluster.nodes);
      expect((await leader.status()).role).toBe("follower");
      await writeThroughEach(cluster.nodes, "after", 2, acked);
      for (const node of cluster.nodes) await expectAllStaleAfterApply(cluster, node, acked);
      for (const node of cluster.nodes) await expectAllReadable(node, acked);
    },
  );
});
