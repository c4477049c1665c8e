/**
 * Operating a cluster of node processes (Bun and Deno) started with `--log-format json`: every
 * line a node prints on stderr is one JSON object, the named events of elections, storage
 * recovery, snapshots and membership changes appear with their fields, no token is ever logged,
 * and `GET /metrics` parses strictly and reports batch sizes, peer traffic and snapshots.
 */
import { afterAll, describe, expect } from "bun:test";
import { type AckedWrites, writeThroughEach } from "../helpers/cluster_kv.ts";
import { describeAnswer, httpJson } from "../helpers/http_json.ts";
import { type ClusterNode, ProcessCluster } from "../helpers/process_cluster.ts";
import { type Exposition, parseExposition, sampleValue } from "../helpers/prometheus_text.ts";
import { waitFor } from "../helpers/wait_for.ts";
import { clusterIt, STOP_TIMEOUT_MS } from "./cluster_scenarios.ts";

/** Snapshot every this many applied entries: the writes below pass it, so n3 catches up by snapshot. */
const SNAPSHOT_EVERY = 20;
const WRITES = 30;

type LogLine = Record<string, unknown>;

/** Every stderr line of `node`, parsed; throws on the first line that is not a JSON object. */
function logLines(node: ClusterNode): LogLine[] {
  return node.errorOutput
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        throw new Error(`${node.id} printed a line that is not JSON: ${line}`);
      }
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new Error(`${node.id} printed a line that is not a JSON object: ${line}`);
      }
      return parsed as LogLine;
    });
}

function eventsOf(node: ClusterNode, event: string): LogLine[] {
  return logLines(node).filter((l) => l.event === event);
}

async function scrape(node: ClusterNode): Promise<Exposition> {
  const response = await fetch(`${node.url}/metrics`);
  expect(response.status).toBe(200);
  return parseExposition(await response.text());
}

/** Calls the API of `node`; throws with the answer unless it is a success (200 or 201). */
async function api(method: string, node: ClusterNode, path: string, body?: unknown): Promise<void> {
  const answer = await httpJson(method, `${node.url}${path}`, { body, timeoutMs: 20_000 });
  if (answer.status !== 200 && answer.status !== 201)
    throw new Error(`${method} ${path} on ${node.id}: ${describeAnswer(answer)}`);
}

describe("structured logs and metrics of Bun and Deno node processes", () => {
  const cluster = new ProcessCluster({
    runtimes: ["bun", "deno", "bun"],
    voters: 2,
    snapshotEvery: SNAPSHOT_EVERY,
    electionTimeoutMs: 1500, // Leadership stays put on a loaded machine: the membership events are the leader's.
    extraArgs: () => ["--log-format", "json"],
  });
  const acked: AckedWrites = new Map();
  afterAll(() => cluster.stop(), STOP_TIMEOUT_MS);

  clusterIt(cluster, "log named events as JSON lines and report batches, peers and snapshots", async () => {
    await cluster.start();
    await cluster.bootstrap();
    const [n1, n2, n3] = cluster.nodes;
    const leader = await cluster.waitForLeader([n1, n2]);
    const follower = leader === n1 ? n2 : n1;
    await writeThroughEach([leader], "obs", WRITES, acked);
    await api("POST", leader, "/v1/snapshot");
    await api("POST", leader, "/v1/cluster/members", { id: n3.id, url: n3.url });
    await waitFor(async () => (await n3.status()).members.find((m) => m.id === n3.id)?.role === "voter" || undefined, {
      what: "n3 to be promoted to voter",
      timeoutMs: 30_000,
    });
    await waitFor(() => cluster.nodes.some((n) => eventsOf(n, "member_promoted").length > 0) || undefined, {
      what: "the leader to log n3's promotion",
      timeoutMs: 10_000,
    });

    // Metrics of the leader, before it hands leadership over.
    const parsed = await scrape(leader);
    expect(parsed.types.get("raft_log_sync_entries")).toBe("histogram");
    expect(sampleValue(parsed, "raft_log_sync_entries_sum") ?? 0).toBeGreaterThanOrEqual(WRITES);
    expect(sampleValue(parsed, "raft_append_entries_sent_entries_sum") ?? 0).toBeGreaterThanOrEqual(WRITES);
    const toFollower = { peer: follower.id, kind: "append_entries_call" };
    expect(sampleValue(parsed, "raft_peer_messages_sent_total", toFollower) ?? 0).toBeGreaterThanOrEqual(1);
    const fromFollower = { peer: follower.id, kind: "append_entries_reply" };
    expect(sampleValue(parsed, "raft_peer_messages_received_total", fromFollower) ?? 0).toBeGreaterThanOrEqual(1);
    expect(sampleValue(parsed, "raft_snapshots_taken_total", { trigger: "auto" }) ?? 0).toBeGreaterThanOrEqual(1);
    expect(sampleValue(parsed, "raft_snapshots_taken_total", { trigger: "api" })).toBe(1);
    expect(sampleValue(parsed, "raft_snapshot_duration_seconds_count") ?? 0).toBeGreaterThanOrEqual(2);
    expect(sampleValue(parsed, "raft_snapshot_last_size_bytes") ?? 0).toBeGreaterThan(0);
    expect(sampleValue(parsed, "raft_peer_frames_rejected_total", { reason: "invalid_json" })).toBe(0);
    const snapshotPosts = { method: "POST", route: "/v1/snapshot", status: "200" };
    expect(sampleValue(parsed, "http_requests_total", snapshotPosts)).toBe(1);
    const peerLabels = new Set(parsed.samples.flatMap((s) => (s.labels.peer === undefined ? [] : [s.labels.peer])));
    for (const peer of peerLabels) expect(["n1", "n2", "n3", "(non-member)"]).toContain(peer);
    const installed = await scrape(n3);
    expect(
      sampleValue(installed, "raft_snapshot_installs_total", { outcome: "installed" }) ?? 0,
    ).toBeGreaterThanOrEqual(1);

    await api("POST", leader, "/v1/cluster/leader", { to: follower.id });
    await waitFor(() => eventsOf(leader, "leader_transfer").length > 0 || undefined, {
      what: "the old leader to log the transfer",
      timeoutMs: 10_000,
    });

    for (const node of cluster.nodes) {
      const lines = logLines(node); // Every stderr line is a JSON object.
      for (const line of lines) {
        expect(typeof line.time).toBe("string");
        expect(["debug", "info", "warn", "error"]).toContain(line.level as string);
        expect(line.node).toBe(node.id);
        expect(typeof line.message).toBe("string");
      }
      expect(node.errorOutput).not.toContain(cluster.token);
      expect(node.errorOutput).not.toContain(cluster.adminToken);
      const recovered = eventsOf(node, "storage_recovered");
      expect(recovered.length).toBe(1);
      expect(recovered[0]).toMatchObject({ isNew: true, entries: 0, lastIndex: 0, tornTail: false });
      expect(eventsOf(node, "node_started").length).toBe(1);
      expect(eventsOf(node, "role_changed").length).toBeGreaterThanOrEqual(1);
      expect(eventsOf(node, "config_committed").length).toBeGreaterThanOrEqual(1);
    }
    const all = cluster.nodes.flatMap((n) => logLines(n));
    expect(all.some((l) => l.event === "election_started")).toBe(true);
    expect(eventsOf(leader, "role_changed").some((l) => l.role === "leader" && l.leader === leader.id)).toBe(true);
    expect(eventsOf(leader, "snapshot_taken").map((l) => l.trigger)).toContain("api");
    const event = (name: string) => all.filter((l) => l.event === name);
    expect(event("member_added")[0]).toMatchObject({ id: n3.id, url: n3.url, learner: false });
    expect(event("member_promoted")[0]).toMatchObject({ id: n3.id, auto: true });
    expect(event("leader_transfer")[0]).toMatchObject({ target: follower.id, outcome: "moved" });
    expect(eventsOf(n3, "snapshot_installed").length).toBeGreaterThanOrEqual(1);
    const joint = eventsOf(n3, "config_committed").some((l) => l.joint === true);
    expect(joint).toBe(true); // The promotion went through joint consensus.
  });
});
