/**
 * The fault run as CI runs it: a short mixed schedule on 3 Bun nodes (the storage faults included,
 * so every node runs with the storage fault hook and each kill loses unflushed writes), spawned as
 * `bun scripts/chaos.ts` under both test runners. It asserts the exit status and the summary the
 * run prints, never how fast anything was (the run's own bounds are generous).
 */
import { afterAll, describe, expect } from "bun:test";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { readHistoryLines } from "../../scripts/chaos/history_file.ts";
import { REPO_ROOT } from "../helpers/process_cluster.ts";
import { slowIt } from "../helpers/slow_test.ts";

const SEED = 20240607;
const out = mkdtempSync(join(tmpdir(), "raftbare-chaos-"));
let child: ChildProcess | undefined;
let output = "";

afterAll(() => {
  if (child?.pid !== undefined && child.exitCode === null) process.kill(child.pid, "SIGINT");
  rmSync(out, { recursive: true, force: true });
});

/** Runs the fault run to its end; resolves with its exit code. */
function runChaos(args: readonly string[]): Promise<number | null> {
  const bun = join(REPO_ROOT, "node_modules", ".bin", "bun");
  child = spawn(bun, ["scripts/chaos.ts", ...args], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const keep = (chunk: Buffer) => {
    output = (output + String(chunk)).slice(-200_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return new Promise((resolve) => child?.once("exit", (code) => resolve(code)));
}

describe("scripts/chaos.ts", () => {
  slowIt(
    "a short mixed fault run on 3 nodes ends with exit 0, a checked history and identical state machines",
    async () => {
      const args = ["--nodes", "3", "--runtime", "bun", "--faults", "mixed", "--duration", "45"];
      const code = await runChaos([...args, "--seed", String(SEED), "--out", out]);
      expect(output).toContain(`chaos seed ${SEED}`);
      const line = output.split("\n").find((l) => l.startsWith("chaos summary: "));
      expect(line).toBeDefined();
      const summary = JSON.parse((line as string).slice("chaos summary: ".length));
      expect({ code, ok: summary.ok, problems: summary.problems }).toEqual({ code: 0, ok: true, problems: [] });
      expect(summary.seed).toBe(SEED);
      expect(summary.storageHook).toBe(true);
      expect(summary.linearizable).toBe("ok");
      expect(summary.faultsInjected).toBeGreaterThan(0);
      expect(summary.finalReads).toBeGreaterThanOrEqual(summary.keys * 3);
      const history = readHistoryLines(readFileSync(join(out, "history.jsonl"), "utf8"));
      expect(history.operations.length).toBe(summary.operations);
      expect(history.faults.length).toBe(summary.faultsInjected);
      for (const file of ["faults.log", "nodes.log", "summary.json"]) expect(existsSync(join(out, file))).toBe(true);
    },
    { timeoutMs: 600_000, onFailure: () => console.error(`fault run output:\n${output}`) },
  );
});
