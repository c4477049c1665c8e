/**
 * The local cluster launcher (`scripts/local_cluster.ts`, what `npm start` runs) and shell commands
 * it prints, as child processes of a test: captured output, waits on that output, the node pids it
 * reports, free port ranges, and cleanup that stops every process the test started, by pid.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import process from "node:process";
import { REPO_ROOT } from "./process_cluster.ts";
import { commandLineOf, descendantsOf, signalPid, stopPids } from "./process_tree.ts";
import { waitFor } from "./wait_for.ts";

/** How a child process ended. */
export interface ExitStatus {
  readonly code: number | null;
  readonly signal: string | null;
}

/** Our environment without any `RAFT_*` setting. */
export function envWithoutRaft(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith("RAFT_")) env[name] = value;
  }
  return env;
}

/** True if 127.0.0.1:`port` can be bound right now (the socket is released again). */
export function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The lowest port the kernel hands out to outgoing connections (Linux's default where it cannot be read). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 2048 ? low : 32768;
  } catch {
    return 32768;
  }
}

/**
 * A base port P such that P … P + count - 1 are all free now (bounded number of tries). The range is
 * drawn below the ephemeral range: after a run with many short connections, client sockets in
 * TIME_WAIT hold thousands of ephemeral ports, and a listener cannot bind a port such a socket holds.
 */
export async function freePortRange(count: number): Promise<number> {
  const high = ephemeralLow() - count;
  const low = Math.min(10_000, high - 1_000);
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = low + Math.floor(Math.random() * (high - low));
    const ports = Array.from({ length: count }, (_, i) => base + i);
    if ((await Promise.all(ports.map(canBind))).every(Boolean)) return base;
  }
  throw new Error(`found no ${count} consecutive free ports below ${high + count}`);
}

/** A child process started by a test, with its output captured. */
export class CapturedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  stdout = "";
  stderr = "";
  /** Both streams in arrival order. */
  output = "";
  readonly exited: Promise<ExitStatus>;
  #status: ExitStatus | undefined;
  /**
   * True once the process exited and its output streams closed: every process that shares them (a
   * node a shell started in the background, say) has exited too, and all it wrote is read.
   */
  #ended = false;

  /**
   * Spawns `bin` `args` in `cwd` (default the repository root) with stdin ignored, in `env` (default
   * ours without any `RAFT_*` variable).
   */
  constructor(
    bin: string,
    args: readonly string[],
    cwd: string = REPO_ROOT,
    env: Record<string, string> = envWithoutRaft(),
  ) {
    this.child = spawn(bin, [...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    if (this.child.pid === undefined) throw new Error(`could not spawn ${bin}`);
    this.pid = this.child.pid;
    this.child.stdout?.on("data", (chunk: Buffer) => {
      this.stdout += String(chunk);
      this.output += String(chunk);
    });
    this.child.stderr?.on("data", (chunk: Buffer) => {
      this.stderr += String(chunk);
      this.output += String(chunk);
    });
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        this.#status = { code, signal };
        resolve(this.#status);
      });
    });
    this.child.once("close", () => {
      this.#ended = true;
    });
  }

  /**
   * Sends `signal` by pid. (Deno's `ChildProcess.kill()` reports the signal it sent as the cause of
   * the exit even when the process handled it and exited with a code; `process.kill` does not.)
   */
  signal(signal: "SIGTERM" | "SIGKILL"): void {
    if (this.#status === undefined) signalPid(this.pid, signal);
  }

  /** How it ended, or undefined while it runs. */
  get status(): ExitStatus | undefined {
    return this.#status;
  }

  /**
   * Waits until the output matches `pattern`; fails early (with the output) once the process has
   * exited and its output has ended: a line written by a process that shares the output (a node a
   * killed shell or launcher started) may still arrive after the process itself is gone.
   */
  async waitForOutput(pattern: RegExp, what: string, timeoutMs = 60_000): Promise<RegExpMatchArray> {
    const found = await waitFor(
      () => this.output.match(pattern) ?? (this.#status !== undefined && this.#ended ? "exited" : undefined),
      {
        timeoutMs,
        intervalMs: 50,
        what,
      },
    );
    if (found === "exited") {
      throw new Error(`exited (${JSON.stringify(this.#status)}) before printing ${what}:\n${this.output}`);
    }
    return found;
  }

  /** Waits (bounded) for the exit; throws with the output if it is still running then. */
  async waitForExit(timeoutMs = 60_000): Promise<ExitStatus> {
    return await waitFor(() => this.#status, { timeoutMs, intervalMs: 50, what: `pid ${this.pid} to exit` });
  }
}

/** The launcher started by a test on its own ports and data directory. */
export class LauncherProcess extends CapturedProcess {
  /** `bun scripts/local_cluster.ts <args>`. */
  constructor(args: readonly string[]) {
    super(join(REPO_ROOT, "node_modules", ".bin", "bun"), ["scripts/local_cluster.ts", ...args]);
  }

  /** The pid of every node the launcher reported starting ("started n2 (pid 4242) …"), by node id. */
  nodePids(): Map<string, number> {
    const pids = new Map<string, number>();
    for (const m of this.stdout.matchAll(/^started (n\d) \(pid (\d+)\)/gm)) pids.set(m[1], Number(m[2]));
    return pids;
  }

  /** Waits until the launcher reports the cluster running; the node pids. */
  async waitUntilRunning(timeoutMs = 90_000): Promise<Map<string, number>> {
    await this.waitForOutput(/-node cluster running/, "the cluster to run", timeoutMs);
    return this.nodePids();
  }

  /**
   * Kills the launcher if it still runs, then stops every process below it and every node it
   * reported whose command line still names `dataDir` (so a reused pid is left alone).
   */
  async cleanUp(dataDir: string): Promise<void> {
    const below = this.status === undefined ? descendantsOf(this.pid) : [];
    if (this.status === undefined) {
      this.signal("SIGKILL");
      await this.waitForExit(10_000).catch(() => undefined);
    }
    const reported = [...this.nodePids().values()].filter((pid) => commandLineOf(pid).includes(dataDir));
    await stopPids([...new Set([...below, ...reported])]);
  }
}

/** A shell command (`sh -c`) run from the repository root (or `cwd`), e.g. a command the launcher printed. */
export class ShellProcess extends CapturedProcess {
  /** Runs `command` with `sh -c` in `cwd` (default the repository root). */
  constructor(command: string, cwd?: string) {
    super("sh", ["-c", command], cwd);
  }

  /** The pid of the node process (the deepest process running `src/main.ts`) below the shell, if any. */
  nodePid(): number | undefined {
    return descendantsOf(this.pid)
      .filter((pid) => commandLineOf(pid).includes("src/main.ts"))
      .at(-1);
  }

  /** Stops the shell and everything below it (found before any of it is signalled). */
  async cleanUp(): Promise<void> {
    const tree = [...descendantsOf(this.pid).reverse(), this.pid];
    await stopPids(tree);
  }
}
