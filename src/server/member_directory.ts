/**
 * Where the peers are. The configuration in the log carries every member's address, so a node
 * that restarts knows where its peers are before anything commits. Nodes outside the
 * configuration (a fresh node answering the candidate that bootstraps it, a leader added after
 * this node's log ends) are reached at the URL their own handshake advertised.
 */
import type { ClusterConfig, NodeId } from "../../packages/core/src/mod.ts";
import type { PeerAddress } from "./ports.ts";

/** Senders outside the configuration that a node keeps links to. */
const MAX_CONTACTS = 32;

/** The peers a node dials: the members of its configuration and recent contacts, with their URLs. */
export class MemberDirectory {
  readonly #self: NodeId;
  /** URLs advertised in handshakes, by id; bounded, oldest first. */
  readonly #learned = new Map<NodeId, string>();
  /** Senders outside the configuration, oldest first; bounded. */
  readonly #contacts = new Set<NodeId>();

  /** An empty directory of node `self` (which never dials itself). */
  constructor(self: NodeId) {
    this.#self = self;
  }

  /** Records the URL a peer advertised; returns true if it changed what is known. */
  learn(id: NodeId, url: string): boolean {
    if (this.#learned.get(id) === url) return false;
    this.#learned.delete(id);
    if (this.#learned.size >= MAX_CONTACTS * 2) this.#learned.delete(this.#learned.keys().next().value as NodeId);
    this.#learned.set(id, url);
    return true;
  }

  /** Records that `id` sent us a message (we dial it back); returns true if it is new. */
  noteContact(id: NodeId): boolean {
    if (id === this.#self || this.#contacts.has(id)) return false;
    if (this.#contacts.size >= MAX_CONTACTS) this.#contacts.delete(this.#contacts.values().next().value as NodeId);
    this.#contacts.add(id);
    return true;
  }

  /** The URL of `id`: the configuration's address, else the one its handshake advertised. */
  urlOf(id: NodeId, config: ClusterConfig): string | undefined {
    return config.addressOf(id) ?? this.#learned.get(id);
  }

  /** Every member of `config` and every contact, except this node, whose URL is known; sorted by id. */
  peers(config: ClusterConfig): PeerAddress[] {
    const ids = new Set<NodeId>([...config.uniqueNodes(), ...this.#contacts]);
    ids.delete(this.#self);
    const out: PeerAddress[] = [];
    for (const id of [...ids].sort()) {
      const url = this.urlOf(id, config);
      if (url !== undefined) out.push({ id, url });
    }
    return out;
  }
}
