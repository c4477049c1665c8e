/**
 * The README's curl walkthrough, run verbatim against a live three-node cluster: every `curl`
 * line between the walkthrough markers, with the README's ports rewritten to the cluster's.
 */
import { afterAll, describe, expect } from "bun:test";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type ClusterNode, ProcessCluster, REPO_ROOT } from "../helpers/process_cluster.ts";
import { clusterIt, STOP_TIMEOUT_MS, startAndBootstrap } from "./cluster_scenarios.ts";

/** The `curl` lines of the README between `<!-- walkthrough:start -->` and `<!-- walkthrough:end -->`. */
function walkthroughCommands(readme: string): string[] {
  const start = readme.indexOf("<!-- walkthrough:start -->");
  const end = readme.indexOf("<!-- walkthrough:end -->");
  if (start < 0 || end < start) throw new Error("the README has no walkthrough markers");
  return readme
    .slice(start, end)
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith("curl "));
}

/** `command` with each README port (7001…) replaced by the port `ports` maps it to, and a time limit. */
function localize(command: string, ports: ReadonlyMap<number, number>): string {
  const rewritten = command.replace(/127\.0\.0\.1:(\d+)/g, (_all, port: string) => {
    const mapped = ports.get(Number(port));
    if (mapped === undefined) throw new Error(`unexpected port ${port} in: ${command}`);
    return `127.0.0.1:${mapped}`;
  });
  return rewritten.replace(/^curl /, "curl --max-time 10 ");
}

/** The outcome of one shell command. */
interface Run {
  readonly command: string;
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command` with `sh -c` (the README lines use shell quoting); never rejects. */
function runShell(command: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile("sh", ["-c", command], { timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
      resolve({ command, code, stdout, stderr });
    });
  });
}

/** The JSON a command printed (fails the test with the command and its output if it is not JSON). */
// biome-ignore lint/suspicious/noExplicitAny: the walkthrough prints arbitrary JSON.
function jsonOf(run: Run): any {
  try {
    return JSON.parse(run.stdout);
  } catch {
    throw new Error(
      `expected JSON from: ${run.command}\nexit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`,
    );
  }
}

/** Status code and headers (lower-case names) of a `curl -i` answer. */
function headOf(run: Run): { status: number; headers: Map<string, string> } {
  const [statusLine, ...lines] = run.stdout.split(/\r?\n\r?\n/)[0].split(/\r?\n/);
  const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(statusLine)?.[1] ?? Number.NaN);
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { status, headers };
}

/** Maps 7001 to the leader and 7002, 7003 to the followers (the redirect example needs a follower on 7002). */
function portMap(leader: ClusterNode, nodes: readonly ClusterNode[]): Map<number, number> {
  const followers = nodes.filter((n) => n.id !== leader.id);
  return new Map([
    [7001, leader.port],
    [7002, followers[0].port],
    [7003, followers[1].port],
  ]);
}

describe("the README walkthrough", () => {
  const cluster = new ProcessCluster({ runtimes: ["bun", "bun", "bun"] });
  afterAll(() => cluster.stop(), { timeout: STOP_TIMEOUT_MS });

  clusterIt(cluster, "every curl command of the walkthrough succeeds against a live cluster", async () => {
    const commands = walkthroughCommands(readFileSync(join(REPO_ROOT, "README.md"), "utf8"));
    expect(commands.length).toBe(9);
    const leader = await startAndBootstrap(cluster);
    const ports = portMap(leader, cluster.nodes);
    const stale = cluster.nodes.find((n) => n.port === ports.get(7003)) as ClusterNode;
    const runs: Run[] = [];
    for (const command of commands) {
      // 7003 serves the stale read alone: let it apply the first write before (the README reads at once).
      if (command.includes("consistency=stale")) await cluster.waitForApplied(stale, jsonOf(runs[0]).index);
      const run = await runShell(localize(command, ports));
      if (run.code !== 0) throw new Error(`exit ${run.code}: ${run.command}\n${run.stdout}\n${run.stderr}`);
      runs.push(run);
    }
    checkOutcomes(runs, leader);
  });
});

/** The outcomes the README promises, in the order of its commands. */
function checkOutcomes(runs: readonly Run[], leader: ClusterNode): void {
  const [put, read, stale, cas, create, list, del, status, redirect] = runs;
  const written = jsonOf(put);
  expect(written).toMatchObject({ key: "greeting", prev: null });
  expect(written.revision).toBeGreaterThan(0);
  expect(jsonOf(read)).toMatchObject({ key: "greeting", value: "hello", revision: written.revision });
  expect(jsonOf(stale)).toMatchObject({ key: "greeting", value: "hello" });
  const swapped = jsonOf(cas);
  expect(swapped.revision).toBeGreaterThan(written.revision);
  expect(swapped.prev).toMatchObject({ value: "hello" });
  expect(jsonOf(create)).toMatchObject({ key: "config/color", prev: null });
  expect(jsonOf(list).items.map((item: { key: string }) => item.key)).toContain("config/color");
  expect(jsonOf(del)).toMatchObject({ key: "greeting", deleted: true });
  expect(jsonOf(status).leader).toEqual({ id: leader.id, url: leader.url });
  const head = headOf(redirect);
  expect(head.status).toBe(307);
  expect(head.headers.get("location")).toBe(`${leader.url}/v1/kv/x`);
}
