/**
 * Runs a program of another runtime (bun, deno, node) as a child process for the client's live
 * tests: bounded in time, killed by its pid if it overstays, its output captured, and the last
 * JSON line it printed parsed.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import { cleanEnv } from "../../scripts/pack/run_process.ts";
import { REPO_ROOT } from "../helpers/process_cluster.ts";

/** What a finished child printed and how it ended. */
export interface ChildRun {
  readonly code: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link runChild}. */
export interface ChildRunOptions {
  /** Added to the environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Killed (SIGKILL by its pid) after this many milliseconds (default 120 000). */
  readonly timeoutMs?: number;
  /** The working directory (default the repository root). */
  readonly cwd?: string;
}

/** The executable of `name`: the project's own bun and deno, and the node that runs npm. */
export function runtimeBin(name: "bun" | "deno" | "node"): string {
  return name === "node" ? "node" : join(REPO_ROOT, "node_modules", ".bin", name);
}

/** Runs `bin args` (from the repository root unless `cwd` says otherwise) and resolves once it exited. */
export function runChild(bin: string, args: readonly string[], options: ChildRunOptions = {}): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [...args], {
      cwd: options.cwd ?? REPO_ROOT,
      // Without the npm_* variables of an enclosing `npm test`, which would steer a nested npm.
      env: { ...cleanEnv(), NO_COLOR: "1", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += String(chunk);
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += String(chunk);
    });
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, "SIGKILL");
    }, options.timeoutMs ?? 120_000);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The last line of `run`'s stdout parsed as JSON; throws with the whole output if it exited badly or printed none. */
export function lastJsonLine(run: ChildRun, what: string): unknown {
  const lines = run.stdout
    .trim()
    .split("\n")
    .filter((l) => l.trim().startsWith("{"));
  const last = lines.at(-1);
  if (run.code !== 0 || last === undefined) {
    throw new Error(
      `${what} exited with ${run.code ?? run.signal}:\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`,
    );
  }
  return JSON.parse(last);
}
