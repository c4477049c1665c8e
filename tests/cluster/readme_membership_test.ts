/**
 * The README's membership walkthrough, run verbatim against five Bun node processes (three founders,
 * n4 and n5 started empty): list, add, add a learner and promote it, transfer leadership, shrink back.
 */
import { afterAll, describe, expect } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { httpJson } from "../helpers/http_json.ts";
import { type ClusterNode, ProcessCluster, REPO_ROOT } from "../helpers/process_cluster.ts";
import {
  jsonOf,
  localize,
  type ReadmeShell,
  type Run,
  readmeTokenDir,
  runShell,
  setupLines,
  walkthroughCommands,
} from "../helpers/readme_shell.ts";
import { waitFor } from "../helpers/wait_for.ts";
import { clusterIt, STOP_TIMEOUT_MS } from "./cluster_scenarios.ts";

const WAIT_MS = 30_000;

interface Row {
  id: string;
  role: string;
  leader: boolean;
}

async function runOk(command: string, ports: ReadonlyMap<number, number>, shell: ReadmeShell): Promise<Run> {
  const run = await runShell(localize(command, ports).replace("--max-time 10", "--max-time 40"), shell);
  if (run.code !== 0) throw new Error(`exit ${run.code}: ${run.command}\n${run.stdout}\n${run.stderr}`);
  return run;
}

describe("the README membership walkthrough", () => {
  const cluster = new ProcessCluster({ runtimes: ["bun", "bun", "bun", "bun", "bun"], voters: 3 });
  const tokenDirs: string[] = [];
  afterAll(
    async () => {
      await cluster.stop();
      for (const dir of tokenDirs) rmSync(dir, { recursive: true, force: true });
    },
    { timeout: STOP_TIMEOUT_MS },
  );

  clusterIt(cluster, "every curl command of the membership walkthrough does what the README says", async () => {
    const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
    const commands = walkthroughCommands(readme, "membership");
    expect(commands.length).toBe(7);
    const shell = { setup: setupLines(readme, "membership"), cwd: readmeTokenDir(cluster.adminToken) };
    tokenDirs.push(shell.cwd);
    expect(shell.setup).toEqual(['TOKEN="$(cat data/admin-token)"']);
    await cluster.start();
    await cluster.bootstrap();
    const [n1, n2, n3, n4, n5] = cluster.nodes;
    const leader = await cluster.waitForLeader([n1, n2, n3]);
    const followers = [n1, n2, n3].filter((n) => n !== leader);
    const ports = new Map<number, number>([
      [7001, leader.port],
      [7002, followers[0].port],
      [7003, followers[1].port],
      [7004, n4.port],
      [7005, n5.port],
    ]);
    const [list, addN4, addN5, promote, transfer, removeN5, removeN4] = commands;
    const rolesVia = async (node: ClusterNode): Promise<Record<string, string>> => {
      const answer = await httpJson("GET", `${node.url}/v1/cluster/members`);
      return Object.fromEntries((answer.body.members as Row[]).map((m) => [m.id, m.role]));
    };

    const listed = jsonOf(await runOk(list, ports, shell)).members as Row[];
    expect(listed.map((m) => [m.id, m.role, m.leader])).toEqual([n1, n2, n3].map((n) => [n.id, "voter", n === leader]));

    expect(jsonOf(await runOk(addN4, ports, shell))).toMatchObject({ changed: true });
    await waitFor(async () => (await rolesVia(n1)).n4 === "voter" || undefined, {
      what: "n4 to be promoted once caught up",
      timeoutMs: WAIT_MS,
    });

    expect(jsonOf(await runOk(addN5, ports, shell))).toMatchObject({ changed: true });
    expect((await rolesVia(n1)).n5).toBe("learner");
    // The README says the promotion is refused while n5 lags: retry it as a user would.
    const promoted = await waitFor(
      async () => {
        const answer = jsonOf(await runOk(promote, ports, shell));
        if (answer.error !== undefined) expect(answer.error.code).toBe("learner_behind");
        return answer.error === undefined ? answer : undefined;
      },
      { what: "n5's promotion to be accepted", timeoutMs: WAIT_MS },
    );
    expect(Object.fromEntries(promoted.members.map((m: Row) => [m.id, m.role]))).toEqual({
      n1: "voter",
      n2: "voter",
      n3: "voter",
      n4: "voter",
      n5: "voter",
    });

    expect(jsonOf(await runOk(transfer, ports, shell)).leader).toEqual({ id: "n4", url: n4.url });
    expect((await cluster.waitForLeader([n1, n2, n3, n4, n5])).id).toBe("n4");

    expect(jsonOf(await runOk(removeN5, ports, shell)).members.map((m: Row) => m.id)).toEqual(["n1", "n2", "n3", "n4"]);
    expect(jsonOf(await runOk(removeN4, ports, shell)).members.map((m: Row) => m.id)).toEqual(["n1", "n2", "n3"]);
    const after = await cluster.waitForLeader([n1, n2, n3]);
    expect(["n1", "n2", "n3"]).toContain(after.id);
    expect(await rolesVia(after)).toEqual({ n1: "voter", n2: "voter", n3: "voter" });
  });
});
