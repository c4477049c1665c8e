/**
 * A 3-member etcd cluster as a {@link BenchSystem}: etcd processes (Debian's etcd-server) on free
 * loopback ports with their defaults (heartbeat 100 ms, election 1000 ms, WAL fsync on), driven
 * through etcd's HTTP/JSON gateway: POST /v3/kv/put and /v3/kv/range with base64 keys and values
 * (a range is linearizable unless it asks to be serializable).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { describeAnswer, httpJson } from "../../tests/helpers/http_json.ts";
import { freePorts } from "../../tests/helpers/process_cluster.ts";
import { signalPid, stopPids } from "../../tests/helpers/process_tree.ts";
import { waitFor } from "../../tests/helpers/wait_for.ts";
import { etcdSyncCounters } from "./sync_counters.ts";
import { type BenchSystem, jsonRequest } from "./system.ts";

/** How to get etcd where it is missing. */
export const ETCD_INSTALL_HINT = "install etcd with: apt-get update && apt-get install -y etcd-server (Debian)";
/** Most stderr kept per member, for the message when one fails. */
const MAX_STDERR_CHARS = 20_000;

/** etcd's version line (`etcd Version: 3.4.23`), or undefined when `bin` does not run. */
export function etcdVersion(bin: string): string | undefined {
  const answer = spawnSync(bin, ["--version"], { encoding: "utf8" });
  if (answer.status !== 0) return undefined;
  return /etcd Version: (\S+)/.exec(answer.stdout ?? "")?.[1];
}

const b64 = (text: string) => Buffer.from(text).toString("base64");

/** The command line of member `i` of the cluster. */
function memberArgs(i: number, dir: string, clientPorts: number[], peerPorts: number[], token: string): string[] {
  const initial = peerPorts.map((p, j) => `e${j + 1}=http://127.0.0.1:${p}`).join(",");
  const client = `http://127.0.0.1:${clientPorts[i]}`;
  const peer = `http://127.0.0.1:${peerPorts[i]}`;
  return [
    ...["--name", `e${i + 1}`, "--data-dir", join(dir, `e${i + 1}`)],
    ...["--listen-client-urls", client, "--advertise-client-urls", client],
    ...["--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer],
    ...["--initial-cluster", initial, "--initial-cluster-state", "new", "--initial-cluster-token", token],
    ...["--logger", "zap", "--log-outputs", "stderr", "--log-level", "warn"],
  ];
}

/** Spawns member `i`, keeping the end of its stderr in `stderr[i]`. */
function spawnMember(bin: string, args: string[], stderr: string[], i: number): ChildProcess {
  const child = spawn(bin, args, { stdio: ["ignore", "ignore", "pipe"] });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr[i] = (stderr[i] + String(chunk)).slice(-MAX_STDERR_CHARS);
  });
  return child;
}

/** Starts 3 etcd members with their data under `dir` and waits until they agree on a leader. */
export async function startEtcdSystem(bin: string, dir: string): Promise<BenchSystem> {
  const version = etcdVersion(bin);
  if (version === undefined) throw new Error(`etcd does not run as ${bin}: ${ETCD_INSTALL_HINT}`);
  const [clientPorts, peerPorts] = [await freePorts(3), await freePorts(3)];
  const token = randomBytes(9).toString("base64url");
  const stderr = ["", "", ""];
  const children = [0, 1, 2].map((i) => spawnMember(bin, memberArgs(i, dir, clientPorts, peerPorts, token), stderr, i));
  const pids = children.map((c) => c.pid ?? 0);
  const killAll = () => {
    for (const pid of pids) if (pid > 0) signalPid(pid, "SIGKILL");
  };
  process.once("exit", killAll);
  const urls = clientPorts.map((p) => `http://127.0.0.1:${p}`);
  const stop = async () => {
    await stopPids(pids.filter((pid) => pid > 0));
    process.off("exit", killAll);
    for (let i = 0; i < 3; i++) rmSync(join(dir, `e${i + 1}`), { recursive: true, force: true });
  };
  const system: BenchSystem = {
    name: "etcd",
    ports: clientPorts,
    pids,
    version: `etcd ${version}`,
    leaderIndex: () => leaderOf(urls),
    writeRequest: (key, value) =>
      jsonRequest("POST", "/v3/kv/put", "", JSON.stringify({ key: b64(key), value: b64(value) })),
    readRequest: (key) => jsonRequest("POST", "/v3/kv/range", "", JSON.stringify({ key: b64(key) })),
    readValue: async (index, key) => {
      const answer = await httpJson("POST", `${urls[index]}/v3/kv/range`, { body: { key: b64(key) } });
      if (answer.status !== 200) throw new Error(`etcd range ${key}: ${describeAnswer(answer)}`);
      const kv = answer.body.kvs?.[0];
      return kv === undefined ? null : Buffer.from(String(kv.value), "base64").toString();
    },
    syncCounters: async (index) => {
      const answer = await httpJson("GET", `${urls[index]}/metrics`);
      if (answer.status !== 200) throw new Error(`etcd /metrics: ${describeAnswer(answer)}`);
      return etcdSyncCounters(answer.text);
    },
    stop,
  };
  try {
    if (pids.includes(0)) throw new Error("an etcd member did not start");
    await leaderOf(urls);
  } catch (error) {
    console.error(stderr.map((s, i) => `----- e${i + 1} stderr -----\n${s}`).join("\n"));
    await stop();
    throw error;
  }
  return system;
}

/** The index of the member every member names as leader (waits, bounded, until they agree). */
async function leaderOf(urls: readonly string[]): Promise<number> {
  return await waitFor(
    async () => {
      const statuses = await Promise.all(
        urls.map(async (url) => {
          const answer = await httpJson("POST", `${url}/v3/maintenance/status`, { body: {}, timeoutMs: 3000 });
          if (answer.status !== 200) return undefined;
          return { id: String(answer.body.header?.member_id), leader: String(answer.body.leader) };
        }),
      );
      if (statuses.some((s) => s === undefined || s.leader === "undefined" || s.leader === "0")) return undefined;
      const leader = statuses[0]?.leader;
      if (statuses.some((s) => s?.leader !== leader)) return undefined;
      const index = statuses.findIndex((s) => s?.id === leader);
      return index >= 0 ? index : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100, what: "the etcd members to agree on a leader" },
  );
}
