/**
 * A stalled fdatasync on the leader, through the storage fault hook: its flush hangs off the event
 * loop, so the node keeps running; after an election timeout it steps down, its waiting clients
 * get `definite: false`, the others elect a leader and serve, and once the disk answers again the
 * stalled node carries on as a follower, catches up, and every acknowledged write is readable.
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
import { parseExposition, sampleValue } from "../helpers/prometheus_text.ts";
import { StorageFaultControl } from "../helpers/storage_fault_control.ts";
import { waitFor } from "../helpers/wait_for.ts";
import { clusterIt, STOP_TIMEOUT_MS, startAndBootstrap } from "./cluster_scenarios.ts";

const faults = new StorageFaultControl();
const cluster = new ProcessCluster({
  runtimes: ["bun", "bun", "bun"],
  env: (node) => faults.envOf(node),
  requestTimeoutMs: 30_000, // Longer than the stall: only the step-down answers the waiting writes.
});

describe("a stalled flush on the leader", () => {
  afterAll(async () => {
    await cluster.stop();
    faults.cleanup();
  }, STOP_TIMEOUT_MS);

  clusterIt(
    cluster,
    "the leader steps down, its waiting writes get definite: false, the others serve, and it rejoins once the disk answers",
    async () => {
      const leader = await startAndBootstrap(cluster);
      const acked: AckedWrites = new Map();
      await writeThroughEach(cluster.nodes, "before", 3, acked);
      const [stalledFollower, healthy] = cluster.nodes.filter((n) => n !== leader);

      // With a follower stalled too, the leader's writes cannot commit: they wait on the leader.
      faults.set(stalledFollower, "stallFlush", true);
      faults.set(leader, "stallFlush", true);
      const keys = ["during/0", "during/1", "during/2"];
      const waiting = keys.map((key) =>
        httpJson("PUT", keyUrl(leader, key), { body: { value: `v:${key}` }, timeoutMs: 60_000 }),
      );
      await waitFor(() => leader.lastStartOutput.includes("event=storage_stalled") || undefined, {
        what: `${leader.id} to step down on its stalled flush`,
        timeoutMs: 30_000,
      });
      expect(leader.lastStartOutput).toContain("fdatasync stalls while");
      for (const answer of await Promise.all(waiting)) {
        expect([answer.status, answer.body.error?.code, answer.body.error?.definite]).toEqual([
          503,
          "storage_unavailable",
          false,
        ]);
        expect(answer.body.error.message).toContain("flush stalled");
      }
      // The stalled leader still answers (its event loop turns), as a follower now.
      const status = await leader.status();
      expect(status.role).toBe("follower");
      const metrics = parseExposition(await (await fetch(`${leader.url}/metrics`)).text());
      expect(sampleValue(metrics, "raft_stalled_flush_stepdowns_total", {})).toBeGreaterThanOrEqual(1);

      // The follower's disk answers again: it and the healthy node elect a leader without the stalled one.
      faults.set(stalledFollower, "stallFlush", false);
      const next = await cluster.waitForLeader([stalledFollower, healthy]);
      expect(next).not.toBe(leader);
      await writeThroughEach([stalledFollower, healthy], "after-step-down", 5, acked);

      faults.set(leader, "stallFlush", false);
      await cluster.waitForLeader(cluster.nodes);
      await writeThroughEach(cluster.nodes, "after", 2, acked);
      for (const node of cluster.nodes) await expectAllStaleAfterApply(cluster, node, acked);
      for (const node of cluster.nodes) await expectAllReadable(node, acked);
      // The writes answered definite: false may or may not have committed; every node agrees which.
      for (const key of keys) {
        const answers = await Promise.all(cluster.nodes.map((n) => httpJson("GET", keyUrl(n, key))));
        const seen = answers.map((a) => (a.status === 200 ? a.body.value : a.status));
        expect(seen.every((v) => v === `v:${key}` || v === 404)).toBe(true);
        expect(new Set(seen).size).toBe(1);
      }
    },
  );
});
