/**
 * Runs the `sh` blocks of a guide as a reader would, in a directory laid out like the repository
 * root after `npm start`: each command in `sh -c` after the setup lines before it in its block
 * (`TOKEN="$(cat data/admin-token)"`), with the guide's ports (7001…) rewritten to the test's; a
 * command that starts a node runs in the background (the reader's other terminal) until the test
 * ends, and is waited for until it answers `/livez`. Every process it starts is stopped by pid.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commandKind, type GuideBlock } from "./guide_blocks.ts";
import { ShellProcess } from "./launcher_process.ts";
import { REPO_ROOT } from "./process_cluster.ts";
import { type Run, runShell } from "./readme_shell.ts";
import { waitFor } from "./wait_for.ts";

/** What the reader's checkout offers the guide's commands: the code, package.json for `npm run`, node_modules for `npx`. */
const CHECKOUT_ENTRIES = ["src", "packages", "schemas", "routes", "node_modules", "package.json", "deno.json"];

/** The tokens `npm start` makes under `data/`. */
export interface GuideTokens {
  readonly cluster: string;
  readonly admin: string;
  readonly read: string;
}

/**
 * A fresh directory that looks like the repository root after `npm start` to the guide's commands:
 * links to the checkout's code and packages, and `data/` with the three token files (owner-only).
 */
export function guideWorkDir(tokens: GuideTokens): string {
  const dir = mkdtempSync(join(tmpdir(), "raftbare-guide-"));
  for (const entry of CHECKOUT_ENTRIES) symlinkSync(join(REPO_ROOT, entry), join(dir, entry));
  mkdirSync(join(dir, "data"), { mode: 0o700 });
  for (const [name, token] of [
    ["cluster-token", tokens.cluster],
    ["admin-token", tokens.admin],
    ["read-token", tokens.read],
  ]) {
    writeFileSync(join(dir, "data", name), `${token}\n`, { mode: 0o600 });
  }
  return dir;
}

/** `command` with each guide port replaced by the test's (an unknown port is an error) and a curl time limit. */
export function localizeGuide(command: string, ports: ReadonlyMap<number, number>): string {
  const rewritten = command.replace(/127\.0\.0\.1:(\d+)/g, (_all, port: string) => {
    const mapped = ports.get(Number(port));
    if (mapped === undefined) throw new Error(`unexpected port ${port} in: ${command}`);
    return `127.0.0.1:${mapped}`;
  });
  return rewritten.replace(/^curl /, "curl --max-time 15 ");
}

/** How long a node started by a guide command may take to answer `/livez`. */
const NODE_START_MS = 30_000;

/** Runs guide blocks in `cwd` with `ports`; call {@link GuideRunner.cleanUp} at the end. */
export class GuideRunner {
  readonly cwd: string;
  readonly ports: ReadonlyMap<number, number>;
  readonly #nodes: ShellProcess[] = [];

  /** A runner in `cwd` (see {@link guideWorkDir}) mapping guide ports to the test's. */
  constructor(cwd: string, ports: ReadonlyMap<number, number>) {
    this.cwd = cwd;
    this.ports = ports;
  }

  /**
   * Runs every command of `block` in order and resolves with the outcome of each command that is
   * neither setup nor a node start. Throws, naming the block, when a command exits non-zero or a
   * node does not come up.
   */
  async runBlock(block: GuideBlock): Promise<Run[]> {
    const setup: string[] = [];
    const runs: Run[] = [];
    for (const command of block.commands) {
      const local = localizeGuide(command, this.ports);
      const kind = commandKind(command);
      if (kind === "setup") setup.push(local);
      else if (kind === "node") await this.#startNode(local, setup);
      else {
        const run = await runShell(local, { setup, cwd: this.cwd });
        if (run.code !== 0) {
          throw new Error(
            `block ${block.name} (line ${block.line}): exit ${run.code}: ${local}\n${run.stdout}\n${run.stderr}`,
          );
        }
        runs.push(run);
      }
    }
    return runs;
  }

  /** Everything the nodes started by guide commands printed. */
  nodeOutput(): string {
    return this.#nodes.map((n) => `===== pid ${n.pid}: ${commandOf(n)}\n${n.output}`).join("\n");
  }

  /** Stops every node a guide command started (and the processes below its shell), by pid. */
  async cleanUp(): Promise<void> {
    await Promise.all(this.#nodes.map((n) => n.cleanUp()));
  }

  /** Removes the work directory (after {@link GuideRunner.cleanUp}). */
  removeWorkDir(): void {
    rmSync(this.cwd, { recursive: true, force: true });
  }

  async #startNode(command: string, setup: readonly string[]): Promise<void> {
    const port = /--listen 127\.0\.0\.1:(\d+)/.exec(command)?.[1];
    if (port === undefined) throw new Error(`a node start without --listen 127.0.0.1:PORT: ${command}`);
    const shell = new ShellProcess([...setup, command].join("\n"), this.cwd);
    this.#nodes.push(shell);
    const state = await waitFor(
      async () => {
        if (shell.status !== undefined) return "exited";
        const res = await fetch(`http://127.0.0.1:${port}/livez`, { signal: AbortSignal.timeout(2000) });
        await res.body?.cancel();
        return res.status === 200 ? "live" : undefined;
      },
      { timeoutMs: NODE_START_MS, intervalMs: 100, what: `the node of '${command}' to answer /livez` },
    );
    if (state === "exited") throw new Error(`'${command}' exited (${JSON.stringify(shell.status)}):\n${shell.output}`);
  }
}

function commandOf(shell: ShellProcess): string {
  return shell.child.spawnargs.slice(2).join(" ");
}
