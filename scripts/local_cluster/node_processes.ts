/** The node processes the launcher started: spawn, exit reports, and stopping them all. */
import { type ChildProcess, spawn } from "node:child_process";
import { type NodeSpec, REPO_ROOT } from "./layout.ts";
import type { Command } from "./node_commands.ts";

/** How a node process ended. */
export interface NodeExit {
  readonly spec: NodeSpec;
  readonly pid: number | undefined;
  /** The exit code, or null if a signal ended it. */
  readonly code: number | null;
  /** The signal that ended it, or null. */
  readonly signal: string | null;
  /** Why it could not be started at all, if so. */
  readonly spawnError?: string;
}

/** "n2 (pid 4242) was killed by SIGKILL", "n1 (pid 4241) exited with code 1", … */
export function describeExit(exit: NodeExit): string {
  const who = `${exit.spec.id} (pid ${exit.pid ?? "?"})`;
  if (exit.spawnError !== undefined) return `${exit.spec.id} could not be started: ${exit.spawnError}`;
  if (exit.signal !== null) return `${who} was killed by ${exit.signal}`;
  return `${who} exited with code ${exit.code}`;
}

interface Running {
  readonly spec: NodeSpec;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

/** Resolves with true once `exited` settles, or with false after `ms`. */
async function exitsWithin(exited: Promise<void>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([exited.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The node processes started by this launcher; reports every exit to `onExit`. */
export class NodeProcesses {
  readonly #running = new Map<string, Running>();
  readonly #onExit: (exit: NodeExit) => void;

  /** No process yet; `onExit` hears of every process that ends. */
  constructor(onExit: (exit: NodeExit) => void) {
    this.#onExit = onExit;
  }

  /** The nodes whose process is still running, n1 first. */
  get running(): NodeSpec[] {
    return [...this.#running.values()].map((r) => r.spec);
  }

  /** Spawns `command` for `spec` from the repository root (output goes to ours); its pid. */
  start(spec: NodeSpec, command: Command, env: Record<string, string | undefined>): number | undefined {
    const child = spawn(command.bin, [...command.args], {
      cwd: REPO_ROOT,
      env,
      stdio: ["ignore", "inherit", "inherit"],
    });
    const exited = new Promise<void>((resolve) => {
      const ended = (exit: NodeExit) => {
        if (!this.#running.delete(spec.id)) return;
        resolve();
        this.#onExit(exit);
      };
      child.once("exit", (code, signal) => ended({ spec, pid: child.pid, code, signal }));
      child.once("error", (error) =>
        ended({ spec, pid: child.pid, code: null, signal: null, spawnError: error.message }),
      );
    });
    this.#running.set(spec.id, { spec, child, exited });
    return child.pid;
  }

  /** SIGTERM to every running node, SIGKILL to those still running after `graceMs`; waits (bounded). */
  async stopAll(graceMs: number, killWaitMs: number): Promise<void> {
    const all = [...this.#running.values()];
    for (const r of all) r.child.kill("SIGTERM");
    const stopped = await Promise.all(all.map((r) => exitsWithin(r.exited, graceMs)));
    const stubborn = all.filter((_, i) => !stopped[i]);
    for (const r of stubborn) {
      console.error(`${r.spec.id} (pid ${r.child.pid}) did not stop within ${graceMs} ms of SIGTERM; sending SIGKILL`);
      r.child.kill("SIGKILL");
    }
    await Promise.all(stubborn.map((r) => exitsWithin(r.exited, killWaitMs)));
  }
}
