/**
 * `--exit-with-parent true` on real node processes (Bun and Deno): the node is started by a shell,
 * the shell is killed with SIGKILL, and the node logs why and stops by itself.
 */
import { describe, expect } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { shellQuote } from "../../scripts/local_cluster/node_commands.ts";
import { httpJson } from "../helpers/http_json.ts";
import { CapturedProcess, freePortRange } from "../helpers/launcher_process.ts";
import { type NodeRuntime, nodeCommand } from "../helpers/process_cluster.ts";
import { isRunning, stopPids, waitUntilGone } from "../helpers/process_tree.ts";
import { slowIt } from "../helpers/slow_test.ts";
import { waitFor } from "../helpers/wait_for.ts";

/** Per-test deadline: generous, the machine may be loaded. */
const TEST_TIMEOUT_MS = 60_000;

/** A shell script that starts the node in the background, prints its pid and waits for it. */
function parentScript(runtime: NodeRuntime, port: number, dataDir: string): string {
  const { bin, args } = nodeCommand(runtime);
  const flags = [
    "--id",
    "n1",
    "--listen",
    `127.0.0.1:${port}`,
    "--cluster-token",
    "s3cret-token",
    "--insecure-no-auth",
    "true",
  ];
  const words = [bin, ...args, ...flags, "--data-dir", dataDir, "--exit-with-parent", "true"];
  return `${words.map(shellQuote).join(" ")} & echo "node pid $!"; wait`;
}

describe("a node started with --exit-with-parent true", () => {
  for (const runtime of ["bun", "deno"] as const) {
    let parent: CapturedProcess | undefined;
    slowIt(
      `a ${runtime} node stops by itself once the process that started it is killed`,
      async () => {
        const dataDir = mkdtempSync(join(tmpdir(), "raftbare-exit-with-parent-"));
        let nodePid: number | undefined;
        try {
          const port = await freePortRange(1);
          parent = new CapturedProcess("sh", ["-c", parentScript(runtime, port, dataDir)]);
          nodePid = Number((await parent.waitForOutput(/node pid (\d+)/, "the node's pid"))[1]);
          await waitFor(async () => (await httpJson("GET", `http://127.0.0.1:${port}/livez`)).status === 200, {
            timeoutMs: 30_000,
            what: `the ${runtime} node to answer /livez`,
          });
          parent.signal("SIGKILL");
          await parent.waitForExit();
          expect(await waitUntilGone([nodePid], 30_000)).toBe(true);
          await parent.waitForOutput(/the process that started this node exited; stopping/, "the node's exit line");
        } finally {
          parent?.signal("SIGKILL");
          if (nodePid !== undefined && isRunning(nodePid)) await stopPids([nodePid]);
          rmSync(dataDir, { recursive: true, force: true });
        }
      },
      { timeoutMs: TEST_TIMEOUT_MS, onFailure: () => console.error(`node output:\n${parent?.output ?? ""}`) },
    );
  }

  slowIt(
    "src/main.ts --help lists --exit-with-parent and RAFT_EXIT_WITH_PARENT",
    async () => {
      const { bin, args } = nodeCommand("bun");
      const help = new CapturedProcess(bin, [...args, "--help"]);
      expect(await help.waitForExit()).toEqual({ code: 0, signal: null });
      expect(help.stdout).toContain("--exit-with-parent  (RAFT_EXIT_WITH_PARENT)");
    },
    { timeoutMs: TEST_TIMEOUT_MS },
  );
});
