/**
 * Our 3-node cluster as a {@link BenchSystem}: real node processes started the way the
 * multi-process tests start them (ids, --listen, --cluster-token, --data-dir, an admin token,
 * bootstrap through POST /v1/cluster), with the node's production timers and fsync on.
 */
import { join } from "node:path";
import { describeAnswer, httpJson } from "../../tests/helpers/http_json.ts";
import { type NodeRuntime, ProcessCluster } from "../../tests/helpers/process_cluster.ts";
import { ourSyncCounters } from "./sync_counters.ts";
import { type BenchSystem, jsonRequest } from "./system.ts";

/** The node's defaults (README: --election-timeout-ms 1000, --heartbeat-ms 100). */
const ELECTION_TIMEOUT_MS = 1000;
const HEARTBEAT_MS = 100;

/** Starts 3 nodes on `runtime` with their data under `dir`, bootstraps them and waits for a leader. */
export async function startOurSystem(runtime: NodeRuntime, dir: string): Promise<BenchSystem> {
  const cluster = new ProcessCluster({
    runtimes: [runtime, runtime, runtime],
    electionTimeoutMs: ELECTION_TIMEOUT_MS,
    heartbeatMs: HEARTBEAT_MS,
    logLevel: "warn",
    dataDirOf: (id) => join(dir, id),
  });
  try {
    await cluster.start();
    await cluster.bootstrap();
    await cluster.waitForLeader();
    await cluster.waitForMembers();
  } catch (error) {
    cluster.printLogs("the benchmark's cluster did not start");
    await cluster.stop();
    throw error;
  }
  const status = await cluster.nodes[0].status();
  const auth = `authorization: Bearer ${cluster.adminToken}\r\n`;
  const pids = cluster.nodes.map((n) => {
    if (n.pid === undefined) throw new Error(`${n.id} is not running`);
    return n.pid;
  });
  return {
    name: `ours-${runtime}`,
    ports: cluster.nodes.map((n) => n.port),
    pids,
    version: `${status.runtime.name} ${status.runtime.version}`,
    leaderIndex: async () => cluster.nodes.indexOf(await cluster.waitForLeader()),
    writeRequest: (key, value) => jsonRequest("PUT", `/v1/kv/${key}`, auth, JSON.stringify({ value })),
    readRequest: (key) => `GET /v1/kv/${key} HTTP/1.1\r\nhost: 127.0.0.1\r\n${auth}\r\n`,
    readValue: async (index, key) => {
      const answer = await httpJson("GET", `${cluster.nodes[index].url}/v1/kv/${key}`);
      if (answer.status === 404) return null;
      if (answer.status !== 200) throw new Error(`GET /v1/kv/${key}: ${describeAnswer(answer)}`);
      return String(answer.body.value);
    },
    syncCounters: async (index) => {
      const answer = await httpJson("GET", `${cluster.nodes[index].url}/metrics`);
      if (answer.status !== 200) throw new Error(`GET /metrics: ${describeAnswer(answer)}`);
      return ourSyncCounters(answer.text);
    },
    stop: async () => {
      if (cluster.nodes.some((n) => !n.running)) cluster.printLogs("a node exited during the benchmark");
      await cluster.stop();
    },
  };
}
