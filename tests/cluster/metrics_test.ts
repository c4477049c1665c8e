/**
 * `GET /metrics` on three Bun node processes: the exposition parses strictly, and it reports what
 * happened — the leader's role and term, its followers' match indexes, the writes it applied, and
 * the API requests by route and status.
 */
import { afterAll, describe, expect } from "bun:test";
import { type AckedWrites, highestIndex, writeThroughEach } from "../helpers/cluster_kv.ts";
import { bearerHeaders } from "../helpers/http_json.ts";
import { ProcessCluster } from "../helpers/process_cluster.ts";
import { parseExposition, sampleValue } from "../helpers/prometheus_text.ts";
import { waitFor } from "../helpers/wait_for.ts";
import { clusterIt, STOP_TIMEOUT_MS, startAndBootstrap } from "./cluster_scenarios.ts";

describe("GET /metrics on three Bun node processes", () => {
  const cluster = new ProcessCluster({ runtimes: ["bun", "bun", "bun"] });
  const acked: AckedWrites = new Map();
  afterAll(() => cluster.stop(), { timeout: STOP_TIMEOUT_MS });

  clusterIt(cluster, "reports the Raft state, follower progress, applied writes and API requests", async () => {
    const leader = await startAndBootstrap(cluster);
    await writeThroughEach([leader], "metrics", 5, acked);
    const missing = await fetch(`${leader.url}/v1/kv/never-written`, { headers: bearerHeaders(leader.url) });
    expect(missing.status).toBe(404);
    const status = await leader.status();
    const scrape = async () => {
      const response = await fetch(`${leader.url}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toContain("text/plain; version=0.0.4");
      return parseExposition(await response.text());
    };
    // The followers acknowledge the last write soon after it committed.
    const parsed = await waitFor(
      async () => {
        const p = await scrape();
        const matches = p.samples.filter((s) => s.name === "raft_follower_match_index").map((s) => s.value);
        return matches.length === 2 && matches.every((m) => m >= highestIndex(acked)) ? p : undefined;
      },
      { what: "both followers' match index to reach the last write", timeoutMs: 20_000 },
    );
    expect(parsed.types.get("raft_term")).toBe("gauge");
    expect(sampleValue(parsed, "raft_term")).toBe(status.term);
    expect(sampleValue(parsed, "raft_role", { role: "leader" })).toBe(1);
    expect(sampleValue(parsed, "raft_role", { role: "follower" })).toBe(0);
    expect(sampleValue(parsed, "raft_members", { role: "voter" })).toBe(3);
    expect(sampleValue(parsed, "raft_commit_index")).toBeGreaterThanOrEqual(highestIndex(acked));
    expect(sampleValue(parsed, "raft_client_writes_total", { outcome: "applied" })).toBe(5);
    const puts = { method: "PUT", route: "/v1/kv/:key", status: "200" };
    expect(sampleValue(parsed, "http_requests_total", puts)).toBe(5);
    expect(sampleValue(parsed, "http_requests_total", { method: "GET", route: "/v1/kv/:key", status: "404" })).toBe(1);
    expect(sampleValue(parsed, "http_request_duration_seconds_count", { method: "PUT", route: "/v1/kv/:key" })).toBe(5);
    expect(parsed.types.get("raft_log_sync_duration_seconds")).toBe("histogram");
    expect(sampleValue(parsed, "raft_log_sync_duration_seconds_count")).toBeGreaterThanOrEqual(1); // Writes were synced.
    const follower = cluster.nodes.find((n) => n !== leader);
    const followerMetrics = parseExposition(await (await fetch(`${follower?.url}/metrics`)).text());
    expect(sampleValue(followerMetrics, "raft_role", { role: "follower" })).toBe(1);
    expect(followerMetrics.samples.some((s) => s.name === "raft_follower_match_index")).toBe(false);
  });
});
