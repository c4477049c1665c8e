/**
 * The node the HTTP fuzz tests attack: n1 served in the test process as a node process serves it,
 * with an admin and a read-only token, the leader of its own one-node cluster, holding a few keys.
 * It reads the node's fingerprint (what no refused request may change) and its request counters.
 */
import { NodeId } from "../../packages/core/src/mod.ts";
import { parseExposition } from "../helpers/prometheus_text.ts";
import { rawHttp } from "../helpers/raw_http.ts";
import { type ServedNodeApp, serveNodeApp } from "../helpers/served_node.ts";
import { waitFor } from "../helpers/wait_for.ts";
import type { FuzzTokens } from "./hostile_http_arbs.ts";

/** The tokens of the fuzzed node. */
export const FUZZ_TOKENS: FuzzTokens = { admin: "fuzz-admin-token-0123", read: "fuzz-read-token-4567" };

/** Keys the node holds before the attack (encoded as in a URL). */
const SEED_KEYS = ["k", "a%2Fb", "%25FF", "%C3%BF"];

/** The fuzzed node. */
export interface FuzzNode {
  readonly served: ServedNodeApp;
  /** What no refused request may change: term, role, log and commit positions, members and every key. */
  fingerprint(): Promise<string>;
  /** The node answers `GET /livez` with 200 and its Raft loop runs. */
  isLive(): Promise<boolean>;
  /** Requests answered with a 4xx, and token refusals, as `/metrics` counts them. */
  counters(): Promise<{ answered4xx: number; authFailures: number }>;
}

async function getJson(port: number, path: string) {
  const answer = await rawHttp(port, {
    method: "GET",
    path,
    headers: { authorization: `Bearer ${FUZZ_TOKENS.admin}` },
  });
  if (answer.status !== 200) throw new Error(`GET ${path} answered ${answer.status}: ${answer.text.slice(0, 200)}`);
  return answer;
}

/** Serves, bootstraps and fills the node. */
export async function startFuzzNode(): Promise<FuzzNode> {
  const flags = ["--log-level", "error", "--admin-token", FUZZ_TOKENS.admin, "--read-token", FUZZ_TOKENS.read];
  const served = await serveNodeApp("fuzz-cluster-token", flags);
  if (!served.node.runtime.bootstrap([{ id: NodeId.of("n1"), url: served.url }]))
    throw new Error("n1 did not bootstrap");
  await waitFor(() => served.node.runtime.node.role === "leader", { timeoutMs: 20_000, what: "n1 to lead" });
  for (const key of SEED_KEYS) {
    const body = JSON.stringify({ value: `value of ${key}` });
    const headers = {
      authorization: `Bearer ${FUZZ_TOKENS.admin}`,
      "content-type": "application/json",
      "content-length": String(body.length),
    };
    const answer = await rawHttp(served.port, { method: "PUT", path: `/v1/kv/${key}`, headers, body });
    if (answer.status !== 200) throw new Error(`PUT /v1/kv/${key} answered ${answer.status}: ${answer.text}`);
  }
  return {
    served,
    fingerprint: async () => {
      const status = (await getJson(served.port, "/v1/status")).body;
      const keys = (await getJson(served.port, "/v1/kv?limit=1000&consistency=stale")).body;
      const { id, role, term, leader, commitIndex, appliedIndex, lastIndex, snapshotIndex, members } = status;
      return JSON.stringify({
        id,
        role,
        term,
        leader,
        commitIndex,
        appliedIndex,
        lastIndex,
        snapshotIndex,
        members,
        keys,
      });
    },
    isLive: async () => {
      const answer = await rawHttp(served.port, { method: "GET", path: "/livez" });
      return answer.status === 200 && !served.node.runtime.stopped;
    },
    counters: async () => {
      const { samples } = parseExposition((await getJson(served.port, "/metrics")).text);
      let answered4xx = 0;
      let authFailures = 0;
      for (const s of samples) {
        if (s.name === "http_requests_total" && s.labels.status?.startsWith("4")) answered4xx += s.value;
        if (s.name === "http_auth_failures_total") authFailures += s.value;
      }
      return { answered4xx, authFailures };
    },
  };
}
