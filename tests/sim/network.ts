/**
 * The simulated network: random latency (hence reordering), drops, duplicates, a bounded number
 * of messages in flight per directed link, partitions, and flaky nodes (a per-node loss rate on
 * top of the link faults).
 */
import type { Message, NodeId } from "../../packages/core/src/mod.ts";
import type { Prng } from "./prng.ts";

/** Network behaviour that healing can switch off. */
export interface Faults {
  dropRate: number;
  duplicateRate: number;
}

/** Where the network puts a message that will arrive; returns false if it could not be queued. */
export type Deliver = (delay: number, from: NodeId, to: NodeId, message: Message) => boolean;

/** Counts of what happened to messages, for the run summary. */
export interface NetworkStats {
  sent: number;
  dropped: number;
  duplicated: number;
  /** Of the dropped messages, those a flaky endpoint lost. */
  flakyDropped: number;
}

/** Links between nodes; a node is in one partition group at a time (group 0 when healed). */
export class Network {
  readonly faults: Faults;
  readonly stats: NetworkStats = { sent: 0, dropped: 0, duplicated: 0, flakyDropped: 0 };
  readonly #rng: Prng;
  readonly #latency: readonly [number, number];
  readonly #capacity: number;
  readonly #deliver: Deliver;
  readonly #inFlight = new Map<string, number>();
  readonly #group = new Map<NodeId, number>();
  /** The loss rate of each flaky node (one entry per node at most). */
  readonly #flaky = new Map<NodeId, number>();

  /** A network drawing from `rng`, holding at most `capacity` messages per directed link. */
  constructor(options: {
    rng: Prng;
    faults: Faults;
    latency: readonly [number, number];
    capacity: number;
    deliver: Deliver;
  }) {
    this.#rng = options.rng;
    this.faults = { ...options.faults };
    this.#latency = options.latency;
    this.#capacity = options.capacity;
    this.#deliver = options.deliver;
  }

  /** True iff `a` and `b` are on the same side of every partition. */
  connected(a: NodeId, b: NodeId): boolean {
    return (this.#group.get(a) ?? 0) === (this.#group.get(b) ?? 0);
  }

  /** True iff some partition is in force. */
  get partitioned(): boolean {
    return this.#group.size > 0;
  }

  /** Splits the nodes: `groups[k]` lists the members of group k + 1; unlisted nodes stay in group 0. */
  partition(groups: readonly (readonly NodeId[])[]): void {
    this.#group.clear();
    groups.forEach((members, k) => {
      for (const id of members) this.#group.set(id, k + 1);
    });
  }

  /** Removes every partition. */
  heal(): void {
    this.#group.clear();
  }

  /** Makes `id` flaky: it loses the share `lossRate` of what it sends and of what is sent to it. */
  setFlaky(id: NodeId, lossRate: number): void {
    if (!(lossRate >= 0 && lossRate <= 1)) throw new Error(`A loss rate is in [0, 1], got ${lossRate}`);
    if (lossRate === 0) this.#flaky.delete(id);
    else this.#flaky.set(id, lossRate);
  }

  /** `id` is no longer flaky. */
  steady(id: NodeId): void {
    this.#flaky.delete(id);
  }

  /** True iff `id` is flaky now. */
  isFlaky(id: NodeId): boolean {
    return this.#flaky.has(id);
  }

  /** The nodes that are flaky now. */
  get flakyNodes(): NodeId[] {
    return [...this.#flaky.keys()];
  }

  /** No node is flaky any more. */
  steadyAll(): void {
    this.#flaky.clear();
  }

  /**
   * True iff a flaky endpoint loses this message (or snapshot stream) from `from` to `to`: each
   * flaky endpoint loses it independently. Draws nothing when neither endpoint is flaky, so runs
   * without flaky nodes draw the numbers they always did.
   */
  lostToFlaky(from: NodeId, to: NodeId): boolean {
    const a = this.#flaky.get(from) ?? 0;
    const b = this.#flaky.get(to) ?? 0;
    if (a === 0 && b === 0) return false;
    if (!this.#rng.chance(1 - (1 - a) * (1 - b))) return false;
    this.stats.flakyDropped++;
    return true;
  }

  /** Sends `message` from `from` to `to`: it may be dropped, duplicated, delayed and reordered. */
  send(from: NodeId, to: NodeId, message: Message): void {
    this.stats.sent++;
    if (!this.connected(from, to) || this.#rng.chance(this.faults.dropRate) || this.lostToFlaky(from, to)) {
      this.stats.dropped++;
      return;
    }
    this.#enqueue(from, to, message);
    if (this.#rng.chance(this.faults.duplicateRate)) {
      this.stats.duplicated++;
      this.#enqueue(from, to, message);
    }
  }

  /** Called when a message leaves the link (delivered or not); frees its slot. */
  arrived(from: NodeId, to: NodeId): void {
    const key = `${from}>${to}`;
    const n = (this.#inFlight.get(key) ?? 0) - 1;
    if (n <= 0) this.#inFlight.delete(key);
    else this.#inFlight.set(key, n);
  }

  #enqueue(from: NodeId, to: NodeId, message: Message): void {
    const key = `${from}>${to}`;
    const n = this.#inFlight.get(key) ?? 0;
    const delay = this.#rng.int(this.#latency[0], this.#latency[1]);
    if (n >= this.#capacity || !this.#deliver(delay, from, to, message)) {
      this.stats.dropped++; // A busy link drops rather than buffers without bound.
      return;
    }
    this.#inFlight.set(key, n + 1);
  }
}
