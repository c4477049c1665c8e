/**
 * The operations buffered since the last sync, and the log they imply ("the view"): the durable
 * log with the pending operations applied in order. Both stores use it to check that each call
 * attaches to what came before, so a broken caller is caught before anything reaches the disk.
 */
import { assert, type LogEntries, type LogEntry, LogPosition } from "../../packages/core/src/mod.ts";
import type { HardState, SnapshotMeta } from "./types.ts";

/** One buffered operation. */
export type PendingOp =
  | {
      readonly kind: "entries";
      /** Entries after `prev.index` are deleted first. */
      readonly prev: LogPosition;
      /** The term of each entry, in order. */
      readonly terms: number[];
      /** The entries (kept by stores that hold entries in memory), or null. */
      readonly items: LogEntry[] | null;
      /** Each entry's record offset in the batch buffer (file store), or null. */
      readonly offsets: number[] | null;
    }
  | {
      readonly kind: "hard_state";
      readonly state: HardState;
      /** The restart generation the record carries. */
      readonly generation: number;
    }
  | { readonly kind: "snapshot"; readonly meta: SnapshotMeta; readonly reset: boolean };

/** What the view falls back to below the pending operations: the durable log. */
export interface DurableView {
  /** The durable term at `index`, or undefined outside [snapshot index, last index]. */
  termAt(index: number): number | undefined;
  /** The durable last index. */
  readonly lastIndex: number;
  /** The durable snapshot index. */
  readonly snapshotIndex: number;
  /** The durable hard state. */
  readonly hardState: HardState;
}

/** The pending operations of one batch, in order. */
export class PendingOps {
  /** The operations in the order they were buffered. */
  readonly ops: PendingOp[] = [];
  readonly #durable: DurableView;

  /** An empty batch on top of `durable`. */
  constructor(durable: DurableView) {
    this.#durable = durable;
  }

  /** True iff nothing is buffered. */
  get isEmpty(): boolean {
    return this.ops.length === 0;
  }

  /** Forgets every buffered operation. */
  clear(): void {
    this.ops.length = 0;
  }

  /** The term at `index` in the view, or undefined if the view has no entry (or snapshot point) there. */
  termAt(index: number): number | undefined {
    for (let k = this.ops.length - 1; k >= 0; k--) {
      const op = this.ops[k];
      if (op.kind === "entries") {
        const offset = index - op.prev.index;
        if (offset > op.terms.length) return undefined;
        if (offset > 0) return op.terms[offset - 1];
        if (offset === 0) return op.prev.term;
      } else if (op.kind === "snapshot") {
        const at = op.meta.position.index;
        if (index < at) return undefined;
        if (index === at) return op.meta.position.term;
        if (op.reset) return undefined;
      }
    }
    return this.#durable.termAt(index);
  }

  /** The snapshot index of the view. */
  get snapshotIndex(): number {
    for (let k = this.ops.length - 1; k >= 0; k--) {
      const op = this.ops[k];
      if (op.kind === "snapshot") return op.meta.position.index;
    }
    return this.#durable.snapshotIndex;
  }

  /** The hard state of the view. */
  get hardState(): HardState {
    for (let k = this.ops.length - 1; k >= 0; k--) {
      const op = this.ops[k];
      if (op.kind === "hard_state") return op.state;
    }
    return this.#durable.hardState;
  }

  /** The last index of the view. A compaction that keeps the suffix never changes it. */
  get lastIndex(): number {
    for (let k = this.ops.length - 1; k >= 0; k--) {
      const op = this.ops[k];
      if (op.kind === "entries") return op.prev.index + op.terms.length;
      if (op.kind === "snapshot" && op.reset) return op.meta.position.index;
    }
    return this.#durable.lastIndex;
  }

  /** Checks that `entries` attach to the view (asserts) and returns their terms in order. */
  checkAppend(entries: LogEntries): number[] {
    const prev = entries.prevPosition;
    const snapshotIndex = this.snapshotIndex;
    if (prev.index < snapshotIndex)
      assert(false, `cannot append after ${prev.index}: the log is compacted to ${snapshotIndex}`);
    const term = this.termAt(prev.index);
    assert(
      term === prev.term,
      `cannot append after ${LogPosition.format(prev)}: the stored log has ${term === undefined ? "no entry" : `term ${term}`} there`,
    );
    const terms = new Array<number>(entries.length);
    for (let k = 0; k < entries.length; k++) terms[k] = entries.getTerm(prev.index + 1 + k) as number;
    return terms;
  }

  /** Checks a compaction to `meta` (asserts) and returns true iff it resets the log. */
  checkCompact(meta: SnapshotMeta, replaceLog: boolean): boolean {
    const snapshotIndex = this.snapshotIndex;
    assert(
      meta.position.index > snapshotIndex,
      `cannot compact to ${LogPosition.format(meta.position)}: the log is already compacted to ${snapshotIndex}`,
    );
    return replaceLog || this.termAt(meta.position.index) !== meta.position.term;
  }

  /** Checks that `state` may follow the view's hard state (asserts). */
  checkHardState(state: HardState): void {
    const current = this.hardState;
    assert(state.term >= current.term, `the term never decreases (${state.term} < ${current.term})`);
    if (state.term === current.term && current.votedFor !== null) {
      assert(
        state.votedFor === current.votedFor,
        `a vote is never changed within a term (term ${state.term}: ${current.votedFor} -> ${state.votedFor})`,
      );
    }
  }
}
