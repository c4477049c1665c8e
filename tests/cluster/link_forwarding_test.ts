/**
 * Forwarding over the peer link, against node processes: a follower hands key-value writes to the
 * leader in a frame and serves linearizable reads after a read index from the leader. Answers
 * through a follower are those of the leader; a follower read sees every write acknowledged before
 * it; a leader killed with forwarded writes in flight leaves them `definite: false`, and retrying
 * them with their idempotency keys applies each exactly once.
 */
import { afterAll, describe, expect } from "bun:test";
import { keyUrl } from "../helpers/cluster_kv.ts";
import { describeAnswer, httpJson, type JsonAnswer } from "../helpers/http_json.ts";
import { type ClusterNode, ProcessCluster } from "../helpers/process_cluster.ts";
import { parseExposition, sampleValue } from "../helpers/prometheus_text.ts";
import { waitFor } from "../helpers/wait_for.ts";
import { clusterIt, STOP_TIMEOUT_MS, startAndBootstrap } from "./cluster_scenarios.ts";

/** PUT `key` through `node`, with idempotency key `ik` when given. */
function put(node: ClusterNode, key: string, body: unknown, ik?: string, timeoutMs = 15_000): Promise<JsonAnswer> {
  const headers: Record<string, string> = ik === undefined ? {} : { "idempotency-key": `"${ik}"` };
  return httpJson("PUT", keyUrl(node, key), { body, headers, timeoutMs });
}

/** A counter of `node`'s metrics (0 when absent). */
async function counter(node: ClusterNode, name: string, labels: Record<string, string>): Promise<number> {
  const response = await fetch(`${node.url}/metrics`);
  return sampleValue(parseExposition(await response.text()), name, labels) ?? 0;
}

/** The answer's status, body and the headers a client acts on. */
function shapeOf(answer: JsonAnswer): unknown {
  const h = answer.headers;
  return {
    status: answer.status,
    body: answer.body,
    replayed: h.get("idempotent-replayed"),
    servedBy: h.get("x-raft-served-by"),
  };
}

/** Waits until every follower's link to the leader is open (a forwarded write then goes over it). */
async function waitForLinks(cluster: ProcessCluster, leader: ClusterNode): Promise<void> {
  for (const node of cluster.running.filter((n) => n.id !== leader.id)) {
    await waitFor(
      async () => {
        const answer = await put(node, `probe/${node.id}`, { value: "p" });
        if (answer.status !== 200) return undefined;
        const viaLink = await counter(node, "raft_link_forwards_total", { kind: "proposal", outcome: "answered" });
        return viaLink > 0 ? true : undefined;
      },
      { timeoutMs: 20_000, what: `${node.id} to forward a write over its link to ${leader.id}` },
    );
  }
}

describe("forwarding over the peer link on a 3-node cluster", () => {
  const cluster = new ProcessCluster({ runtimes: ["bun", "bun", "bun"] });
  afterAll(() => cluster.stop(), STOP_TIMEOUT_MS);

  clusterIt(cluster, "writes and reads through a follower answer as through the leader", async () => {
    const leader = await startAndBootstrap(cluster);
    await waitForLinks(cluster, leader);
    const follower = cluster.nodes.find((n) => n.id !== leader.id) as ClusterNode;

    const first = await put(follower, "same", { value: "v1" }, "same-1");
    expect(shapeOf(first)).toEqual({
      status: 200,
      body: { key: "same", revision: first.body.index, index: first.body.index, prev: null },
      replayed: null,
      servedBy: leader.id,
    });
    // A repeat through either node is the same answer, marked as a replay.
    const again = [
      await put(leader, "same", { value: "v1" }, "same-1"),
      await put(follower, "same", { value: "v1" }, "same-1"),
    ];
    for (const answer of again) expect(shapeOf(answer)).toEqual({ ...(shapeOf(first) as object), replayed: "true" });

    // A failed compare-and-set and a reused key: the same status and body through either node.
    for (const [body, ik] of [
      [{ value: "v2", expectRevision: 0 }, undefined],
      [{ value: "v3" }, "same-1"],
    ] as const) {
      const viaLeader = await put(leader, "same", body, ik);
      const viaFollower = await put(follower, "same", body, ik);
      expect(viaLeader.status === 409 || viaLeader.status === 422).toBe(true);
      expect(viaLeader.body.error.definite).toBe(true);
      // A failed compare-and-set is a command of its own: only its log index differs.
      const comparable = (answer: JsonAnswer) => {
        const shape = structuredClone(shapeOf(answer)) as { body: { error: { details: { index?: number } } } };
        if (ik === undefined) shape.body.error.details.index = 0;
        return shape;
      };
      expect(comparable(viaFollower)).toEqual(comparable(viaLeader));
      expect(viaFollower.body.error.code).toBe(viaLeader.body.error.code);
    }

    // Reads: the same entry, and the same 404 for a missing key.
    const read = (node: ClusterNode, key: string) => httpJson("GET", keyUrl(node, key));
    const [fromLeader, fromFollower] = [await read(leader, "same"), await read(follower, "same")];
    expect(fromFollower.status).toBe(200);
    expect({ ...fromFollower.body, index: 0 }).toEqual({ ...fromLeader.body, index: 0 });
    expect(fromFollower.body.index).toBeGreaterThanOrEqual(first.body.index);
    expect(fromFollower.headers.get("x-raft-served-by")).toBe(leader.id);
    const missing = await read(follower, "absent");
    expect({ status: missing.status, code: missing.body.error?.code }).toEqual({ status: 404, code: "not_found" });

    // A delete through the follower, then its replay.
    const del = () => httpJson("DELETE", keyUrl(follower, "same"), { headers: { "idempotency-key": "del-same" } });
    const deleted = await del();
    expect({ status: deleted.status, deleted: deleted.body.deleted }).toEqual({ status: 200, deleted: true });
    expect(shapeOf(await del())).toEqual({ ...(shapeOf(deleted) as object), replayed: "true" });

    // What the link does not carry is still the leader's answer over HTTP (its view of the members).
    const members = await httpJson("GET", `${follower.url}/v1/cluster/members`);
    expect({ status: members.status, servedBy: members.headers.get("x-raft-served-by") }).toEqual({
      status: 200,
      servedBy: leader.id,
    });

    // The answers above came over the link, not as forwarded HTTP requests.
    expect(
      await counter(follower, "raft_link_forwards_total", { kind: "read_index", outcome: "answered" }),
    ).toBeGreaterThan(0);
    expect(await counter(leader, "raft_link_forwards_served_total", { kind: "proposal" })).toBeGreaterThan(0);
    expect(await counter(leader, "raft_link_forwards_served_total", { kind: "read_index" })).toBeGreaterThan(0);
  });

  clusterIt(cluster, "a follower read sees every write acknowledged before it through another node", async () => {
    const leader = await cluster.waitForLeader();
    await waitForLinks(cluster, leader);
    const [a, b] = cluster.nodes.filter((n) => n.id !== leader.id);
    const writers = [leader, a, b];
    for (let i = 0; i < 60; i++) {
      const writer = writers[i % 3];
      const reader = writer === a ? b : a;
      const key = `lin/${i % 7}`;
      const value = `w${i}`;
      const written = await put(writer, key, { value });
      expect(written.status).toBe(200);
      // Several reads at once through the follower: they share read-index requests, and each sees the write.
      const reads = await Promise.all(Array.from({ length: 8 }, () => httpJson("GET", keyUrl(reader, key))));
      for (const answer of reads) {
        expect({ i, status: answer.status, value: answer.body.value }).toEqual({ i, status: 200, value });
        expect(answer.body.revision).toBeGreaterThanOrEqual(written.body.index);
      }
    }
  });

  clusterIt(
    cluster,
    "a leader killed with forwarded writes in flight leaves them definite: false; retries apply once",
    async () => {
      const leader = await cluster.waitForLeader();
      await waitForLinks(cluster, leader);
      const follower = cluster.nodes.find((n) => n.id !== leader.id) as ClusterNode;
      // Paused, the leader takes the frames into its socket buffer but answers none of them.
      leader.pause();
      const keys = Array.from({ length: 12 }, (_, i) => `inflight/${i}`);
      const answers = keys.map((key) => put(follower, key, { value: key }, `ik-${key}`, 30_000));
      // Each write waits for the leader's answer: handed to the link (in the turn it arrived in).
      await waitFor(
        async () => ((await counter(follower, "raft_link_forwards_waiting", {})) >= keys.length ? true : undefined),
        { timeoutMs: 20_000, what: "the follower to hand every write to its link" },
      );
      await cluster.kill(leader);
      const settled = await Promise.all(answers);
      for (const [i, answer] of settled.entries()) {
        const failed = answer.status !== 200;
        // Handed to the link before the kill: the outcome is unknown, never promised either way.
        if (failed) {
          const seen = { key: keys[i], definite: answer.body.error?.definite, answer: describeAnswer(answer) };
          expect(seen).toEqual({ ...seen, definite: false });
        }
      }
      const unknown = settled.filter((a) => a.status !== 200);
      expect(unknown.length).toBeGreaterThan(0);
      expect(unknown.some((a) => a.body.error?.code === "leader_unreachable")).toBe(true);

      // Retried with the same keys through the follower: each applies exactly once.
      const newLeader = await cluster.waitForLeader(cluster.running);
      await waitForLinks(cluster, newLeader);
      for (const key of keys) {
        const retried = await waitFor(
          async () => {
            const answer = await put(follower, key, { value: key }, `ik-${key}`);
            return answer.status === 200 ? answer : undefined;
          },
          { timeoutMs: 20_000, what: `a retry of ${key}` },
        );
        const again = await put(follower, key, { value: key }, `ik-${key}`);
        expect(shapeOf(again)).toEqual({ ...(shapeOf(retried) as object), replayed: "true" });
        const read = await httpJson("GET", keyUrl(follower, key));
        expect({ key, status: read.status, value: read.body.value, version: read.body.version }).toEqual({
          key,
          status: 200,
          value: key,
          version: 1,
        });
      }
    },
  );
});
