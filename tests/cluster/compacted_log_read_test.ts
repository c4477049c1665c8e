/**
 * Linearizable reads on a leader whose log is empty after a compaction (the snapshot covers the
 * last entry). Found by the multi-process suite: such a leader answers every linearizable read
 * with 504 until the next write arrives.
 */
import { afterAll, describe, expect } from "bun:test";
import { describeAnswer, httpJson } from "../helpers/http_json.ts";
import { type NodeStatusBody, ProcessCluster } from "../helpers/process_cluster.ts";
import { clusterIt, STOP_TIMEOUT_MS } from "./cluster_scenarios.ts";

describe("linearizable reads after a compaction that leaves the log empty", () => {
  const cluster = new ProcessCluster({ runtimes: ["bun"], snapshotEvery: 5, requestTimeoutMs: 2000 });
  afterAll(() => cluster.stop(), { timeout: STOP_TIMEOUT_MS });

  /** Writes keys one at a time until the leader's snapshot covers its last entry (at most 10 writes). */
  async function writeUntilCompactedToTheEnd(url: string): Promise<NodeStatusBody> {
    for (let i = 0; i < 10; i++) {
      const put = await httpJson("PUT", `${url}/v1/kv/k${i}`, { body: { value: `v${i}` } });
      if (put.status !== 200) throw new Error(`PUT k${i}: ${describeAnswer(put)}`);
      const status = await cluster.nodes[0].status();
      if (status.snapshotIndex === status.lastIndex && status.appliedIndex === status.lastIndex) return status;
    }
    throw new Error("no write left the log empty after a compaction");
  }

  clusterIt(cluster, "a leader whose snapshot covers its whole log serves linearizable reads", async () => {
    await cluster.start();
    const node = cluster.nodes[0];
    const boot = await httpJson("POST", `${node.url}/v1/cluster`, {
      body: { members: [{ id: node.id, url: node.url }] },
    });
    expect(boot.status).toBe(201);
    await cluster.waitForLeader();
    const status = await writeUntilCompactedToTheEnd(node.url);
    expect(status.role).toBe("leader");
    // The answer's status and body together, so a failure shows the error the node sent.
    const answerOf = async (path: string) => {
      const answer = await httpJson("GET", `${node.url}${path}`);
      return [answer.status, answer.text];
    };
    const value = expect.stringContaining('"value":"v0"');
    expect(await answerOf("/v1/kv/k0?consistency=stale")).toEqual([200, value]);
    expect(await answerOf("/v1/kv/k0")).toEqual([200, value]);
    expect(await answerOf("/v1/kv?prefix=k")).toEqual([200, expect.stringContaining('"key":"k0"')]);
  });
});
