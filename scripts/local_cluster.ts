/**
 * Starts a local 3-node cluster on loopback (`npm start`): three node processes with data under
 * ./data, bootstraps the cluster, and prints the node URLs, the docs URL and curl commands to try.
 * Ctrl-C stops every node it started.
 *
 * Usage: bun scripts/local_cluster.ts [--nodes 3] [--base-port 7001] [--data-dir data] [--runtime bun|deno]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

interface ClusterArgs {
  nodes: number;
  basePort: number;
  dataDir: string;
  runtime: "bun" | "deno";
}

function parseArgs(argv: readonly string[]): ClusterArgs {
  const get = (name: string, fallback: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
  };
  const nodes = Number(get("nodes", "3"));
  const basePort = Number(get("base-port", "7001"));
  const runtime = get("runtime", "bun");
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 9) throw new Error("--nodes must be 1..9");
  if (!Number.isInteger(basePort) || basePort < 1024 || basePort > 65000)
    throw new Error("--base-port must be 1024..65000");
  if (runtime !== "bun" && runtime !== "deno") throw new Error("--runtime must be bun or deno");
  return { nodes, basePort, dataDir: resolve(get("data-dir", "data")), runtime };
}

/** The cluster token is kept beside the data so restarts reuse it. */
function clusterToken(dataDir: string): string {
  const file = join(dataDir, "cluster-token");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(18).toString("base64url");
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}

function nodeCommand(runtime: "bun" | "deno"): string[] {
  const bin = resolve("node_modules", ".bin", runtime);
  return runtime === "bun" ? [bin, "src/main.ts"] : [bin, "run", "--allow-all", "src/main.ts"];
}

function startNode(args: ClusterArgs, index: number, token: string): ChildProcess {
  const id = `n${index + 1}`;
  const port = args.basePort + index;
  const [bin, ...rest] = nodeCommand(args.runtime);
  const child = spawn(bin, [...rest, "--id", id, "--listen", `127.0.0.1:${port}`], {
    env: { ...process.env, RAFT_CLUSTER_TOKEN: token, RAFT_DATA_DIR: join(args.dataDir, id) },
    stdio: ["ignore", "inherit", "inherit"],
  });
  child.on("exit", (code, signal) => {
    if (!stopping) console.error(`node ${id} exited (${signal ?? code}); stopping the cluster`);
    stopAll();
  });
  return child;
}

let stopping = false;
const children: ChildProcess[] = [];

function stopAll(): void {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
  setTimeout(() => process.exit(0), 3000).unref();
  Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.on("exit", r))))).then(() =>
    process.exit(0),
  );
}

async function waitLive(url: string, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/livez`);
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up in time`);
}

async function bootstrap(urls: string[]): Promise<void> {
  const members = urls.map((url, i) => ({ id: `n${i + 1}`, url }));
  const res = await fetch(`${urls[0]}/v1/cluster`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ members }),
  });
  if (res.status === 201) console.log("cluster bootstrapped");
  else if (res.status === 409) console.log("cluster already bootstrapped (existing data)");
  else throw new Error(`bootstrap failed: ${res.status} ${await res.text()}`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const token = clusterToken(args.dataDir);
  for (let i = 0; i < args.nodes; i++) children.push(startNode(args, i, token));
  process.on("SIGINT", stopAll);
  process.on("SIGTERM", stopAll);
  const urls = children.map((_, i) => `http://127.0.0.1:${args.basePort + i}`);
  const deadline = Date.now() + 20_000;
  for (const url of urls) await waitLive(url, deadline);
  await bootstrap(urls);
  printWelcome(urls, args.dataDir);
}

function printWelcome(urls: string[], dataDir: string): void {
  console.log(`\nraftbare-ts: ${urls.length}-node cluster running (data under ${dataDir})`);
  for (const [i, url] of urls.entries()) console.log(`  n${i + 1}  ${url}`);
  console.log(`\nAPI docs:  ${urls[0]}/docs   (OpenAPI document: ${urls[0]}/openapi.json)\n`);
  console.log("Try:");
  console.log(`  curl -s -X PUT ${urls[0]}/v1/kv/greeting --json '{"value":"hello"}'`);
  console.log(`  curl -s ${urls[urls.length - 1]}/v1/kv/greeting`);
  console.log(`  curl -s ${urls[0]}/v1/status`);
  console.log("\nCtrl-C stops all nodes.");
}

main().catch((error) => {
  console.error(`local cluster failed: ${error instanceof Error ? error.message : String(error)}`);
  stopAll();
});
