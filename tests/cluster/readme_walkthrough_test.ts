/**
 * The README's curl walkthrough, run verbatim against a live three-node cluster: every `curl`
 * line between the walkthrough markers, with the README's ports rewritten to the cluster's.
 */
import { afterAll, describe, expect } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type ClusterNode, ProcessCluster, REPO_ROOT } from "../helpers/process_cluster.ts";
import {
  headOf,
  jsonOf,
  localize,
  type Run,
  readmeTokenDir,
  runShell,
  setupLines,
  walkthroughCommands,
} from "../helpers/readme_shell.ts";
import { clusterIt, STOP_TIMEOUT_MS, startAndBootstrap } from "./cluster_scenarios.ts";

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
  const tokenDirs: string[] = [];
  afterAll(
    async () => {
      await cluster.stop();
      for (const dir of tokenDirs) rmSync(dir, { recursive: true, force: true });
    },
    { timeout: STOP_TIMEOUT_MS },
  );

  clusterIt(cluster, "every curl command of the walkthrough succeeds against a live cluster", async () => {
    const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
    const commands = walkthroughCommands(readme);
    expect(commands.length).toBe(11);
    const setup = setupLines(readme);
    expect(setup).toEqual(['TOKEN="$(cat data/admin-token)"']);
    const shell = { setup, cwd: readmeTokenDir(cluster.adminToken) };
    tokenDirs.push(shell.cwd);
    const leader = await startAndBootstrap(cluster);
    const ports = portMap(leader, cluster.nodes);
    const stale = cluster.nodes.find((n) => n.port === ports.get(7003)) as ClusterNode;
    const runs: Run[] = [];
    for (const command of commands) {
      // 7003 serves the stale read alone: let it apply the first write before (the README reads at once).
      if (command.includes("consistency=stale")) await cluster.waitForApplied(stale, jsonOf(runs[0]).index);
      const run = await runShell(localize(command, ports), shell);
      if (run.code !== 0) throw new Error(`exit ${run.code}: ${run.command}\n${run.stdout}\n${run.stderr}`);
      runs.push(run);
    }
    checkOutcomes(runs, leader);
    // Without the token line, the same command is refused (the README's token is what lets it through).
    const bare = await runShell(localize(commands[1], ports));
    expect(jsonOf(bare).error.code).toBe("unauthorized");
  });
});

/** The outcomes the README promises, in the order of its commands. */
function checkOutcomes(runs: readonly Run[], leader: ClusterNode): void {
  const [put, read, stale, cas, create, list, once, again, del, status, redirect] = runs;
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
  const first = jsonOf(once);
  expect(first).toMatchObject({ key: "orders/42", prev: null });
  const replay = headOf(again);
  expect(replay.status).toBe(200);
  expect(replay.headers.get("idempotent-replayed")).toBe("true");
  expect(
    JSON.parse(
      again.stdout
        .split(/\r?\n\r?\n/)
        .slice(1)
        .join("\n\n"),
    ),
  ).toEqual(first);
  expect(jsonOf(del)).toMatchObject({ key: "greeting", deleted: true });
  expect(jsonOf(status).leader).toEqual({ id: leader.id, url: leader.url });
  const head = headOf(redirect);
  expect(head.status).toBe(307);
  expect(head.headers.get("location")).toBe(`${leader.url}/v1/kv/x`);
}
