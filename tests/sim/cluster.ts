/** The simulated nodes: the initial voters plus spare ids for membership changes. */
import { NodeId } from "../../packages/core/src/mod.ts";
import { type NodeHost, SimNode } from "./sim_node.ts";
import { simAddress } from "./sim_transport.ts";

/** Every node process of one run, in id order. */
export class Cluster {
  /** Every node, including spares that may never join. */
  readonly nodes: readonly SimNode[];
  /** Every node id, in the same order. */
  readonly ids: readonly NodeId[];
  readonly #byId = new Map<NodeId, SimNode>();
  readonly #size: number;

  /** `size` initial nodes plus `spares` more, all fresh (see {@link Cluster.bootstrap}). */
  constructor(size: number, spares: number, host: NodeHost) {
    const ids: NodeId[] = [];
    for (let k = 0; k < size + spares; k++) ids.push(NodeId.of(`n${k}`));
    this.ids = ids;
    this.nodes = ids.map((id) => new SimNode(id, host));
    for (const node of this.nodes) this.#byId.set(node.id, node);
    this.#size = size;
  }

  /** Node 0 bootstraps the cluster of the initial voters, durably (as the node process does at once). */
  bootstrap(): void {
    const first = this.nodes[0];
    const members = this.ids.slice(0, this.#size).map((id) => ({ id, url: simAddress(id) }));
    if (!first.core.runtime.bootstrap(members)) throw new Error("Cannot bootstrap the cluster");
    first.syncNow();
  }

  /** The node with id `id`. */
  get(id: NodeId): SimNode {
    const node = this.#byId.get(id);
    if (node === undefined) throw new Error(`No simulated node ${id}`);
    return node;
  }

  /** The nodes that are up. */
  live(): SimNode[] {
    return this.nodes.filter((n) => n.up);
  }

  /** The live nodes that think they lead (possibly in different terms). */
  leaders(): SimNode[] {
    return this.nodes.filter((n) => n.up && n.raft.role === "leader");
  }

  /** The live leader of the highest term, if any. */
  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.leaders()) if (best === undefined || n.raft.currentTerm > best.raft.currentTerm) best = n;
    return best;
  }
}
