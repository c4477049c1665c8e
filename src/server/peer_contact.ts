/**
 * When the runtime last received a message from each member, on its own clock: the status shows it
 * beside the core's tick count. Bounded: only members of the configuration are recorded, and
 * members that leave it are forgotten.
 */
import type { ClusterConfig, NodeId } from "../../packages/core/src/mod.ts";

/** The time of the last message received from each member of the configuration. */
export class PeerContact {
  readonly #lastAt = new Map<NodeId, number>();

  /** Records a message from `from` at time `now`, if `from` is a member of `config`. */
  note(from: NodeId, now: number, config: ClusterConfig): void {
    if (config.contains(from)) this.#lastAt.set(from, now);
  }

  /** Milliseconds from the last message of `id` to `now`, or null if none was received. */
  sinceMs(id: NodeId, now: number): number | null {
    const at = this.#lastAt.get(id);
    return at === undefined ? null : Math.max(0, now - at);
  }

  /** Forgets every peer that is not a member of `config`. */
  retainMembersOf(config: ClusterConfig): void {
    for (const id of this.#lastAt.keys()) if (!config.contains(id)) this.#lastAt.delete(id);
  }
}
