/**
 * Runs the local cluster: starts every node, sets the cluster up (bootstrap at the first start,
 * then a leader), reports a node that dies while the others keep running, and stops every node on
 * SIGINT/SIGTERM, on a failure, or once none is left.
 */
import process from "node:process";
import { bootstrap, isNewCluster, waitForLeader, waitUntilLive } from "./cluster_http.ts";
import { type NodeSpec, type TokenFiles, tokenFiles } from "./layout.ts";
import { deathNotice, welcome } from "./messages.ts";
import { displayPath, restartCommand, spawnCommand } from "./node_commands.ts";
import { describeExit, type NodeExit, NodeProcesses } from "./node_processes.ts";
import type { ClusterOptions } from "./options.ts";

/** How long a node may take to answer /livez after it is spawned. */
const LIVE_TIMEOUT_MS = 60_000;
/** How long the nodes may take to agree on a leader once they are up. */
const LEADER_TIMEOUT_MS = 30_000;
/** How long a node may take to stop after SIGTERM before it gets SIGKILL. */
const STOP_GRACE_MS = 5_000;
/** How long to wait for a node to exit after SIGKILL. */
const KILL_WAIT_MS = 5_000;

type Phase = "starting" | "running" | "stopping";

/** The local cluster's lifecycle; {@link LocalCluster.run} resolves with the launcher's exit code. */
export class LocalCluster {
  readonly #options: ClusterOptions;
  readonly #nodes: readonly NodeSpec[];
  readonly #tokens: TokenFiles;
  readonly #adminToken: string;
  readonly #processes = new NodeProcesses((exit) => this.#onExit(exit));
  readonly #pids = new Map<string, number | undefined>();
  #phase: Phase = "starting";
  #failStartup: (error: Error) => void = () => {};
  #finish: (code: number) => void = () => {};
  readonly #finished = new Promise<number>((resolve) => {
    this.#finish = resolve;
  });

  /**
   * A cluster of `nodes` that is not started yet; every node reads the tokens from their files under
   * the data directory, and the launcher calls the API with `adminToken` (the admin file's).
   */
  constructor(options: ClusterOptions, nodes: readonly NodeSpec[], adminToken: string) {
    this.#options = options;
    this.#nodes = nodes;
    this.#tokens = tokenFiles(options.dataDir);
    this.#adminToken = adminToken;
  }

  /** Starts the nodes and supervises them; resolves with the exit code once every node is stopped. */
  run(): Promise<number> {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      process.on(signal, () => void this.#stop(0, `${signal}: stopping every node`));
    }
    const startupFailed = new Promise<never>((_, reject) => {
      this.#failStartup = reject;
    });
    this.#startAll();
    Promise.race([this.#setUp(), startupFailed]).then(
      (leader) => this.#welcome(leader),
      (error: unknown) => void this.#stop(1, error instanceof Error ? error.message : String(error)),
    );
    return this.#finished;
  }

  #startAll(): void {
    const env = { ...process.env };
    for (const spec of this.#nodes) {
      const pid = this.#processes.start(spec, spawnCommand(this.#options.runtime, spec, this.#tokens), env);
      this.#pids.set(spec.id, pid);
      console.log(`started ${spec.id} (pid ${pid ?? "?"}) on ${spec.url}`);
    }
  }

  /** Waits for every node, bootstraps a new cluster, waits for a leader; the leader's id. */
  async #setUp(): Promise<string> {
    await Promise.all(this.#nodes.map((n) => waitUntilLive(n, LIVE_TIMEOUT_MS)));
    if (await isNewCluster(this.#nodes, this.#adminToken)) {
      const created = await bootstrap(this.#nodes, this.#adminToken);
      console.log(created ? "cluster bootstrapped" : "cluster already bootstrapped");
    } else {
      console.log(`restarted from the existing data under ${displayPath(this.#options.dataDir)} (no bootstrap)`);
    }
    return await waitForLeader(this.#nodes, this.#adminToken, LEADER_TIMEOUT_MS);
  }

  #welcome(leader: string): void {
    if (this.#phase !== "starting") return;
    this.#phase = "running";
    const example = this.#nodes[this.#nodes.length > 1 ? 1 : 0];
    const exampleRestart = { id: example.id, command: this.#restartCommand(example) };
    const { dataDir } = this.#options;
    const facts = {
      nodes: this.#nodes,
      pids: this.#pids,
      dataDir,
      tokens: this.#tokens,
      leader,
      exampleRestart,
    };
    console.log(welcome(facts));
  }

  #restartCommand(spec: NodeSpec): string {
    return restartCommand(this.#options.runtime, spec, this.#tokens);
  }

  #onExit(exit: NodeExit): void {
    // Exits while stopping are the ones we asked for.
    if (this.#phase === "stopping") return;
    if (this.#phase === "starting") {
      this.#failStartup(new Error(`Cannot start the cluster: ${describeExit(exit)} before the cluster was up`));
      return;
    }
    const survivors = this.#processes.running;
    if (survivors.length === 0) {
      void this.#stop(1, `${describeExit(exit)}; every node this launcher started has exited`);
      return;
    }
    console.error(deathNotice(exit, survivors, this.#restartCommand(exit.spec)));
  }

  /** Stops every node (once) and then finishes with `code`; `reason` is printed first. */
  async #stop(code: number, reason: string): Promise<void> {
    if (this.#phase === "stopping") return;
    this.#phase = "stopping";
    (code === 0 ? console.log : console.error)(`\n${reason}`);
    await this.#processes.stopAll(STOP_GRACE_MS, KILL_WAIT_MS);
    if (code === 0) console.log("every node is stopped");
    this.#finish(code);
  }
}
