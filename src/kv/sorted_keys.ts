/**
 * A sorted set of strings in UTF-16 code unit order (JavaScript's `<`), stored as a list of sorted
 * chunks. Insert and delete cost O(log n + CHUNK) instead of the O(n) of one flat sorted array, and a
 * scan starts in O(log n), so a prefix listing costs O(log n + items) even with millions of keys.
 */
import { assert } from "./assert.ts";

/** Chunks split when they grow past twice this size and merge with a neighbour below a quarter. */
const CHUNK = 512;

/** A sorted set of strings. Invariant: every chunk is non-empty and sorted, chunks ascend and are disjoint. */
export class SortedKeys {
  #chunks: string[][] = [];
  #size = 0;

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
    const chunk = this.#chunks[c];
    const i = lowerBound(chunk, key);
    if (i < chunk.length && chunk[i] === key) return false;
    chunk.splice(i, 0, key);
    this.#size += 1;
    if (chunk.length > 2 * CHUNK) this.#chunks.splice(c + 1, 0, chunk.splice(CHUNK));
    return true;
  }

  /** Removes `key`; returns false if it was absent. */
  delete(key: string): boolean {
    const c = this.#chunkFor(key);
    if (c === this.#chunks.length) return false;
    const chunk = this.#chunks[c];
    const i = lowerBound(chunk, key);
    if (chunk[i] !== key) return false;
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
