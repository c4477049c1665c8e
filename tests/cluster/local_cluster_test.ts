/**
 * The local cluster launcher (`npm start`, scripts/local_cluster.ts) run as a child process on free
 * ports and a fresh data directory per test: strict flags and --help, ports checked before anything
 * starts, a node that cannot start, one node killed while the others keep serving and its restart
 * with the printed command, and the end of the launcher (SIGTERM, SIGKILL) taking every node with it.
 */
import { describe, expect } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { describeAnswer, httpJson, useBearerToken } from "../helpers/http_json.ts";
import { canBind, freePortRange, LauncherProcess, ShellProcess } from "../helpers/launcher_process.ts";
import { isRunning, waitUntilGone } from "../helpers/process_tree.ts";
import { slowIt } from "../helpers/slow_test.ts";
import { waitFor } from "../helpers/wait_for.ts";

/** Per-test deadline: generous, the machine may be loaded. */
const TEST_TIMEOUT_MS = 120_000;
/** How long nodes may take to exit once they should. */
const EXIT_WAIT_MS = 30_000;
/** How many times a launch is tried when one of its ports was taken meanwhile by someone else. */
const LAUNCH_ATTEMPTS = 3;

/** Every launcher and shell still running, killed if the test process exits first. */
const live = new Set<LauncherProcess | ShellProcess>();
process.on("exit", () => {
  for (const p of live) p.signal("SIGKILL");
});

/** What one test started: its data directory, launchers and shell commands; cleaned up at the end. */
class LauncherTest {
  readonly dataDir = mkdtempSync(join(tmpdir(), "raftbare-launcher-"));
  readonly launchers: LauncherProcess[] = [];
  readonly shells: ShellProcess[] = [];

  /** Starts the launcher with `args` (after --data-dir); not waited for. */
  spawn(args: readonly string[]): LauncherProcess {
    const launcher = new LauncherProcess(["--data-dir", this.dataDir, ...args]);
    this.launchers.push(launcher);
    live.add(launcher);
    return launcher;
  }

  /**
   * Starts the launcher on `nodes` free consecutive ports and waits until the cluster runs; a launch
   * that reports one of its ports taken (by someone else, meanwhile) is tried again on other ports.
   */
  async launch(nodes: number, args: readonly string[] = []): Promise<Launched> {
    for (let attempt = 1; ; attempt++) {
      const basePort = await freePortRange(nodes);
      const launcher = this.spawn(["--base-port", String(basePort), "--nodes", String(nodes), ...args]);
      const seen = await launcher.waitForOutput(
        /-node cluster running|Cannot start the cluster: port \d+ is in use/,
        "the cluster to run",
        90_000,
      );
      if (!seen[0].includes("is in use")) {
        // The launcher made the API tokens: this test's requests carry the admin token, as a user's do.
        const adminToken = readFileSync(join(this.dataDir, "admin-token"), "utf8").trim();
        for (let i = 0; i < nodes; i++) useBearerToken(`http://127.0.0.1:${basePort + i}`, adminToken);
        return new Launched(launcher, basePort, launcher.nodePids());
      }
      if (attempt >= LAUNCH_ATTEMPTS) throw new Error(`every launch found a port in use:\n${launcher.output}`);
      await launcher.waitForExit();
    }
  }

  /** Runs `command` with `sh -c` from the repository root. */
  shell(command: string): ShellProcess {
    const shell = new ShellProcess(command);
    this.shells.push(shell);
    live.add(shell);
    return shell;
  }

  /** Stops everything this test started and deletes the data directory. */
  async cleanUp(): Promise<void> {
    for (const launcher of this.launchers) await launcher.cleanUp(this.dataDir);
    for (const shell of this.shells) await shell.cleanUp();
    for (const p of [...this.launchers, ...this.shells]) live.delete(p);
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Everything the launchers and shells printed, for a failure report. */
  printOutput(reason: string): void {
    const parts = [...this.launchers, ...this.shells].map(
      (p) => `===== pid ${p.pid} ${JSON.stringify(p.status)}\n${p.output}`,
    );
    console.error(
      `\n----- launcher output (${reason}) -----\n${parts.join("\n")}\n----- end of launcher output -----\n`,
    );
  }
}

/** A launcher whose cluster runs. */
class Launched {
  constructor(
    readonly launcher: LauncherProcess,
    readonly basePort: number,
    readonly pids: ReadonlyMap<string, number>,
  ) {}

  /** The URL of node `id` (n1 listens on the base port). */
  url(id: string): string {
    return `http://127.0.0.1:${this.basePort + Number(id.slice(1)) - 1}`;
  }

  /** The pid of node `id` as the launcher reported it. */
  pid(id: string): number {
    const pid = this.pids.get(id);
    if (pid === undefined) throw new Error(`the launcher reported no pid for ${id}:\n${this.launcher.output}`);
    return pid;
  }
}

/** Registers a test that gets a fresh {@link LauncherTest}, cleaned up however the test ends. */
function launcherIt(name: string, body: (t: LauncherTest) => Promise<void>): void {
  let current: LauncherTest | undefined;
  slowIt(
    name,
    async () => {
      current = new LauncherTest();
      try {
        await body(current);
      } finally {
        await current.cleanUp();
      }
    },
    { timeoutMs: TEST_TIMEOUT_MS, onFailure: () => current?.printOutput(name) },
  );
}

/**
 * PUTs `key` through `url` until it answers 200 (a failover may be under way: no leader yet, or a
 * forward to the killed leader); the log index. The last answer is in the error if it never does.
 */
async function putEventually(url: string, key: string, value: string): Promise<number> {
  return await waitFor(
    async () => {
      const answer = await httpJson("PUT", `${url}/v1/kv/${key}`, { body: { value } });
      if (answer.status !== 200) throw new Error(`PUT ${key} through ${url}: ${describeAnswer(answer)}`);
      return answer.body.index as number;
    },
    { timeoutMs: 30_000, intervalMs: 100, what: `PUT ${key} through ${url} to answer 200` },
  );
}

/** Reads `key` through `url` (default consistency unless `stale`); expects 200 with `value`. */
async function expectValue(url: string, key: string, value: string, stale = false): Promise<void> {
  const answer = await httpJson("GET", `${url}/v1/kv/${key}${stale ? "?consistency=stale" : ""}`);
  if (answer.status !== 200 || answer.body.value !== value) {
    throw new Error(`GET ${key} through ${url}: expected '${value}', got ${describeAnswer(answer)}`);
  }
}

/** Holds 127.0.0.1:`port` until closed. */
function holdPort(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => resolve(server));
  });
}

/** The ports base … base + count - 1. */
function portsFrom(base: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => base + i);
}

/** The restart command the launcher printed for `id` after that node died. */
async function printedRestart(launcher: LauncherProcess, id: string): Promise<string> {
  const header = `To restart ${id}, run this from the repository root in another terminal:`;
  const match = await launcher.waitForOutput(new RegExp(`${header}\\n {2}(.+)\\n`), `the restart command of ${id}`);
  return match[1];
}

/**
 * Kills node `id` with SIGKILL and checks the launcher's report (the node, the signal, the survivors
 * and the restart command) while it keeps running; resolves with the printed restart command.
 */
async function killNodeAndReadRestart(run: Launched, id: string, survivors: string): Promise<string> {
  const pid = run.pid(id);
  process.kill(pid, "SIGKILL");
  await run.launcher.waitForOutput(
    new RegExp(`${id} \\(pid ${pid}\\) was killed by SIGKILL; ${survivors} keep running`),
    `the report that ${id} died`,
  );
  const command = await printedRestart(run.launcher, id);
  expect(run.launcher.status).toBeUndefined();
  return command;
}

/** Runs the printed restart command of `id` and waits until the node answers /livez; the shell. */
async function restartByHand(t: LauncherTest, run: Launched, command: string, id: string): Promise<ShellProcess> {
  const shell = t.shell(command);
  await waitFor(
    async () => {
      if (shell.status !== undefined) throw new Error(`the restart command exited: ${shell.output}`);
      return (await httpJson("GET", `${run.url(id)}/livez`, { timeoutMs: 2000 })).status === 200;
    },
    { timeoutMs: 60_000, intervalMs: 100, what: `${id} to come back after: ${command}` },
  ).catch((error) => {
    throw new Error(`${(error as Error).message}\n${shell.output}`);
  });
  return shell;
}

/** Waits until node `id` has the writes it missed (read locally, so from its own state). */
async function expectCaughtUp(run: Launched, id: string, writes: ReadonlyMap<string, string>): Promise<void> {
  for (const [key, value] of writes) {
    await waitFor(() => expectValue(run.url(id), key, value, true).then(() => true), {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: `${id} to catch up with ${key}`,
    });
  }
}

/** Sends SIGKILL to the launcher and checks that every node it started stops by itself. */
async function killLauncherAndExpectNodesGone(run: Launched, ids: readonly string[]): Promise<void> {
  run.launcher.signal("SIGKILL");
  expect((await run.launcher.waitForExit()).signal).toBe("SIGKILL");
  const pids = ids.map((id) => run.pid(id));
  const gone = await waitUntilGone(pids, EXIT_WAIT_MS);
  expect({ gone, stillRunning: pids.filter(isRunning) }).toEqual({ gone: true, stillRunning: [] });
  await run.launcher.waitForOutput(/the process that started this node exited; stopping/, "a node's exit line");
}

describe("npm start (scripts/local_cluster.ts): the command line and the ports", () => {
  launcherIt("--help prints the usage, exits 0 and starts nothing", async (t) => {
    const base = await freePortRange(3);
    const launcher = t.spawn(["--base-port", String(base), "--help"]);
    expect(await launcher.waitForExit()).toEqual({ code: 0, signal: null });
    expect(launcher.stdout).toContain("usage:");
    for (const flag of ["--nodes", "--base-port", "--data-dir", "--runtime", "--help"]) {
      expect(launcher.stdout).toContain(flag);
    }
    expect(launcher.nodePids().size).toBe(0);
    expect(readdirSync(t.dataDir)).toEqual([]);
    for (const port of portsFrom(base, 3)) expect({ port, free: await canBind(port) }).toEqual({ port, free: true });
  });

  launcherIt("an unknown flag or a bad value exits 2 with the message and the usage on stderr", async (t) => {
    const cases: Array<[string[], string]> = [
      [["--bogus"], "--bogus"],
      [["--nodes", "10"], "--nodes"],
      [["--base-port", "http"], "--base-port"],
      [["--runtime", "node"], "--runtime"],
      [["stray"], "stray"],
    ];
    for (const [args, named] of cases) {
      const launcher = t.spawn(args);
      expect({ args, exit: await launcher.waitForExit() }).toEqual({ args, exit: { code: 2, signal: null } });
      expect(launcher.stderr).toContain(named);
      expect(launcher.stderr).toContain("usage:");
      expect(launcher.nodePids().size).toBe(0);
    }
    expect(readdirSync(t.dataDir)).toEqual([]);
  });

  launcherIt("a port in use: exits 1 naming the port and --base-port, and binds none of the others", async (t) => {
    const base = await freePortRange(3);
    const held = await holdPort(base + 1);
    try {
      const launcher = t.spawn(["--base-port", String(base)]);
      expect(await launcher.waitForExit()).toEqual({ code: 1, signal: null });
      expect(launcher.stderr).toContain(`port ${base + 1} is in use`);
      expect(launcher.stderr).toContain("--base-port");
      expect(launcher.output).not.toContain("cluster running");
      expect(launcher.nodePids().size).toBe(0);
      for (const port of [base, base + 2]) expect({ port, free: await canBind(port) }).toEqual({ port, free: true });
    } finally {
      await new Promise((resolve) => held.close(resolve));
    }
  });
});

describe("npm start (scripts/local_cluster.ts): failures", () => {
  launcherIt("a node that cannot start fails the launch: exit 1, and the other nodes are stopped", async (t) => {
    writeFileSync(join(t.dataDir, "n2"), "a file where n2's data directory should be\n");
    const base = await freePortRange(3);
    const launcher = t.spawn(["--base-port", String(base)]);
    const exit = await launcher.waitForExit(90_000);
    expect(exit).toEqual({ code: 1, signal: null });
    expect(launcher.stderr).toMatch(/Cannot start the cluster: n2 \(pid \d+\) exited with code 1/);
    const pids = [...launcher.nodePids().values()];
    expect(pids.length).toBe(3);
    expect(pids.filter(isRunning)).toEqual([]);
  });

  launcherIt("when every node has died the launcher exits non-zero", async (t) => {
    const run = await t.launch(1);
    process.kill(run.pid("n1"), "SIGKILL");
    const exit = await run.launcher.waitForExit();
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(run.launcher.stderr).toContain("every node this launcher started has exited");
  });
});

describe("npm start (scripts/local_cluster.ts): a running cluster", () => {
  launcherIt(
    "kill -9 of one node: the others keep serving, the printed command restarts it and it catches up; SIGTERM stops all and exits 0",
    async (t) => {
      const run = await t.launch(3);
      expect(run.launcher.stdout).toContain("cluster bootstrapped");
      expect(run.launcher.stdout).toContain("Restart one node by hand");
      for (const name of ["cluster-token", "admin-token", "read-token"]) {
        expect((statSync(join(t.dataDir, name)).mode & 0o777).toString(8)).toBe("600");
      }
      // The lines the welcome suggests, run as printed: the token line, then each curl.
      const printed = run.launcher.stdout.split("\n").map((l) => l.trim());
      const tokenLine = printed.find((l) => l.startsWith("TOKEN="));
      const curls = printed.filter((l) => l.startsWith("curl "));
      expect(tokenLine).toBe(`TOKEN="$(cat ${join(t.dataDir, "admin-token")})"`);
      expect(curls.length).toBe(3);
      for (const curl of curls) {
        const tried = t.shell(`${tokenLine}\n${curl.replace(/^curl /, "curl --max-time 10 ")}`);
        const exit = await tried.waitForExit();
        expect({ curl, code: exit.code }).toEqual({ curl, code: 0 });
        expect(JSON.parse(tried.stdout).error).toBeUndefined();
      }
      await expectValue(run.url("n2"), "greeting", "hello");
      // The dashboard the welcome points at (README: open it after npm start).
      const dashboard = printed.find((l) => l.startsWith("Dashboard: "))?.split(/\s+/)[1];
      expect(dashboard).toBe(`${run.url("n1")}/ui`);
      const page = await fetch(dashboard as string, { signal: AbortSignal.timeout(10_000) });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<script type="module" src="/ui/assets/app.js"></script>');

      const command = await killNodeAndReadRestart(run, "n2", "n1, n3");
      expect(command).toContain("npx bun src/main.ts --id n2");
      const missed = new Map([
        ["while-n2-down-1", "a"],
        ["while-n2-down-2", "b"],
      ]);
      await putEventually(run.url("n1"), "while-n2-down-1", "a");
      const lastIndex = await putEventually(run.url("n3"), "while-n2-down-2", "b");
      await expectValue(run.url("n3"), "while-n2-down-1", "a");

      const shell = await restartByHand(t, run, command, "n2");
      await expectCaughtUp(run, "n2", missed);
      const status = await httpJson("GET", `${run.url("n2")}/v1/status`);
      expect(status.body.appliedIndex).toBeGreaterThanOrEqual(lastIndex);
      await putEventually(run.url("n2"), "after-restart", "c");
      await expectValue(run.url("n1"), "after-restart", "c");
      expect(shell.nodePid()).toBeDefined();

      run.launcher.signal("SIGTERM");
      expect(await run.launcher.waitForExit()).toEqual({ code: 0, signal: null });
      expect([run.pid("n1"), run.pid("n3")].filter(isRunning)).toEqual([]);
    },
  );

  launcherIt(
    "run again on its data, the cluster restarts without a second bootstrap and keeps every write",
    async (t) => {
      const run = await t.launch(3);
      await putEventually(run.url("n2"), "kept", "across restarts");
      run.launcher.signal("SIGTERM");
      expect(await run.launcher.waitForExit()).toEqual({ code: 0, signal: null });
      // The same ports: the members' addresses are stored in the log.
      const again = t.spawn(["--base-port", String(run.basePort), "--nodes", "3"]);
      await again.waitForOutput(/-node cluster running/, "the cluster to run again", 90_000);
      expect(again.stdout).toContain("restarted from the existing data");
      expect(again.stdout).not.toContain("cluster bootstrapped");
      for (const id of ["n1", "n2", "n3"]) await expectValue(run.url(id), "kept", "across restarts");
      await putEventually(run.url("n3"), "after", "restart");
    },
  );

  launcherIt("SIGKILL of the launcher: every Bun node it started stops by itself", async (t) => {
    const run = await t.launch(3);
    await putEventually(run.url("n1"), "k", "v");
    await killLauncherAndExpectNodesGone(run, ["n1", "n2", "n3"]);
  });

  launcherIt(
    "--runtime deno: a killed node restarts with the printed deno command; SIGKILL of the launcher stops the Deno nodes",
    async (t) => {
      const run = await t.launch(3, ["--runtime", "deno"]);
      const status = await httpJson("GET", `${run.url("n1")}/v1/status`);
      expect(status.body.runtime.name).toBe("deno");
      const command = await killNodeAndReadRestart(run, "n3", "n1, n2");
      expect(command).toContain("npx deno run --allow-all src/main.ts --id n3");
      await putEventually(run.url("n1"), "while-n3-down", "x");
      await restartByHand(t, run, command, "n3");
      await expectCaughtUp(run, "n3", new Map([["while-n3-down", "x"]]));
      await killLauncherAndExpectNodesGone(run, ["n1", "n2"]);
    },
  );
});
