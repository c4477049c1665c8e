/**
 * The runtime's transport port in the simulation. Like the WebSocket links, it reaches only the
 * peers the runtime asked for, at the address it was given: a message to a node whose address is
 * unknown or wrong is dropped, so the member directory is exercised as it ships.
 */
import type { Message, NodeId } from "../../packages/core/src/mod.ts";
import type { PeerAddress, RuntimeTransport, StoredSnapshot } from "../../src/server/ports.ts";

/** A node's address in the simulation. */
export function simAddress(id: NodeId): string {
  return `sim://${id}`;
}

/** What the transport hands to the simulation. */
export interface NetworkHost {
  /** `from` sends `message` to `to` now. */
  send(from: NodeId, to: NodeId, message: Message): void;
  /** `from` streams `snapshot` to `to`; resolves when it arrived (true) or was lost (false). */
  sendSnapshot(from: NodeId, to: NodeId, snapshot: StoredSnapshot): Promise<boolean>;
}

/** {@link RuntimeTransport} of one node over the simulated network. */
export class SimTransport implements RuntimeTransport {
  readonly #id: NodeId;
  readonly #host: NetworkHost;
  /** The peers that links exist to: those whose address is their own. */
  #peers = new Set<NodeId>();
  #closed = false;
  /** Messages dropped because no link to the destination existed. */
  unreachable = 0;

  /** The transport of node `id`. */
  constructor(id: NodeId, host: NetworkHost) {
    this.#id = id;
    this.#host = host;
  }

  setPeers(peers: readonly PeerAddress[]): void {
    this.#peers = new Set(peers.filter((p) => p.url === simAddress(p.id)).map((p) => p.id));
  }

  send(to: NodeId, message: Message): boolean {
    if (this.#closed || !this.#peers.has(to)) {
      this.unreachable++;
      return false;
    }
    this.#host.send(this.#id, to, message);
    return true;
  }

  broadcast(to: readonly NodeId[], message: Message): void {
    for (const id of to) this.send(id, message);
  }

  sendSnapshot(to: NodeId, snapshot: StoredSnapshot): Promise<boolean> {
    if (this.#closed || !this.#peers.has(to)) return Promise.resolve(false);
    return this.#host.sendSnapshot(this.#id, to, snapshot);
  }

  close(): void {
    this.#closed = true;
  }
}
