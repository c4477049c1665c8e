/**
 * The file log store's index of its durable log: for each entry after the snapshot point, its
 * term and where its record lives (segment sequence number and byte offset). Entries themselves
 * stay on disk; this costs 20 bytes per entry.
 */
import { assert, type LogIndex, type LogPosition, type Term } from "../../packages/core/src/mod.ts";

/** Where one entry's record is. */
export interface RecordLocation {
  /** The segment's sequence number. */
  readonly segment: number;
  /** The record's byte offset in that segment. */
  readonly offset: number;
}

/** Terms and record locations of the entries after `base`, in growable typed arrays. */
export class PositionTable {
  #base: LogPosition;
  #terms: Float64Array;
  #segments: Uint32Array;
  #offsets: Float64Array;
  /** Invariant: the entries are indexes base.index + 1 .. base.index + #length. */
  #length = 0;

  /** An empty table after `base`. */
  constructor(base: LogPosition, capacity = 1024) {
    this.#base = base;
    this.#terms = new Float64Array(capacity);
    this.#segments = new Uint32Array(capacity);
    this.#offsets = new Float64Array(capacity);
  }

  /** The position just before the first entry (the snapshot point). */
  get base(): LogPosition {
    return this.#base;
  }

  /** The index of the last entry (the base index if empty). */
  get lastIndex(): number {
    return this.#base.index + this.#length;
  }

  /** The position of the last entry (the base if empty). */
  get lastPosition(): LogPosition {
    if (this.#length === 0) return this.#base;
    return { term: this.#terms[this.#length - 1] as Term, index: this.lastIndex as LogIndex };
  }

  /** The term at `index` for index in [base index, last index]; otherwise undefined. */
  termAt(index: number): number | undefined {
    const k = index - this.#base.index - 1;
    if (k === -1) return this.#base.term;
    if (k < -1 || k >= this.#length) return undefined;
    return this.#terms[k];
  }

  /** Where the record of the entry at `index` is; index must be in (base index, last index]. */
  location(index: number): RecordLocation {
    const k = index - this.#base.index - 1;
    if (k < 0 || k >= this.#length) assert(false, `entry ${index} is in the table`);
    return { segment: this.#segments[k], offset: this.#offsets[k] };
  }

  /** The segment holding the record of the entry at `index` (in the table). */
  segmentAt(index: number): number {
    return this.#segments[index - this.#base.index - 1];
  }

  /** The byte offset of the record of the entry at `index` (in the table). */
  offsetAt(index: number): number {
    return this.#offsets[index - this.#base.index - 1];
  }

  /** Appends the entry at last index + 1. */
  push(term: number, segment: number, offset: number): void {
    if (this.#length === this.#terms.length) this.#grow();
    const k = this.#length;
    assert(k === 0 ? term >= this.#base.term : term >= this.#terms[k - 1], "terms never decrease along the log");
    this.#terms[k] = term;
    this.#segments[k] = segment;
    this.#offsets[k] = offset;
    this.#length = k + 1;
  }

  /** Drops the entries after `index`; index must be at least the base index. */
  truncateAfter(index: number): void {
    assert(index >= this.#base.index, `cannot truncate after ${index}: the table starts after ${this.#base.index}`);
    this.#length = Math.min(this.#length, index - this.#base.index);
  }

  /**
   * Moves the base to `position`. With `reset` every entry is dropped; otherwise the table must hold
   * `position` and keeps the entries after it.
   */
  rebase(position: LogPosition, reset: boolean): void {
    if (reset) {
      this.#base = position;
      this.#length = 0;
      return;
    }
    assert(this.termAt(position.index) === position.term, "a compaction point is in the table");
    const drop = position.index - this.#base.index;
    this.#terms.copyWithin(0, drop, this.#length);
    this.#segments.copyWithin(0, drop, this.#length);
    this.#offsets.copyWithin(0, drop, this.#length);
    this.#length -= drop;
    this.#base = position;
  }

  #grow(): void {
    const capacity = this.#terms.length * 2;
    const terms = new Float64Array(capacity);
    const segments = new Uint32Array(capacity);
    const offsets = new Float64Array(capacity);
    terms.set(this.#terms);
    segments.set(this.#segments);
    offsets.set(this.#offsets);
    this.#terms = terms;
    this.#segments = segments;
    this.#offsets = offsets;
  }
}
