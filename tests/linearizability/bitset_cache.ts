/**
 * The search's memo: a set of (linearized-operations bitset, model state) pairs. An open-addressing
 * hash table over typed arrays, so a million entries cost a few dozen bytes each and no objects
 * besides the states themselves. The caller supplies each pair's 32-bit hash (it keeps the bitset's
 * hash incrementally), and the table compares bitsets word by word and states with `equal`.
 */
import { assert } from "./assert.ts";

/** Bytes the cache holds per entry besides the bitset words: hash, state reference, two slots. */
const ENTRY_OVERHEAD_BYTES = 4 + 8 + 2 * 4;

/** A set of (bitset, state) pairs with bitsets of a fixed number of 32-bit words. */
export class BitsetCache<S> {
  readonly #words: number;
  readonly #equal: (a: S, b: S) => boolean;
  /** Slot i holds entry index + 1, or 0 when empty. Invariant: at most half the slots are full. */
  #slots: Int32Array;
  #hashes: Int32Array;
  #bits: Uint32Array;
  #states: S[] = [];
  #size = 0;

  /** An empty cache for bitsets of `words` words, comparing states with `equal`. */
  constructor(words: number, equal: (a: S, b: S) => boolean) {
    assert(Number.isSafeInteger(words) && words >= 1, `bitset cache needs a positive word count, got ${words}`);
    this.#words = words;
    this.#equal = equal;
    this.#slots = new Int32Array(1024);
    this.#hashes = new Int32Array(512);
    this.#bits = new Uint32Array(512 * words);
  }

  /** Number of entries. */
  get size(): number {
    return this.#size;
  }

  /** Approximate bytes held, for a memory bound. */
  get bytes(): number {
    return this.#slots.byteLength + this.#hashes.byteLength + this.#bits.byteLength + this.#states.length * 8;
  }

  /** Approximate bytes one more entry costs. */
  get bytesPerEntry(): number {
    return ENTRY_OVERHEAD_BYTES + 4 * this.#words;
  }

  /**
   * Adds (`bits`, `state`) with hash `hash` unless it is present; true iff it was added. `bits`
   * is copied, so the caller may keep changing it.
   */
  add(hash: number, bits: Uint32Array, state: S): boolean {
    assert(bits.length === this.#words, `bitset has ${bits.length} words, the cache ${this.#words}`);
    const mask = this.#slots.length - 1;
    let slot = hash & mask;
    for (;;) {
      const held = this.#slots[slot];
      if (held === 0) break;
      if (this.#matches(held - 1, hash, bits, state)) return false;
      slot = (slot + 1) & mask;
    }
    this.#append(hash, bits, state);
    this.#slots[slot] = this.#size;
    if (2 * this.#size > this.#slots.length) this.#rehash();
    return true;
  }

  #matches(entry: number, hash: number, bits: Uint32Array, state: S): boolean {
    if (this.#hashes[entry] !== hash) return false;
    const base = entry * this.#words;
    for (let w = 0; w < this.#words; w++) if (this.#bits[base + w] !== bits[w]) return false;
    return this.#equal(this.#states[entry], state);
  }

  /** Stores a new entry at index #size and counts it. */
  #append(hash: number, bits: Uint32Array, state: S): void {
    if (this.#size === this.#hashes.length) this.#growEntries();
    this.#hashes[this.#size] = hash;
    this.#bits.set(bits, this.#size * this.#words);
    this.#states.push(state);
    this.#size++;
  }

  #growEntries(): void {
    const hashes = new Int32Array(this.#hashes.length * 2);
    hashes.set(this.#hashes);
    this.#hashes = hashes;
    const bits = new Uint32Array(this.#bits.length * 2);
    bits.set(this.#bits);
    this.#bits = bits;
  }

  /** Doubles the slot table and reinserts every entry. */
  #rehash(): void {
    const slots = new Int32Array(this.#slots.length * 2);
    const mask = slots.length - 1;
    for (let entry = 0; entry < this.#size; entry++) {
      let slot = this.#hashes[entry] & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = entry + 1;
    }
    this.#slots = slots;
  }
}
