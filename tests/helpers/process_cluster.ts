/**
 * A cluster of real node processes on loopback for multi-process tests: free ports, one fresh temp
 * data directory per node, a random cluster token, captured output, bootstrap, leader agreement,
 * kill -9 by pid, restart on the same port and data directory, and cleanup.
 * Only processes started here are ever signalled.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { type AddressInfo, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import type { FollowerProgressStatus } from "../../src/server/service.ts";
import { type ClientFetch, outboundClients } from "../../src/transport/mod.ts";
import { describeAnswer, forgetBearerToken, httpJson, useBearerToken } from "./http_json.ts";
import { delay, waitFor, within } from "./wait_for.ts";

/** The runtime a node process runs on. */
export type NodeRuntime = "bun" | "deno";

/** The repository root (node processes run from here so `src/main.ts` and deno.json resolve). */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** One follower's progress in `GET /v1/status` (on the leader), as the service reports it. */
export type FollowerProgressBody = FollowerProgressStatus;

/** The fields of `GET /v1/status` the tests use. */
export interface NodeStatusBody {
  readonly id: string;
  readonly url: string;
  readonly role: "follower" | "precandidate" | "candidate" | "leader";
  readonly term: number;
  readonly leader: { readonly id: string; readonly url: string } | null;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly lastIndex: number;
  readonly snapshotIndex: number;
  readonly members: ReadonlyArray<{ readonly id: string; readonly url: string; readonly role: string }>;
  /** On the leader, one entry per follower; empty elsewhere. */
  readonly progress: ReadonlyArray<FollowerProgressBody>;
  readonly options: { readonly preVote: boolean; readonly checkQuorum: boolean };
  readonly runtime: { readonly name: string; readonly version: string };
}

/** Settings of a {@link ProcessCluster}; every timer is configurable. */
export interface ProcessClusterOptions {
  /** One entry per node (ids n1, n2, …). */
  readonly runtimes: readonly NodeRuntime[];
  /** Base election timeout (default 500 ms; followers wait a random time in [base, 2 × base)). */
  readonly electionTimeoutMs?: number;
  /** Leader heartbeat interval (default 50 ms). */
  readonly heartbeatMs?: number;
  /** Snapshot every this many applied entries (default: the node's own default). */
  readonly snapshotEvery?: number;
  /** How long a write or read may wait inside a node (default 5000 ms). */
  readonly requestTimeoutMs?: number;
  /** How long a node may take to answer /livez after it is spawned (default 30 000 ms). */
  readonly startTimeoutMs?: number;
  /** How long to wait for a leader every node agrees on (default 20 000 ms). */
  readonly leaderTimeoutMs?: number;
  /** More flags for a node, after the cluster's own (e.g. `--bootstrap`). */
  readonly extraArgs?: (node: ClusterNode) => readonly string[];
  /** More environment variables for a node (e.g. the storage fault hook's `RAFT_TEST_STORAGE_FAULTS`). */
  readonly env?: (node: ClusterNode) => Readonly<Record<string, string>>;
  /** The nodes' log level (default info). */
  readonly logLevel?: "debug" | "info" | "warn" | "error";
  /** How many of the nodes (the first ones) `bootstrap()` makes voters; the rest start empty, as spares (default all). */
  readonly voters?: number;
  /** Where node `id` keeps its data (created empty at start, deleted by `stop()`); default a fresh temp directory. */
  readonly dataDirOf?: (id: string) => string;
  /** Serve https and wss with these PEM files; the nodes, and this cluster's own requests, trust `caFile`. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly caFile: string };
}

/** Most output kept per node (older output is dropped first). */
const MAX_LOG_CHARS = 1_000_000;
/** How many times a start is tried when its port turns out to be taken. */
const START_ATTEMPTS = 3;
/** What Bun and Deno print when the listen address is taken. */
const PORT_IN_USE = /EADDRINUSE|AddrInUse|address already in use|Is port \d+ in use/i;
/** How long a signalled process may take to exit. */
const EXIT_DEADLINE_MS = 5_000;

/** Every child spawned here that has not exited yet: killed if the test process exits first. */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of liveChildren) if (child.pid !== undefined) signalPid(child.pid, "SIGKILL");
  });
}

/** Sends `signal` to `pid`; false if there is no such process any more. */
function signalPid(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Calls `onLine` with each complete line of a stream's chunks (a trailing partial line waits for the next chunk). */
function lineSplitter(onLine: (line: string) => void): { push(chunk: Buffer | string): void; flush(): void } {
  let partial = "";
  return {
    push(chunk) {
      const lines = (partial + String(chunk)).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) onLine(line);
    },
    flush() {
      if (partial !== "") onLine(partial);
      partial = "";
    },
  };
}

/** Listens on 127.0.0.1 port 0 and resolves with the server once it is bound. */
function listenOnFreePort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

/**
 * `count` distinct free loopback ports: binds port 0 that many times (all bound at once, so the
 * ports differ), reads the ports and closes the sockets.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listenOnFreePort());
    return servers.map((s) => (s.address() as AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

/** The executable and leading arguments that run `src/main.ts` on `runtime`. */
export function nodeCommand(runtime: NodeRuntime): { bin: string; args: string[] } {
  const bin = join(REPO_ROOT, "node_modules", ".bin", runtime);
  if (runtime === "bun") return { bin, args: ["src/main.ts"] };
  const permissions = ["--allow-net", "--allow-env", "--allow-read", "--allow-write", "--allow-sys"];
  return { bin, args: ["run", ...permissions, "src/main.ts"] };
}

/** The environment of a node: ours without any `RAFT_*` setting (flags say everything), no colours, then `extra`. */
function nodeEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith("RAFT_")) env[name] = value;
  }
  env.NO_COLOR = "1";
  return { ...env, ...extra };
}

/** The last {@link MAX_LOG_CHARS} characters of `text`. */
function bounded(text: string): string {
  return text.length > MAX_LOG_CHARS ? text.slice(text.length - MAX_LOG_CHARS) : text;
}

/** One node process of a {@link ProcessCluster}: its address, data directory, process and output. */
export class ClusterNode {
  readonly id: string;
  readonly runtime: NodeRuntime;
  readonly port: number;
  /** `http://127.0.0.1:<port>` (`https://` with `fetch`). */
  readonly url: string;
  /** The node's data directory (kept across restarts). */
  readonly dataDir: string;
  /** The fetch that reaches a node served over TLS (it trusts the cluster's CA); undefined: plain http. */
  readonly fetch: ClientFetch | undefined;
  #child: ChildProcess | null = null;
  #alive = false;
  #exited: Promise<void> = Promise.resolve();
  #exitCode: number | null = null;
  #starts = 0;
  #log = "";
  #lastStart = "";
  #stderr = "";

  /** A node that is not started yet; `dataDir` must exist. With `fetch`, the node is served over https. */
  constructor(id: string, runtime: NodeRuntime, port: number, dataDir: string, fetch?: ClientFetch) {
    this.id = id;
    this.runtime = runtime;
    this.port = port;
    this.url = `${fetch === undefined ? "http" : "https"}://127.0.0.1:${port}`;
    this.dataDir = dataDir;
    this.fetch = fetch;
  }

  /** The pid of the current process, if it is running. */
  get pid(): number | undefined {
    return this.running ? this.#child?.pid : undefined;
  }

  /** True while the process spawned last has not exited. */
  get running(): boolean {
    return this.#alive;
  }

  /** Everything the node printed (stdout and stderr of every start), oldest first. */
  get output(): string {
    return this.#log;
  }

  /** What the node printed on stderr (every start, line by line, bounded like {@link ClusterNode.output}). */
  get errorOutput(): string {
    return this.#stderr;
  }

  /** What the process spawned last printed so far (bounded like {@link ClusterNode.output}). */
  get lastStartOutput(): string {
    return this.#lastStart;
  }

  /** Appends a line to the captured output (bounded; the oldest output goes first). */
  note(text: string): void {
    const line = text.endsWith("\n") ? text : `${text}\n`;
    this.#log = bounded(this.#log + line);
    this.#lastStart = bounded(this.#lastStart + line);
  }

  /** Spawns the node process with `args` after the runtime's own arguments, and `env` added to the environment. */
  spawn(args: readonly string[], env: Readonly<Record<string, string>> = {}): void {
    if (this.running) throw new Error(`${this.id} is already running (pid ${this.pid})`);
    this.#exitCode = null;
    installExitHook();
    const { bin, args: lead } = nodeCommand(this.runtime);
    const start = ++this.#starts;
    this.#lastStart = "";
    const child = spawn(bin, [...lead, ...args], {
      cwd: REPO_ROOT,
      env: nodeEnv(env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#child = child;
    this.#alive = true;
    liveChildren.add(child);
    this.note(`--- ${this.id} start #${start} (${this.runtime}, pid ${child.pid ?? "?"}) on ${this.url}`);
    const streams = [child.stdout, child.stderr].map((stream) => {
      const lines = lineSplitter((line) => {
        this.note(line);
        if (stream === child.stderr) this.#stderr = bounded(`${this.#stderr}${line}\n`);
      });
      stream?.on("data", (chunk: Buffer) => lines.push(chunk));
      return lines;
    });
    this.#exited = new Promise((resolve) => {
      const ended = (how: string) => {
        liveChildren.delete(child);
        if (this.#child === child) this.#alive = false;
        for (const lines of streams) lines.flush();
        this.note(`--- ${this.id} start #${start} ${how}`);
        resolve();
      };
      child.once("exit", (code, signal) => {
        this.#exitCode = code;
        ended(`exited (${signal ?? `code ${code}`})`);
      });
      child.once("error", (error) => ended(`failed to spawn: ${error.message}`));
    });
  }

  /** Waits (bounded) until the process spawned last exits by itself; resolves with its exit code (null: still running or killed by a signal). */
  async waitExit(deadlineMs: number): Promise<number | null> {
    return await within(
      this.#exited.then(() => this.#exitCode),
      deadlineMs,
      null,
    );
  }

  /** Sends `signal` to the running process by its pid and waits (bounded) until it exited. */
  async signal(signal: "SIGKILL" | "SIGTERM", deadlineMs = EXIT_DEADLINE_MS): Promise<boolean> {
    const pid = this.pid;
    if (pid === undefined) return true;
    signalPid(pid, signal); // A process that is gone already still reports its exit.
    return await within(
      this.#exited.then(() => true),
      deadlineMs,
      false,
    );
  }

  /** Pauses the running process (SIGSTOP by its pid): it answers nobody, its timers fall behind. */
  pause(): void {
    const pid = this.pid;
    if (pid === undefined) throw new Error(`${this.id} is not running`);
    signalPid(pid, "SIGSTOP");
    this.note(`--- ${this.id} paused (SIGSTOP)`);
  }

  /** Resumes a paused process (SIGCONT). */
  resume(): void {
    const pid = this.pid;
    if (pid === undefined) throw new Error(`${this.id} is not running`);
    signalPid(pid, "SIGCONT");
    this.note(`--- ${this.id} resumed (SIGCONT)`);
  }

  /** Waits until `GET /livez` answers 200; fails early if the process exits. */
  async waitLive(timeoutMs: number): Promise<void> {
    await waitFor(
      async () => {
        if (!this.running) return "exited";
        const answer = await httpJson("GET", `${this.url}/livez`, { timeoutMs: 2000, fetch: this.fetch });
        return answer.status === 200 ? "live" : undefined;
      },
      { timeoutMs, intervalMs: 50, what: `${this.id} (${this.runtime}) to answer GET /livez` },
    ).then((state) => {
      if (state === "exited") throw new Error(`${this.id} exited before it answered /livez:\n${this.output}`);
    });
  }

  /** This node's `GET /v1/status`. */
  async status(): Promise<NodeStatusBody> {
    const answer = await httpJson("GET", `${this.url}/v1/status`, { timeoutMs: 3000, fetch: this.fetch });
    if (answer.status !== 200) throw new Error(`GET /v1/status on ${this.id}: ${describeAnswer(answer)}`);
    return answer.body as NodeStatusBody;
  }
}

/** A cluster of node processes; create it, `start()`, `bootstrap()`, and `stop()` in afterAll. */
export class ProcessCluster {
  readonly options: ProcessClusterOptions;
  /** A fresh random cluster token. */
  readonly token = randomBytes(18).toString("base64url");
  /** A fresh random admin token of the API; `httpJson` sends it to every node of this cluster. */
  readonly adminToken = randomBytes(18).toString("base64url");
  readonly nodes: ClusterNode[] = [];
  /** With `tls`: the fetch that trusts the cluster's CA (the nodes' own client settings); else undefined. */
  readonly fetch: ClientFetch | undefined;

  /** A cluster that is not started yet. */
  constructor(options: ProcessClusterOptions) {
    this.options = options;
    const tls = options.tls;
    this.fetch = tls === undefined ? undefined : outboundClients(readFileSync(tls.caFile, "utf8")).fetch;
  }

  /**
   * Allocates ports and data directories, spawns every node and waits until each answers /livez.
   * A port taken by someone else between allocation and bind starts everything again on fresh
   * ports (a bounded number of times).
   */
  async start(): Promise<void> {
    if (this.nodes.length > 0) throw new Error("the cluster was started already");
    for (let attempt = 1; ; attempt++) {
      const ports = await freePorts(this.options.runtimes.length);
      this.options.runtimes.forEach((runtime, i) => {
        const id = `n${i + 1}`;
        const dataDir = this.#makeDataDir(id);
        const node = new ClusterNode(id, runtime, ports[i], dataDir, this.fetch);
        this.nodes.push(node);
        useBearerToken(node.url, this.adminToken);
      });
      try {
        for (const node of this.nodes) node.spawn(this.#args(node), this.options.env?.(node));
        await Promise.all(this.nodes.map((node) => node.waitLive(this.#startTimeoutMs)));
        return;
      } catch (error) {
        const portTaken = this.nodes.some((n) => !n.running && PORT_IN_USE.test(n.lastStartOutput));
        if (!portTaken || attempt >= START_ATTEMPTS) throw error;
        await this.stop();
        this.nodes.length = 0;
      }
    }
  }

  /** The node with this id. */
  node(id: string): ClusterNode {
    const node = this.nodes.find((n) => n.id === id);
    if (node === undefined) throw new Error(`no node ${id} in this cluster`);
    return node;
  }

  /** The nodes whose process is running. */
  get running(): ClusterNode[] {
    return this.nodes.filter((n) => n.running);
  }

  /** The nodes `bootstrap()` makes voters (the first `voters` of them, default all). */
  get founders(): ClusterNode[] {
    return this.nodes.slice(0, this.options.voters ?? this.nodes.length);
  }

  /** `POST /v1/cluster` on the first node with every founder (see `voters`) as a voter; expects 201. */
  async bootstrap(): Promise<void> {
    const members = this.founders.map((n) => ({ id: n.id, url: n.url }));
    const answer = await httpJson("POST", `${this.nodes[0].url}/v1/cluster`, { body: { members }, fetch: this.fetch });
    if (answer.status !== 201) throw new Error(`bootstrap on ${this.nodes[0].id}: ${describeAnswer(answer)}`);
  }

  /**
   * Waits until every node of `among` (default: every running founder) reports the same leader, that
   * leader is one of them and it reports itself as leader; resolves with the leader.
   */
  async waitForLeader(
    among: readonly ClusterNode[] = this.founders.filter((n) => n.running),
    timeoutMs?: number,
  ): Promise<ClusterNode> {
    const ids = among.map((n) => n.id).join(", ");
    return await waitFor(
      async () => {
        const statuses = await Promise.all(among.map((n) => n.status()));
        const leaderId = statuses[0].leader?.id;
        if (leaderId === undefined || statuses.some((s) => s.leader?.id !== leaderId)) return undefined;
        const leader = among.find((n) => n.id === leaderId);
        const leaderStatus = statuses[among.findIndex((n) => n.id === leaderId)];
        return leader !== undefined && leaderStatus.role === "leader" ? leader : undefined;
      },
      {
        timeoutMs: timeoutMs ?? this.options.leaderTimeoutMs ?? 20_000,
        intervalMs: 100,
        what: `one leader among ${ids}`,
      },
    );
  }

  /**
   * Waits until every running node lists every node of the cluster as a voter with its URL (a node
   * learns the URLs it was not told at bootstrap from the replicated member directory).
   */
  async waitForMembers(timeoutMs = 10_000): Promise<void> {
    const expected = JSON.stringify(this.founders.map((n) => [n.id, n.url, "voter"]));
    await waitFor(
      async () => {
        const statuses = await Promise.all(this.founders.filter((n) => n.running).map((n) => n.status()));
        const lists = statuses.map((s) => JSON.stringify(s.members.map((m) => [m.id, m.url, m.role])));
        return lists.every((list) => list === expected) || undefined;
      },
      { timeoutMs, intervalMs: 50, what: `every node to list the members ${expected}` },
    );
  }

  /** Waits until `node` has applied at least `index`; resolves with its status. */
  async waitForApplied(node: ClusterNode, index: number, timeoutMs = 20_000): Promise<NodeStatusBody> {
    return await waitFor(
      async () => {
        const status = await node.status();
        return status.appliedIndex >= index ? status : undefined;
      },
      { timeoutMs, intervalMs: 50, what: `${node.id} to apply index ${index}` },
    );
  }

  /** kill -9 of the node's process by its pid; resolves once it exited. */
  async kill(node: ClusterNode): Promise<void> {
    const pid = node.pid;
    if (pid === undefined) throw new Error(`${node.id} is not running`);
    node.note(`--- the test sends SIGKILL to ${node.id} (pid ${pid})`);
    if (!(await node.signal("SIGKILL"))) throw new Error(`${node.id} (pid ${pid}) did not exit after SIGKILL`);
  }

  /** The flags the cluster starts `node` with. */
  argsOf(node: ClusterNode): string[] {
    return this.#args(node);
  }

  /**
   * Starts a stopped node again on the same port and data directory and waits for /livez; if the
   * port is briefly taken by someone else, tries again (a bounded number of times).
   */
  async restart(node: ClusterNode, extraArgs: readonly string[] = []): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      node.spawn([...this.#args(node), ...extraArgs], this.options.env?.(node));
      try {
        await node.waitLive(this.#startTimeoutMs);
        return;
      } catch (error) {
        if (node.running || !PORT_IN_USE.test(node.lastStartOutput) || attempt >= START_ATTEMPTS) throw error;
        await delay(200 * attempt);
      }
    }
  }

  /**
   * SIGTERM to every running node, SIGKILL to those still running after a deadline; deletes the
   * data. With CLUSTER_TEST_LOGS=1 in the environment it prints every node's output first.
   */
  async stop(): Promise<void> {
    if (process.env.CLUSTER_TEST_LOGS === "1" && this.nodes.length > 0) this.printLogs("CLUSTER_TEST_LOGS=1");
    await Promise.all(
      this.running.map(async (node) => {
        const pid = node.pid;
        if (pid !== undefined) signalPid(pid, "SIGCONT"); // A paused node could not act on SIGTERM.
        if (await node.signal("SIGTERM")) return;
        node.note(`--- ${node.id} ignored SIGTERM for ${EXIT_DEADLINE_MS} ms; sending SIGKILL`);
        await node.signal("SIGKILL");
      }),
    );
    for (const node of this.nodes) {
      rmSync(node.dataDir, { recursive: true, force: true });
      forgetBearerToken(node.url);
    }
  }

  /** The captured output of every node. */
  logs(): string {
    return this.nodes.map((n) => `===== ${n.id} (${n.runtime}) ${n.url}\n${n.output}`).join("\n");
  }

  /** Prints every node's output to stderr, headed by `reason`. */
  printLogs(reason: string): void {
    console.error(`\n----- node output (${reason}) -----\n${this.logs()}----- end of node output -----\n`);
  }

  #makeDataDir(id: string): string {
    const chosen = this.options.dataDirOf?.(id);
    if (chosen === undefined) return mkdtempSync(join(tmpdir(), `raftbare-${id}-`));
    mkdirSync(chosen, { recursive: true });
    return chosen;
  }

  get #startTimeoutMs(): number {
    return this.options.startTimeoutMs ?? 30_000;
  }

  #args(node: ClusterNode): string[] {
    const o = this.options;
    const args = ["--id", node.id, "--listen", `127.0.0.1:${node.port}`, "--cluster-token", this.token];
    args.push("--admin-token", this.adminToken);
    args.push("--data-dir", node.dataDir, "--log-level", o.logLevel ?? "info");
    args.push(
      "--election-timeout-ms",
      String(o.electionTimeoutMs ?? 500),
      "--heartbeat-ms",
      String(o.heartbeatMs ?? 50),
    );
    if (o.snapshotEvery !== undefined) args.push("--snapshot-every", String(o.snapshotEvery));
    if (o.requestTimeoutMs !== undefined) args.push("--request-timeout-ms", String(o.requestTimeoutMs));
    if (o.tls !== undefined) {
      args.push("--tls-cert-file", o.tls.certFile, "--tls-key-file", o.tls.keyFile, "--tls-ca-file", o.tls.caFile);
    }
    args.push(...(o.extraArgs?.(node) ?? []));
    return args;
  }
}
