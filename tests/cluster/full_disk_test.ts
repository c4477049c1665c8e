/**
 * A full disk on the leader, through the storage fault hook: its write fails, it goes down and
 * tells clients so (503 `storage_unavailable`), the other two elect a leader and keep serving, and
 * once space is back the node reopens its storage, rejoins, and every acknowledged write is
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

describe("a full disk on the leader", () => {
  afterAll(async () => {
    await cluster.stop();
    faults.cleanup();
  }, STOP_TIMEOUT_MS);

  clusterIt(
    cluster,
    "the full node answers 503 storage_unavailable, the others serve, and it rejoins once space is back",
    async () => {
      const leader = await startAndBootstrap(cluster);
      expect(leader.output).toContain("storage fault TEST HOOK is ON");
      const acked: AckedWrites = new Map();
      await writeThroughEach(cluster.nodes, "before", 3, acked);
      const others = cluster.nodes.filter((n) => n !== leader);

      faults.set(leader, "full", true);
      // The first write after the disk filled fails on the leader; whatever it answers, it is no 200.
      const first = await httpJson("PUT", keyUrl(leader, "during/first"), { body: { value: "x" } });
      expect(first.status).toBe(503);
      expect(first.body.error.code).toBe("storage_unavailable");
      expect(first.body.error.definite).toBe(false); // It was in flight: the others may commit it.
      await waitFor(() => leader.output.includes("event=storage_failed") || undefined, {
        what: `${leader.id} to log storage_failed`,
      });
      const refused = await httpJson("PUT", keyUrl(leader, "during/refused"), { body: { value: "x" } });
      expect([refused.status, refused.body.error?.code, refused.body.error?.definite]).toEqual([
        503,
        "storage_unavailable",
        true,
      ]);
      expect(refused.body.error.message).toContain("no space left on device");
      const ready = await httpJson("GET", `${leader.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(JSON.stringify(ready.body.checks)).toContain("full");

      const next = await cluster.waitForLeader(others);
      expect(next).not.toBe(leader);
      await writeThroughEach(others, "during", 5, acked);

      faults.set(leader, "full", false);
      await waitFor(() => leader.output.includes("event=storage_reopened") || undefined, {
        what: `${leader.id} to reopen its storage`,
        timeoutMs: 30_000,
      });
      await cluster.waitForLeader(cluster.nodes);
      await writeThroughEach(cluster.nodes, "after", 2, acked);
      for (const node of cluster.nodes) await expectAllStaleAfterApply(cluster, node, acked);
      for (const node of cluster.nodes) await expectAllReadable(node, acked);
      const answer = await httpJson("GET", keyUrl(leader, "during/refused", "stale"));
      expect(answer.status).toBe(404); // Refused with definite: true, and never applied.
    },
  );
});
