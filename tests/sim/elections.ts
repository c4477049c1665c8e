/**
 * The election record of one run: the terms in which some node became leader, and the highest
 * term any node reached. It only reads the nodes, so it changes nothing in the run.
 */
import type { NodeId } from "../../packages/core/src/mod.ts";

/** What the record needs of a node. */
export interface ElectionSubject {
  readonly id: NodeId;
  readonly raft: { readonly currentTerm: number; readonly role: string };
}

/** Counts elections won (distinct terms with a leader) and the highest term reached. */
export class ElectionTally {
  /** Terms in which some node led; at most one entry per term, and terms are bounded by the run. */
  readonly #won = new Set<number>();
  #maxTerm = 0;

  /** Notes `node`'s term and, if it leads, that its term had a leader. */
  observe(node: ElectionSubject): void {
    const term = node.raft.currentTerm;
    if (term > this.#maxTerm) this.#maxTerm = term;
    if (node.raft.role === "leader") this.#won.add(term);
  }

  /** Elections won: the number of distinct terms in which some node became leader. */
  get elections(): number {
    return this.#won.size;
  }

  /** The highest term any node reached. */
  get maxTerm(): number {
    return this.#maxTerm;
  }
}
