/**
 * The operator's guide (docs/operations.md), run as an operator would: every `sh` block in order,
 * each command verbatim but for the ports, from a directory laid out like the repository root
 * after `npm start`. Three founder node processes stand in for `npm start` (the one block not run);
 * the guide's own commands bootstrap them, add n4 and n5, move leadership, remove members, take and
 * check a backup, restore it into a new cluster and grow that, stop and restart nodes and the whole
 * cluster with new tokens, and replace a failed node. Each block's outputs are checked against
 * what the guide says (operator_guide_steps.ts); a block that is neither run nor marked `not run`
 * fails the test.
 */
import { afterAll, describe, expect } from "bun:test";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type GuideBlock, parseGuide } from "../helpers/guide_blocks.ts";
import { GuideRunner, guideWorkDir } from "../helpers/guide_runner.ts";
import { forgetBearerToken } from "../helpers/http_json.ts";
import { freePorts, ProcessCluster, REPO_ROOT } from "../helpers/process_cluster.ts";
import { slowIt } from "../helpers/slow_test.ts";
import { waitFor } from "../helpers/wait_for.ts";
import { STOP_TIMEOUT_MS } from "./cluster_scenarios.ts";
import { GUIDE_STEPS, type GuideStep } from "./operator_guide_steps.ts";
import { CONDITION_MS, GUIDE_PORTS, GuideWorld } from "./operator_guide_world.ts";

/** The whole walk through the guide may take this long (it waits only for conditions, each bounded). */
const GUIDE_TIMEOUT_MS = 300_000;

/** Runs one block with its step: waits first, repeats while the guide says to, then checks. */
async function runStep(w: GuideWorld, block: GuideBlock, step: GuideStep): Promise<void> {
  try {
    await step.before?.(w);
    const until = step.until;
    const runs =
      until === undefined
        ? await w.runner.runBlock(block)
        : await waitFor(
            async () => {
              const attempt = await w.runner.runBlock(block);
              return until(attempt, w) ? attempt : undefined;
            },
            { timeoutMs: CONDITION_MS, intervalMs: 200, what: `block ${block.name} to print what the guide waits for` },
          );
    await step.check?.(runs, w, () => w.runner.runBlock(block));
  } catch (error) {
    const why = error instanceof Error ? (error.stack ?? error.message) : String(error);
    throw new Error(`docs/operations.md block '${block.name}' (line ${block.line}) failed:\n${why}`);
  }
}

/** The guide's links to its own sections (`](#…)`) that name no heading of it (GitHub's heading anchors). */
function brokenAnchors(markdown: string): string[] {
  const slug = (heading: string) =>
    heading
      .toLowerCase()
      .replace(/[^a-z0-9 -]/g, "")
      .replaceAll(" ", "-");
  const anchors = new Set([...markdown.matchAll(/^#+ (.+)$/gm)].map((m) => slug(m[1])));
  return [...markdown.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]).filter((a) => !anchors.has(a));
}

/** The guide's ports mapped to the test's: the founders' and free ones for the nodes the guide starts. */
async function portMap(cluster: ProcessCluster): Promise<Map<number, number>> {
  const spare = await freePorts(4);
  const ports = new Map(cluster.nodes.map((n) => [GUIDE_PORTS[n.id], n.port] as const));
  for (const [i, id] of ["n4", "n5", "r1", "r2"].entries()) ports.set(GUIDE_PORTS[id], spare[i]);
  return ports;
}

describe("the operator's guide", () => {
  const readToken = randomBytes(18).toString("base64url");
  let workDir = "";
  let runner: GuideRunner | undefined;
  let world: GuideWorld | undefined;
  const cluster = new ProcessCluster({
    runtimes: ["bun", "bun", "bun"],
    // npm start's timers (the node's defaults).
    electionTimeoutMs: 1000,
    heartbeatMs: 100,
    extraArgs: () => ["--read-token", readToken],
    dataDirOf: (id) => join(workDir, "data", id),
  });
  afterAll(async () => {
    await runner?.cleanUp();
    await cluster.stop();
    for (const id of ["n4", "n5", "r1", "r2"]) if (world !== undefined) forgetBearerToken(world.url(id));
    runner?.removeWorkDir();
  }, STOP_TIMEOUT_MS);

  const name = "every sh block of docs/operations.md runs and prints what the guide says";
  const onFailure = () => {
    cluster.printLogs(name);
    console.error(`----- nodes started by the guide's commands -----\n${runner?.nodeOutput() ?? ""}`);
  };
  slowIt(
    name,
    async () => {
      const markdown = readFileSync(join(REPO_ROOT, "docs", "operations.md"), "utf8");
      expect(brokenAnchors(markdown)).toEqual([]);
      const guide = parseGuide(markdown);
      expect(guide.blocks.filter((b) => b.name === null).map((b) => b.commands)).toEqual([["npm start"]]);
      expect(guide.blocks.flatMap((b) => (b.name === null ? [] : [b.name]))).toEqual(GUIDE_STEPS.map(([n]) => n));
      workDir = guideWorkDir({ cluster: cluster.token, admin: cluster.adminToken, read: readToken });
      await cluster.start();
      runner = new GuideRunner(workDir, await portMap(cluster));
      world = new GuideWorld(cluster, runner, guide);
      world.useToken(["n4", "n5"], cluster.adminToken);
      for (const [blockName, step] of GUIDE_STEPS) {
        const block = guide.blocks.find((b) => b.name === blockName) as GuideBlock;
        await runStep(world, block, step);
      }
    },
    { timeoutMs: GUIDE_TIMEOUT_MS, onFailure },
  );
});
