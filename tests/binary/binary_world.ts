/**
 * The README's "Single binary and containers" commands, run as a reader would: the build in the
 * checkout, then the executable copied alone into a fresh home directory outside the repository and
 * run there, in an environment that names neither the repository nor node_modules. A node start
 * (a line ending in `&`) runs in its own `sh -c '… exec <line>'`, so its pid is the node's and the
 * test stops it by that pid.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BINARY_PATH } from "../../scripts/build_binary/layout.ts";
import { commandKind } from "../helpers/guide_blocks.ts";
import { localizeGuide } from "../helpers/guide_runner.ts";
import { httpJson } from "../helpers/http_json.ts";
import { CapturedProcess } from "../helpers/launcher_process.ts";
import { REPO_ROOT } from "../helpers/process_cluster.ts";
import { commandLineOf, stopPids } from "../helpers/process_tree.ts";
import type { Run } from "../helpers/readme_shell.ts";
import { waitFor } from "../helpers/wait_for.ts";

/** The README's build command; the test runs the same script with the checkout's Bun. */
export const BUILD_COMMAND = "npx bun scripts/build_binary.ts";
/** How long the build may take on a loaded machine (a healthy one needs seconds). */
const BUILD_TIMEOUT_MS = 300_000;
/** How long any other README command may take (the copy of about 110 MB included). */
const COMMAND_TIMEOUT_MS = 60_000;
/** How long a node may take to answer `/livez` after its start. */
const NODE_START_MS = 60_000;

let build: Promise<Run> | undefined;

/** Runs the build script once per test run (later calls share the first build's outcome). */
export function buildOnce(): Promise<Run> {
  build ??= new Promise((resolve, reject) => {
    const bun = join(REPO_ROOT, "node_modules", ".bin", "bun");
    execFile(
      bun,
      ["scripts/build_binary.ts"],
      { cwd: REPO_ROOT, timeout: BUILD_TIMEOUT_MS },
      (error, stdout, stderr) => {
        if (error !== null) reject(new Error(`${BUILD_COMMAND} failed: ${error.message}\n${stdout}\n${stderr}`));
        else resolve({ command: BUILD_COMMAND, code: 0, stdout, stderr });
      },
    );
  });
  return build;
}

/** `command` without a trailing `# comment`. */
export function withoutComment(command: string): string {
  return command.replace(/\s+#.*$/, "");
}

/** What a README command may do: set the shell up, start a node in the background, stop the nodes, or run. */
export type BinaryCommandKind = "setup" | "node" | "stop" | "command";

/** The kind of a command of the README's binary blocks. */
export function binaryCommandKind(command: string): BinaryCommandKind {
  if (commandKind(command) === "setup" || /^cd \S+$/.test(command)) return "setup";
  if (/^\.\/raftbare-ts-node .*&$/.test(command)) return "node";
  if (/^kill %/.test(command)) return "stop";
  return "command";
}

/** Runs `command` with `sh -c` after `setup` in `cwd` with exactly `env`; never rejects. */
function shell(command: string, setup: readonly string[], cwd: string, env: Record<string, string>): Promise<Run> {
  const script = [...setup, command].join("\n");
  return new Promise((resolve) => {
    execFile("sh", ["-c", script], { cwd, env, timeout: COMMAND_TIMEOUT_MS }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
      resolve({ command, code, stdout, stderr });
    });
  });
}

/** A node started by a README line: its process (the pid is the node's own) and its port. */
export interface StartedNode {
  readonly process: CapturedProcess;
  readonly port: number;
}

/** The README's binary blocks in a fresh home directory; call {@link BinaryWorld.cleanUp} at the end. */
export class BinaryWorld {
  /** `HOME` of every command: a fresh directory outside the repository. */
  readonly home = realpathSync(mkdtempSync(join(tmpdir(), "raftbare-binary-home-")));
  /** The nodes started so far, in start order. */
  readonly nodes: StartedNode[] = [];
  #prepared: Promise<Run[]> | undefined;

  /** The environment of every command: a system PATH, the fresh HOME, no colours; nothing names the repository. */
  env(): Record<string, string> {
    const env = { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: this.home, NO_COLOR: "1" };
    for (const [name, value] of Object.entries(env)) {
      if (value.includes(REPO_ROOT) || value.includes("node_modules")) throw new Error(`${name} names the repository`);
    }
    return env;
  }

  /** Runs the build block once (the build, then each other line in the checkout); the runs, in order. */
  prepare(commands: readonly string[]): Promise<Run[]> {
    this.#prepared ??= (async () => {
      const runs: Run[] = [];
      for (const command of commands) {
        const isBuild = withoutComment(command) === BUILD_COMMAND;
        const run = isBuild ? await buildOnce() : await shell(command, [], REPO_ROOT, this.env());
        if (run.code !== 0) throw new Error(`exit ${run.code}: ${command}\n${run.stdout}\n${run.stderr}`);
        runs.push(run);
      }
      return runs;
    })();
    return this.#prepared;
  }

  /**
   * Runs the run block in the home directory with `ports` in place of the README's: setup lines
   * prefix every later command, node lines start nodes (each waited for until it answers
   * `/livez`), other lines must exit 0. `beforeStop` runs while the nodes still run, before the
   * block's stop line, which the test carries out by pid. Resolves with the other lines' runs.
   */
  async runBlock(
    commands: readonly string[],
    ports: ReadonlyMap<number, number>,
    beforeStop: () => Promise<void>,
  ): Promise<Run[]> {
    const setup: string[] = [];
    const runs: Run[] = [];
    for (const command of commands) {
      const local = localizeGuide(command, ports);
      const kind = binaryCommandKind(command);
      if (kind === "setup") setup.push(local);
      else if (kind === "node") await this.#startNode(local, setup);
      else if (kind === "stop") {
        await beforeStop();
        await this.stopNodes();
      } else {
        // The README waits with curl's retries (30 s); a loaded machine gets longer first.
        if (command.includes("/readyz")) await this.#waitReady();
        const run = await shell(local, setup, this.home, this.env());
        if (run.code !== 0) throw new Error(`exit ${run.code}: ${local}\n${run.stdout}\n${run.stderr}`);
        runs.push(run);
      }
    }
    return runs;
  }

  /** Runs `command` in the home directory with {@link BinaryWorld.env}; throws unless it exits 0. */
  async run(command: string): Promise<Run> {
    const run = await shell(command, [], this.home, this.env());
    if (run.code !== 0) throw new Error(`exit ${run.code}: ${command}\n${run.stdout}\n${run.stderr}`);
    return run;
  }

  /** SIGTERM to every node still running, by pid, and waits (bounded) for each to exit. */
  async stopNodes(): Promise<void> {
    await stopPids(this.nodes.filter((n) => n.process.status === undefined).map((n) => n.process.pid));
    await Promise.all(this.nodes.map((n) => n.process.waitForExit(10_000)));
  }

  /** Everything the nodes printed. */
  nodeOutput(): string {
    return this.nodes.map((n) => `===== port ${n.port} (pid ${n.process.pid})\n${n.process.output}`).join("\n");
  }

  /** Stops every node still running, by pid, and removes the home directory. */
  async cleanUp(): Promise<void> {
    await stopPids(this.nodes.filter((n) => n.process.status === undefined).map((n) => n.process.pid));
    rmSync(this.home, { recursive: true, force: true });
  }

  async #waitReady(): Promise<void> {
    for (const node of this.nodes) {
      await waitFor(
        async () => (await httpJson("GET", `http://127.0.0.1:${node.port}/readyz`, { timeoutMs: 2000 })).status === 200,
        { timeoutMs: NODE_START_MS, intervalMs: 100, what: `the node on port ${node.port} to answer /readyz 200` },
      );
    }
  }

  async #startNode(command: string, setup: readonly string[]): Promise<void> {
    const port = Number(/--listen 127\.0\.0\.1:(\d+)/.exec(command)?.[1]);
    if (!Number.isInteger(port)) throw new Error(`a node start without --listen 127.0.0.1:PORT: ${command}`);
    const script = [...setup, `exec ${command.replace(/\s*&$/, "")}`].join("\n");
    const node = { process: new CapturedProcess("sh", ["-c", script], this.home, this.env()), port };
    this.nodes.push(node);
    const state = await waitFor(
      async () => {
        if (node.process.status !== undefined) return "exited";
        return (await httpJson("GET", `http://127.0.0.1:${port}/livez`, { timeoutMs: 2000 })).status === 200 && "live";
      },
      { timeoutMs: NODE_START_MS, intervalMs: 100, what: `the node of '${command}' to answer /livez` },
    );
    if (state === "exited")
      throw new Error(`'${command}' exited (${JSON.stringify(node.process.status)}):\n${node.process.output}`);
    const cmdline = commandLineOf(node.process.pid);
    if (!cmdline.includes("raftbare-ts-node"))
      throw new Error(`pid ${node.process.pid} runs '${cmdline}', not the node`);
  }
}

/** The path of the executable the build writes, absolute. */
export const BUILT_BINARY = join(REPO_ROOT, BINARY_PATH);
