/**
 * A sorted set of strings in UTF-16 code unit order (JavaScript's `<`), stored as a list of sorted
 * chunks. Insert and delete cost O(log n + CHUNK) instead of the O(n) of one flat sorted array, and a
 * scan starts in O(log n), so a prefix listing costs O(log n + items) even with millions of keys.
 */
import { assert } from "./assert.ts";

/** Chunks split when they grow past twice this size and merge with a neighbour below a quarter. */
const CHUNK = 512;

/**
 * The keys of a {@link SortedKeys} as they were when {@link SortedKeys.freeze} was called: later
 * inserts and deletes do not show (the set copies a chunk before it first changes it).
 */
export interface FrozenKeys {
  /** Number of keys in the view. */
  readonly size: number;
  /** The chunks of the view, ascending; they must not be changed. */
  readonly chunks: readonly (readonly string[])[];
}

/** A sorted set of strings. Invariant: every chunk is non-empty and sorted, chunks ascend and are disjoint. */
export class SortedKeys {
  #chunks: string[][] = [];
  #size = 0;
  /** Chunks a {@link FrozenKeys} view shares; copied before they change. Null: no view is open. */
  #shared: Set<string[]> | null = null;

  /**
   * A consistent view of the keys as they are now, in O(n / chunk size): until
   * {@link SortedKeys.thaw}, a chunk is copied before its first change. One view at a time.
   */
  freeze(): FrozenKeys {
    assert(this.#shared === null, "one frozen view of the keys at a time");
    this.#shared = new Set(this.#chunks);
    return { size: this.#size, chunks: this.#chunks.slice() };
  }

  /** Ends the frozen view: chunks are changed in place again. */
  thaw(): void {
    this.#shared = null;
  }

  /** Builds a set from keys already in strictly ascending order, in O(n). */
  static fromSorted(keys: readonly string[]): SortedKeys {
    const set = new SortedKeys();
    for (let i = 0; i < keys.length; i += CHUNK) set.#chunks.push(keys.slice(i, i + CHUNK));
    set.#size = keys.length;
    return set;
  }

  /** Number of keys. */
  get size(): number {
    return this.#size;
  }

  /** Adds `key`; returns false if it was already present. */
  insert(key: string): boolean {
    if (this.#chunks.length === 0) {
      this.#chunks.push([key]);
      this.#size = 1;
      return true;
    }
    const c = Math.min(this.#chunkFor(key), this.#chunks.length - 1);
    const i = lowerBound(this.#chunks[c], key);
    if (i < this.#chunks[c].length && this.#chunks[c][i] === key) return false;
    const chunk = this.#own(c);
    chunk.splice(i, 0, key);
    this.#size += 1;
    if (chunk.length > 2 * CHUNK) this.#chunks.splice(c + 1, 0, chunk.splice(CHUNK));
    return true;
  }

  /** Removes `key`; returns false if it was absent. */
  delete(key: string): boolean {
    const c = this.#chunkFor(key);
    if (c === this.#chunks.length) return false;
    const i = lowerBound(this.#chunks[c], key);
    if (this.#chunks[c][i] !== key) return false;
    const chunk = this.#own(c);
    chunk.splice(i, 1);
    this.#size -= 1;
    if (chunk.length < CHUNK / 4) this.#mergeSmall(c);
    return true;
  }

  /**
   * Calls `visit` with each key >= `start`, in ascending order, until it returns false or the keys run
   * out. The set must not change during the scan.
   */
  scan(start: string, visit: (key: string) => boolean): void {
    const first = this.#chunkFor(start);
    for (let c = first; c < this.#chunks.length; c++) {
      const chunk = this.#chunks[c];
      for (let i = c === first ? lowerBound(chunk, start) : 0; i < chunk.length; i++) {
        if (!visit(chunk[i])) return;
      }
    }
  }

  /** All keys in ascending order, as a new array. */
  toArray(): string[] {
    return ([] as string[]).concat(...this.#chunks);
  }

  /** Chunk `c`, copied first if a frozen view shares it, so it may be changed in place. */
  #own(c: number): string[] {
    const chunk = this.#chunks[c];
    if (this.#shared === null || !this.#shared.has(chunk)) return chunk;
    this.#shared.delete(chunk);
    const copy = chunk.slice();
    this.#chunks[c] = copy;
    return copy;
  }

  /** Index of the first chunk whose last key is >= `key`, or the number of chunks if none is. */
  #chunkFor(key: string): number {
    let lo = 0;
    let hi = this.#chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = this.#chunks[mid];
      if (chunk[chunk.length - 1] < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Drops chunk `c` if empty, or folds it into a neighbour, splitting again if that grows too big. */
  #mergeSmall(c: number): void {
    const chunk = this.#chunks[c];
    if (chunk.length === 0) {
      this.#chunks.splice(c, 1);
      return;
    }
    if (this.#chunks.length === 1) return;
    const left = c > 0 ? c - 1 : c;
    const merged = this.#chunks[left].concat(this.#chunks[left + 1]);
    assert(merged.length > 0, "merged chunks are non-empty");
    if (merged.length > 2 * CHUNK) this.#chunks.splice(left, 2, merged.slice(0, CHUNK), merged.slice(CHUNK));
    else this.#chunks.splice(left, 2, merged);
  }
}

/** Index of the first element of sorted `a` that is >= `key` (a.length if none). */
function lowerBound(a: readonly string[], key: string): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
