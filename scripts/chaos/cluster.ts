/**
 * The fault run's cluster: node processes (a {@link ProcessCluster}) where every node dials every
 * peer through its own relay (`--peer-via`), so the run can cut, slow or break each directed link.
 * Clients talk to the nodes directly, as in Jepsen: only node-to-node traffic crosses a relay.
 */
import { mkdirSync, rmSync } from "node:fs";
import {
  type ClusterNode,
  freePorts,
  type NodeRuntime,
  type NodeStatusBody,
  ProcessCluster,
} from "../../tests/helpers/process_cluster.ts";
import { type StorageFault, StorageFaultControl } from "../../tests/helpers/storage_fault_control.ts";
import { deriveSeed } from "../../tests/sim/prng.ts";
import type { RunRuntime } from "./options.ts";
import { Relay, type RelayMode } from "./relay.ts";

/** Settings of a {@link ChaosCluster}. */
export interface ChaosClusterOptions {
  readonly nodes: number;
  readonly runtime: RunRuntime;
  readonly seed: number;
  readonly electionTimeoutMs: number;
  readonly snapshotEvery: number;
  /** How long a node waits on a write or linearizable read (ms). */
  readonly requestTimeoutMs: number;
  /** Starts every node with the storage fault hook on, each with a control directory of its own. */
  readonly storageHook: boolean;
}

/** A directed link: `from` dials `to`. */
export interface Link {
  readonly from: string;
  readonly to: string;
}

/** The runtimes of `count` nodes: all one, or alternating Bun and Deno (n1 on Bun). */
export function runtimesOf(runtime: RunRuntime, count: number): NodeRuntime[] {
  return Array.from({ length: count }, (_, i) => (runtime === "mixed" ? (i % 2 === 0 ? "bun" : "deno") : runtime));
}

/** Every storage fault of the hook. */
const STORAGE_FAULTS: readonly StorageFault[] = ["full", "stall", "stallFlush", "torn"];

/** How long a status request may take before the node counts as unresponsive. */
const STATUS_TIMEOUT_MS = 2000;

/** Node processes behind relays, with the voters the run believes the cluster has. */
export class ChaosCluster {
  readonly processes: ProcessCluster;
  readonly #relays = new Map<string, Relay>();
  readonly #paused = new Set<string>();
  /** The nodes' storage fault control directories; undefined when the hook is off. */
  readonly #storage: StorageFaultControl | undefined;
  /** The ids the run has made voters (it changes with membership faults). */
  readonly voters = new Set<string>();

  /** A cluster that is not started yet. */
  constructor(options: ChaosClusterOptions) {
    const storage = options.storageHook ? new StorageFaultControl() : undefined;
    this.#storage = storage;
    this.processes = new ProcessCluster({
      runtimes: runtimesOf(options.runtime, options.nodes),
      electionTimeoutMs: options.electionTimeoutMs,
      heartbeatMs: Math.max(10, Math.floor(options.electionTimeoutMs / 10)),
      snapshotEvery: options.snapshotEvery,
      requestTimeoutMs: options.requestTimeoutMs,
      leaderTimeoutMs: 60_000,
      startTimeoutMs: 60_000,
      logLevel: "info",
      extraArgs: (node) => ["--peer-via", this.#viaOf(node.id), "--exit-with-parent", "true"],
      env: (node) => storage?.envOf(node) ?? {},
    });
    this.#options = options;
  }

  readonly #options: ChaosClusterOptions;

  /** Every node id, n1 … nN. */
  get ids(): string[] {
    return Array.from({ length: this.#options.nodes }, (_, i) => `n${i + 1}`);
  }

  /** Starts one relay per directed link, then the nodes, bootstraps them and waits for a leader. */
  async start(): Promise<void> {
    const links = this.allLinks();
    const ports = await freePorts(links.length);
    for (const [i, link] of links.entries()) {
      const relay = new Relay({
        name: `${link.from}->${link.to}`,
        listenPort: ports[i],
        targetPort: () => this.processes.node(link.to).port,
        seed: deriveSeed(this.#options.seed, `relay ${link.from}->${link.to}`),
      });
      await relay.listen();
      this.#relays.set(relay.name, relay);
    }
    await this.processes.start();
    await this.processes.bootstrap();
    for (const id of this.ids) this.voters.add(id);
    await this.processes.waitForLeader();
  }

  /** Every directed link between two different nodes. */
  allLinks(): Link[] {
    return this.ids.flatMap((from) => this.ids.filter((to) => to !== from).map((to) => ({ from, to })));
  }

  /** The node with this id. */
  node(id: string): ClusterNode {
    return this.processes.node(id);
  }

  /** True iff the node's process runs and is not paused. */
  isUp(id: string): boolean {
    return this.node(id).running && !this.#paused.has(id);
  }

  /** True iff the node is paused (SIGSTOP). */
  isPaused(id: string): boolean {
    return this.#paused.has(id);
  }

  /** Sets the mode of the relay of `link`. */
  setLink(link: Link, mode: RelayMode): void {
    const relay = this.#relays.get(`${link.from}->${link.to}`);
    if (relay === undefined) throw new Error(`no relay for ${link.from}->${link.to}`);
    relay.setMode(mode);
  }

  /** Every relay back to `pass`. */
  healLinks(): void {
    for (const relay of this.#relays.values()) relay.setMode({ kind: "pass" });
  }

  /** kill -9 of a running node (by its pid); resolves once it exited. */
  async kill(id: string): Promise<void> {
    const node = this.node(id);
    if (!node.running) return;
    if (this.#paused.has(id)) this.resume(id);
    await this.processes.kill(node);
  }

  /** Starts a stopped node again on its port and data directory; `fresh` first empties the directory. */
  async restart(id: string, fresh = false): Promise<void> {
    const node = this.node(id);
    if (node.running) return;
    if (fresh) {
      rmSync(node.dataDir, { recursive: true, force: true });
      mkdirSync(node.dataDir, { recursive: true });
      node.note(`--- the run emptied ${node.dataDir}`);
    }
    await this.processes.restart(node);
  }

  /** SIGSTOP of a running node. */
  pause(id: string): void {
    const node = this.node(id);
    if (!node.running || this.#paused.has(id)) return;
    node.pause();
    this.#paused.add(id);
  }

  /** SIGCONT of a paused node. */
  resume(id: string): void {
    if (!this.#paused.delete(id)) return;
    const node = this.node(id);
    if (node.running) node.resume();
  }

  /** True iff the nodes run with the storage fault hook, so the storage faults can be set. */
  get storageHook(): boolean {
    return this.#storage !== undefined;
  }

  /** Turns storage fault `fault` on or off for node `id`; throws when the hook is off. */
  setStorageFault(id: string, fault: StorageFault, on: boolean): void {
    if (this.#storage === undefined) throw new Error("the nodes run without the storage fault hook");
    this.#storage.set(this.node(id), fault, on);
  }

  /** Turns every storage fault of node `id` off (nothing when the hook is off); returns those that were on. */
  clearStorageFaults(id: string): StorageFault[] {
    const storage = this.#storage;
    if (storage === undefined) return [];
    const on = STORAGE_FAULTS.filter((fault) => storage.isOn(id, fault));
    for (const fault of on) storage.set(this.node(id), fault, false);
    return on;
  }

  /** Each up node's status (nodes that do not answer in time are left out). */
  async statuses(ids: readonly string[] = this.ids): Promise<Map<string, NodeStatusBody>> {
    const out = new Map<string, NodeStatusBody>();
    await Promise.all(
      ids
        .filter((id) => this.isUp(id))
        .map(async (id) => {
          try {
            out.set(id, await withTimeout(this.node(id).status(), STATUS_TIMEOUT_MS));
          } catch {
            // Unresponsive right now (partitioned from the run? never: it is loopback) or restarting.
          }
        }),
    );
    return out;
  }

  /** The node that claims leadership with the highest term, among the up nodes; undefined if none. */
  async leader(): Promise<string | undefined> {
    let best: NodeStatusBody | undefined;
    for (const status of (await this.statuses()).values()) {
      if (status.role === "leader" && (best === undefined || status.term > best.term)) best = status;
    }
    return best?.id;
  }

  /** Relay counters, for the summary. */
  relayStats(): Record<string, { accepted: number; resets: number; bytes: number }> {
    const out: Record<string, { accepted: number; resets: number; bytes: number }> = {};
    for (const [name, relay] of this.#relays) {
      const { accepted, resets, bytes } = relay.stats;
      out[name] = { accepted, resets, bytes };
    }
    return out;
  }

  /** Stops every node (SIGCONT first for paused ones) and every relay; deletes the data. */
  async stop(): Promise<void> {
    for (const id of [...this.#paused]) this.resume(id);
    for (const id of this.ids) this.clearStorageFaults(id); // A stalled node would not stop.
    await this.processes.stop();
    await Promise.all([...this.#relays.values()].map((r) => r.close()));
    this.#storage?.cleanup();
  }

  /** `--peer-via` of node `id`: every peer at its relay from `id`. */
  #viaOf(id: string): string {
    const parts: string[] = [];
    for (const to of this.ids) {
      if (to === id) continue;
      const relay = this.#relays.get(`${id}->${to}`);
      if (relay === undefined) throw new Error(`no relay for ${id}->${to}; start() makes them first`);
      parts.push(`${to}=http://127.0.0.1:${relay.port}`);
    }
    return parts.join(",");
  }
}

/** Rejects if `promise` takes longer than `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
