/**
 * `--join` on Bun node processes: a node started empty with `--join <member URL>` after the
 * cluster compacted its log is added, catches up by snapshot, and is promoted to voter; started
 * again with the same flag it stays the member it is, and nothing changes.
 */
import { afterAll, describe, expect } from "bun:test";
import { type AckedWrites, expectValue, putKey } from "../helpers/cluster_kv.ts";
import { httpJson } from "../helpers/http_json.ts";
import { ProcessCluster } from "../helpers/process_cluster.ts";
import { waitFor } from "../helpers/wait_for.ts";
import { clusterIt, STOP_TIMEOUT_MS } from "./cluster_scenarios.ts";

const WAIT_MS = 30_000;

describe("--join on four Bun node processes", () => {
  const cluster = new ProcessCluster({ runtimes: ["bun", "bun", "bun", "bun"], voters: 3, snapshotEvery: 20 });
  const acked: AckedWrites = new Map();
  afterAll(() => cluster.stop(), { timeout: STOP_TIMEOUT_MS });

  clusterIt(
    cluster,
    "a node started with --join is added, catches up by snapshot, and a restart changes nothing",
    async () => {
      await cluster.start();
      const [n1, n2, n3, n4] = cluster.nodes;
      await cluster.kill(n4); // Started empty; it joins later.
      await cluster.bootstrap();
      const leader = await cluster.waitForLeader([n1, n2, n3]);
      for (let i = 0; i < 60; i++) await putKey(leader, `before-join/${i}`, `v${i}`, acked);
      await waitFor(async () => ((await leader.status()).snapshotIndex > 0 ? true : undefined), {
        what: "the leader to compact its log",
        timeoutMs: WAIT_MS,
      });

      await cluster.restart(n4, ["--join", n2.url]); // Through a follower: the request is forwarded.
      const roles = async () => {
        const answer = await httpJson("GET", `${n1.url}/v1/cluster/members`);
        return Object.fromEntries(
          (answer.body.members as Array<{ id: string; role: string }>).map((m) => [m.id, m.role]),
        );
      };
      await waitFor(async () => ((await roles()).n4 === "voter" ? true : undefined), {
        what: "n4 to join and be promoted",
        timeoutMs: WAIT_MS,
      });
      const status = await n4.status();
      expect(status.snapshotIndex).toBeGreaterThan(0); // It caught up through a snapshot.
      for (const [key, write] of acked) await expectValue(n4, key, write.value);

      await cluster.kill(n4);
      await cluster.restart(n4, ["--join", n2.url]);
      await putKey(leader, "after-restart", "x", acked);
      await cluster.waitForApplied(n4, acked.get("after-restart")?.index ?? 0);
      expect(await roles()).toEqual({ n1: "voter", n2: "voter", n3: "voter", n4: "voter" });
      expect(n4.lastStartOutput).not.toContain("joined the cluster through"); // A member already: it asked nothing.
    },
  );
});
