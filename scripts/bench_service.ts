/**
 * Service benchmark: a local 3-node cluster of real node processes on loopback, driven over HTTP
 * from this process. Measures (a) sequential puts by one client (latency percentiles and puts/s)
 * and (b) puts with N requests in flight (puts/s), then linearizable reads the same two ways.
 * With `--etcd`, starts a 3-member etcd cluster (etcd from the system packages) on loopback and
 * measures it the same way in the same run, through its HTTP/JSON gateway, and prints ratios.
 *
 * Usage: bun scripts/bench_service.ts [--requests 3000] [--concurrency 64] [--runtime bun|deno] [--etcd]
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

interface Target {
  readonly name: string;
  /** Sends one put of `value` under `key`; resolves when acknowledged. */
  put(key: string, value: string): Promise<void>;
  /** Reads one key linearizably. */
  get(key: string): Promise<void>;
  stop(): Promise<void>;
}

interface Figures {
  perSecond: number;
  p50: number;
  p99: number;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function stopAll(children: ChildProcess[]): Promise<void> {
  return Promise.all(
    children.map(
      (child) =>
        new Promise<void>((done) => {
          if (child.exitCode !== null) return done();
          child.once("exit", () => done());
          child.kill("SIGTERM");
          setTimeout(() => child.kill("SIGKILL"), 5000).unref();
        }),
    ),
  ).then(() => undefined);
}

async function startRaftbare(runtime: string, dir: string): Promise<Target> {
  const ports = [await freePort(), await freePort(), await freePort()];
  const urls = ports.map((p) => `http://127.0.0.1:${p}`);
  const command =
    runtime === "deno"
      ? [resolve("node_modules/deno/deno"), "run", "--allow-all", "src/main.ts"]
      : [resolve("node_modules/.bin/bun"), "src/main.ts"];
  const children = ports.map((port, i) =>
    spawn(command[0], [...command.slice(1), "--id", `n${i + 1}`, "--listen", `127.0.0.1:${port}`], {
      env: { ...process.env, RAFT_CLUSTER_TOKEN: "bench-token-123", RAFT_DATA_DIR: join(dir, `n${i + 1}`) },
      stdio: ["ignore", "ignore", "inherit"],
    }),
  );
  for (const url of urls) await waitUntil(`${url}/livez`, async () => (await fetch(`${url}/livez`)).ok, 20_000);
  const members = urls.map((url, i) => ({ id: `n${i + 1}`, url }));
  const boot = await fetch(`${urls[0]}/v1/cluster`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ members }),
  });
  if (boot.status !== 201) throw new Error(`bootstrap failed: ${boot.status} ${await boot.text()}`);
  let leader = "";
  await waitUntil(
    "a leader",
    async () => {
      const status = (await (await fetch(`${urls[0]}/v1/status`)).json()) as { leader: { url: string } | null };
      leader = status.leader?.url ?? "";
      return leader !== "";
    },
    20_000,
  );
  return {
    name: `raftbare-ts (${runtime})`,
    put: async (key, value) => {
      const res = await fetch(`${leader}/v1/kv/${encodeURIComponent(key)}`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ value }),
      });
      if (res.status !== 200) throw new Error(`put answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    },
    get: async (key) => {
      const res = await fetch(`${leader}/v1/kv/${encodeURIComponent(key)}`);
      if (res.status !== 200) throw new Error(`get answered ${res.status}`);
      await res.arrayBuffer();
    },
    stop: () => stopAll(children),
  };
}

async function startEtcd(dir: string): Promise<Target> {
  if (spawnSync("etcd", ["--version"]).status !== 0)
    throw new Error("etcd is not installed (apt-get install etcd-server)");
  const clientPorts = [await freePort(), await freePort(), await freePort()];
  const peerPorts = [await freePort(), await freePort(), await freePort()];
  const initial = peerPorts.map((p, i) => `e${i}=http://127.0.0.1:${p}`).join(",");
  const children = clientPorts.map((port, i) =>
    spawn(
      "etcd",
      [
        "--name",
        `e${i}`,
        "--data-dir",
        join(dir, `e${i}`),
        "--listen-client-urls",
        `http://127.0.0.1:${port}`,
        "--advertise-client-urls",
        `http://127.0.0.1:${port}`,
        "--listen-peer-urls",
        `http://127.0.0.1:${peerPorts[i]}`,
        "--initial-advertise-peer-urls",
        `http://127.0.0.1:${peerPorts[i]}`,
        "--initial-cluster",
        initial,
        "--initial-cluster-state",
        "new",
        "--log-level",
        "error",
      ],
      { stdio: ["ignore", "ignore", "ignore"] },
    ),
  );
  const base = `http://127.0.0.1:${clientPorts[0]}`;
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, { method: "POST", body: JSON.stringify(body) });
    if (res.status !== 200) throw new Error(`etcd ${path} answered ${res.status}`);
    await res.arrayBuffer();
  };
  await waitUntil(
    "etcd",
    async () => {
      await post("/v3/kv/put", { key: b64("probe"), value: b64("1") });
      return true;
    },
    30_000,
  );
  return {
    name: "etcd (HTTP gateway)",
    put: (key, value) => post("/v3/kv/put", { key: b64(key), value: b64(value) }),
    get: (key) => post("/v3/kv/range", { key: b64(key) }),
    stop: () => stopAll(children),
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

async function measure(requests: number, concurrency: number, op: (i: number) => Promise<void>): Promise<Figures> {
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  const worker = async () => {
    for (let i = next++; i < requests; i = next++) {
      const t0 = performance.now();
      await op(i);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return { perSecond: requests / seconds, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
}

function line(label: string, f: Figures): string {
  return `${label.padEnd(34)} ${Math.round(f.perSecond).toLocaleString("en-US").padStart(8)}/s  p50 ${f.p50.toFixed(2)} ms  p99 ${f.p99.toFixed(2)} ms`;
}

async function run(target: Target, requests: number, concurrency: number): Promise<Record<string, Figures>> {
  const value = "v".repeat(100);
  const warm = Math.min(500, requests);
  await measure(warm, 8, (i) => target.put(`warm-${i}`, value));
  const out: Record<string, Figures> = {};
  out.put1 = await measure(requests, 1, (i) => target.put(`seq-${i}`, value));
  out.putN = await measure(requests * 3, concurrency, (i) => target.put(`par-${i}`, value));
  out.get1 = await measure(requests, 1, (i) => target.get(`seq-${i % requests}`));
  out.getN = await measure(requests * 3, concurrency, (i) => target.get(`par-${i % requests}`));
  console.log(`\n${target.name}`);
  console.log(line("  put, 1 client", out.put1));
  console.log(line(`  put, ${concurrency} in flight`, out.putN));
  console.log(line("  linearizable get, 1 client", out.get1));
  console.log(line(`  linearizable get, ${concurrency} in flight`, out.getN));
  return out;
}

async function main(): Promise<void> {
  const requests = Number(arg("requests", "3000"));
  const concurrency = Number(arg("concurrency", "64"));
  const runtime = arg("runtime", "bun");
  const dir = mkdtempSync(join(tmpdir(), "raft-bench-"));
  const results: Array<[string, Record<string, Figures>]> = [];
  try {
    const ours = await startRaftbare(runtime, dir);
    try {
      results.push([ours.name, await run(ours, requests, concurrency)]);
    } finally {
      await ours.stop();
    }
    if (process.argv.includes("--etcd")) {
      const etcd = await startEtcd(dir);
      try {
        results.push([etcd.name, await run(etcd, requests, concurrency)]);
      } finally {
        await etcd.stop();
      }
      const [a, b] = [results[0][1], results[1][1]];
      console.log("\nraftbare-ts / etcd throughput ratios (same run, same machine):");
      for (const k of ["put1", "putN", "get1", "getN"])
        console.log(`  ${k}: ${(a[k].perSecond / b[k].perSecond).toFixed(2)}×`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`bench_service failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
