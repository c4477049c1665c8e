/**
 * Runs a child process to completion with a time limit, collecting its output (bounded). The child
 * gets an environment without the `npm_*` variables of an enclosing `npm test` or `npm run`
 * (`npm_config_local_prefix` there would point a nested npm at the repository's own package).
 */
import { spawn } from "node:child_process";
import process from "node:process";

/** The outcome of one run. */
export interface ProcessRun {
  /** The exit status, or null if a signal (e.g. the time limit) ended it. */
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link runProcess}. */
export interface RunProcessOptions {
  /** The working directory. */
  readonly cwd: string;
  /** The child is stopped after this many milliseconds (default 180 s). */
  readonly timeoutMs?: number;
  /** Variables to set in the child's environment, over {@link cleanEnv}. */
  readonly env?: Readonly<Record<string, string>>;
}

/** At most this much output is kept per stream. */
const MAX_OUTPUT_CHARS = 4_000_000;

/** The current environment without `npm_*` variables. */
export function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.toLowerCase().startsWith("npm_")) env[key] = value;
  }
  return env;
}

/** Runs `bin args`; never rejects for a non-zero exit (see {@link ProcessRun.status}), only if it cannot start. */
export function runProcess(bin: string, args: readonly string[], options: RunProcessOptions): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [...args], {
      cwd: options.cwd,
      env: { ...cleanEnv(), ...options.env },
      timeout: options.timeoutMs ?? 180_000,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      if (stdout.length < MAX_OUTPUT_CHARS) stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      if (stderr.length < MAX_OUTPUT_CHARS) stderr += chunk;
    });
    child.on("error", (err) => reject(new Error(`Cannot run ${bin} ${args.join(" ")}: ${err.message}`)));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** Fails with the output of `run` unless it exited 0. */
export function expectSuccess(run: ProcessRun, what: string): void {
  if (run.status !== 0) {
    throw new Error(`${what} failed (exit ${run.status}):\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-4000)}`);
  }
}
