/** A contiguous segment of the log: the unit of storage appends and of AppendEntries messages. */
import { assert } from "./assert.ts";
import type { ClusterConfig } from "./config.ts";
import type { LogEntry } from "./entry.ts";
import type { LogIndex, Term } from "./ids.ts";
import { LogPosition } from "./position.ts";

/**
 * A contiguous run of log entries after `prevPosition`. Entries carry their payloads; the term of
 * each entry is the term of the nearest `term` entry at or before it, or `prevPosition.term`.
 *
 * Ownership: a segment handed to the user in an action or a message belongs to the user once the
 * action has been drained; the node never mutates it afterwards and never shares one segment
 * between two places.
 */
export class LogEntries {
  #prev: LogPosition;
  #items: LogEntry[];
  /** Invariant: #terms[k] is the term of #items[k]; non-decreasing; >= #prev.term. */
  #terms: Term[];
  /** Absolute indexes of config entries, ascending. */
  #configs: number[];
  #last: LogPosition | null;

  /**
   * An empty segment positioned after `prev`. The other parameters are internal (they let copies
   * skip allocating arrays they would replace); callers pass only `prev`.
   */
  constructor(prev: LogPosition, items?: LogEntry[], terms?: Term[], configs?: number[]) {
    this.#prev = prev;
    this.#items = items ?? [];
    this.#terms = terms ?? [];
    this.#configs = configs ?? [];
    assert(this.#items.length === this.#terms.length, "every entry has a term");
    this.#last = this.#items.length === 0 ? prev : null;
  }

  /** A segment holding `entries` after `prev`. */
  static from(prev: LogPosition, entries: Iterable<LogEntry>): LogEntries {
    const segment = new LogEntries(prev);
    for (const entry of entries) segment.push(entry);
    return segment;
  }

  /** The position just before the first entry (the paper's prevLogIndex/prevLogTerm). */
  get prevPosition(): LogPosition {
    return this.#prev;
  }

  /** The position of the last entry; equals `prevPosition` when empty. */
  get lastPosition(): LogPosition {
    if (this.#last === null) this.#last = { term: this.lastTerm, index: this.lastIndex };
    return this.#last;
  }

  /** The index of `prevPosition`. */
  get prevIndex(): LogIndex {
    return this.#prev.index;
  }

  /** The index of the last entry. */
  get lastIndex(): LogIndex {
    return (this.#prev.index + this.#items.length) as LogIndex;
  }

  /** The term of the last entry. */
  get lastTerm(): Term {
    const n = this.#terms.length;
    return n === 0 ? this.#prev.term : this.#terms[n - 1];
  }

  /** The number of entries. */
  get length(): number {
    return this.#items.length;
  }

  /** True iff the segment holds no entry. */
  get isEmpty(): boolean {
    return this.#items.length === 0;
  }

  /** The term at `index`, for index in [prevIndex, lastIndex]; otherwise undefined. */
  getTerm(index: number): Term | undefined {
    const k = index - this.#prev.index - 1;
    if (k === -1) return this.#prev.term;
    if (k < -1 || k >= this.#terms.length) return undefined;
    return this.#terms[k];
  }

  /** The entry at `index`, for index in (prevIndex, lastIndex]; otherwise undefined. */
  getEntry(index: number): LogEntry | undefined {
    const k = index - this.#prev.index - 1;
    if (k < 0 || k >= this.#items.length) return undefined;
    return this.#items[k];
  }

  /** The position at `index`, for index in [prevIndex, lastIndex]; otherwise undefined. */
  positionAt(index: number): LogPosition | undefined {
    const term = this.getTerm(index);
    return term === undefined ? undefined : { term, index: index as LogIndex };
  }

  /** True iff the entry at `position.index` has `position.term`; `prevPosition` counts as contained. */
  contains(position: LogPosition): boolean {
    return this.getTerm(position.index) === position.term;
  }

  /** True iff prevIndex <= index <= lastIndex (terms not checked). */
  containsIndex(index: number): boolean {
    return index >= this.#prev.index && index <= this.lastIndex;
  }

  /** Appends one entry. A `term` entry may not lower the term. */
  push(entry: LogEntry): void {
    let term = this.lastTerm;
    if (entry.kind === "term") {
      assert(entry.term >= term, `a term entry may not lower the term (${entry.term} < ${term})`);
      term = entry.term;
    } else if (entry.kind === "config") {
      this.#configs.push(this.lastIndex + 1);
    }
    this.#items.push(entry);
    this.#terms.push(term);
    this.#last = null;
  }

  /** Keeps the first `length` entries; does nothing if the segment is not longer. */
  truncate(length: number): void {
    assert(Number.isSafeInteger(length) && length >= 0, "truncate() takes a non-negative length");
    if (length >= this.#items.length) return;
    this.#items.length = length;
    this.#terms.length = length;
    const lastIndex = this.lastIndex;
    while (this.#configs.length > 0 && this.#configs[this.#configs.length - 1] > lastIndex) this.#configs.pop();
    this.#last = null;
  }

  /** Keeps the entries at or below `index`; `index` must be at least prevIndex. */
  truncateAfter(index: number): void {
    assert(index >= this.#prev.index, `cannot truncate after ${index}: the segment starts after ${this.#prev.index}`);
    this.truncate(index - this.#prev.index);
  }

  /**
   * A copy of the entries after `position`, or undefined if the segment does not contain
   * `position`. At most `maxEntries` entries are taken, and no more than `maxBytes` of command
   * payload (but always at least one entry).
   */
  since(
    position: LogPosition,
    maxEntries: number = Number.POSITIVE_INFINITY,
    maxBytes: number = Number.POSITIVE_INFINITY,
  ): LogEntries | undefined {
    if (!this.contains(position)) return undefined;
    const from = position.index - this.#prev.index;
    let to = Math.min(this.#items.length, from + maxEntries);
    if (maxBytes !== Number.POSITIVE_INFINITY) to = this.#cutAtBytes(from, to, maxBytes);
    const lastIndex = position.index + (to - from);
    const configs: number[] = [];
    for (const i of this.#configs) if (i > position.index && i <= lastIndex) configs.push(i);
    return new LogEntries(position, this.#items.slice(from, to), this.#terms.slice(from, to), configs);
  }

  /**
   * Appends `other` after truncating this segment back to `other.prevPosition`. If `other` starts
   * before this segment, it replaces it. `other` must otherwise chain: this segment contains its prev.
   */
  append(other: LogEntries): void {
    if (other.prevIndex < this.#prev.index) {
      this.#replaceWith(other);
      return;
    }
    if (other.prevIndex !== this.lastIndex || other.prevPosition.term !== this.lastTerm) {
      assert(
        this.contains(other.prevPosition),
        `cannot append after ${LogPosition.format(other.prevPosition)}: segment ends at ${LogPosition.format(this.lastPosition)}`,
      );
      this.truncateAfter(other.prevIndex);
    }
    const base = this.lastIndex;
    for (let k = 0; k < other.#items.length; k++) {
      this.#items.push(other.#items[k]);
      this.#terms.push(other.#terms[k]);
    }
    for (const i of other.#configs) this.#configs.push(i);
    assert(this.lastIndex === base + other.#items.length, "append keeps the segment contiguous");
    this.#last = null;
  }

  /**
   * The first index after `remote.prevPosition` where `remote` has an entry that this segment lacks
   * or holds with another term; undefined if this segment already has every entry of `remote`.
   * Precondition: this segment contains `remote.prevPosition`.
   */
  firstDifferentIndex(remote: LogEntries): LogIndex | undefined {
    assert(this.contains(remote.prevPosition), "firstDifferentIndex() needs a shared prev position");
    const end = Math.min(this.lastIndex, remote.lastIndex);
    const localBase = this.#prev.index + 1;
    const remoteBase = remote.#prev.index + 1;
    for (let i = remote.prevIndex + 1; i <= end; i++) {
      if (this.#terms[i - localBase] !== remote.#terms[i - remoteBase]) return i as LogIndex;
    }
    return end < remote.lastIndex ? ((end + 1) as LogIndex) : undefined;
  }

  /**
   * The largest index in [prevIndex, min(upTo, lastIndex)] whose term is at most `term`, or
   * prevIndex if there is none. Terms never decrease along a segment, so this is a binary search.
   */
  lastIndexWithTermAtMost(term: number, upTo: number): LogIndex {
    let lo = 0;
    let hi = Math.min(upTo, this.lastIndex) - this.#prev.index;
    if (hi <= 0 || this.#terms[0] > term) return this.#prev.index;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#terms[mid - 1] <= term) lo = mid;
      else hi = mid - 1;
    }
    return (this.#prev.index + lo) as LogIndex;
  }

  /** The index of the last config entry in the segment, or undefined if there is none. */
  lastConfigIndex(): LogIndex | undefined {
    const n = this.#configs.length;
    return n === 0 ? undefined : (this.#configs[n - 1] as LogIndex);
  }

  /** The configuration of the last config entry in the segment, or undefined if there is none. */
  lastConfig(): ClusterConfig | undefined {
    const n = this.#configs.length;
    if (n === 0) return undefined;
    const entry = this.#items[this.#configs[n - 1] - this.#prev.index - 1];
    assert(entry.kind === "config", "the recorded config index holds a config entry");
    return entry.config;
  }

  /** The latest config entry at or before `index` within the segment, with its index. */
  configAtOrBefore(index: number): { index: LogIndex; config: ClusterConfig } | undefined {
    for (let k = this.#configs.length - 1; k >= 0; k--) {
      const at = this.#configs[k];
      if (at > index) continue;
      const entry = this.getEntry(at);
      assert(entry !== undefined && entry.kind === "config", `entry ${at} is a config entry`);
      return { index: at as LogIndex, config: entry.config };
    }
    return undefined;
  }

  /** The entries in index order. */
  entries(): IterableIterator<LogEntry> {
    return this.#items.values();
  }

  /** The entries in index order, each with its position. */
  *withPositions(): IterableIterator<[LogPosition, LogEntry]> {
    for (let k = 0; k < this.#items.length; k++) {
      yield [{ term: this.#terms[k], index: (this.#prev.index + 1 + k) as LogIndex }, this.#items[k]];
    }
  }

  /** A copy of the entries as an array. */
  toArray(): LogEntry[] {
    return this.#items.slice();
  }

  /** An independent copy of the segment. */
  clone(): LogEntries {
    return new LogEntries(this.#prev, this.#items.slice(), this.#terms.slice(), this.#configs.slice());
  }

  /** True iff both segments have the same prev position and the same entries (payloads by value). */
  equals(other: LogEntries): boolean {
    if (!LogPosition.equals(this.#prev, other.#prev) || this.#items.length !== other.#items.length) return false;
    for (let k = 0; k < this.#items.length; k++) {
      if (this.#terms[k] !== other.#terms[k] || !entriesEqual(this.#items[k], other.#items[k])) return false;
    }
    return true;
  }

  /** The end offset (exclusive) so that entries [from, end) hold at most `maxBytes` of payload (min 1 entry). */
  #cutAtBytes(from: number, to: number, maxBytes: number): number {
    let bytes = 0;
    for (let k = from; k < to; k++) {
      bytes += payloadBytes(this.#items[k]);
      if (bytes > maxBytes && k > from) return k;
    }
    return to;
  }

  #replaceWith(other: LogEntries): void {
    this.#prev = other.#prev;
    this.#items = other.#items.slice();
    this.#terms = other.#terms.slice();
    this.#configs = other.#configs.slice();
    this.#last = null;
  }
}

/** The size of an entry's command payload (string length or byte length); 0 for other entries. */
export function payloadBytes(entry: LogEntry): number {
  if (entry.kind !== "command") return 0;
  return typeof entry.data === "string" ? entry.data.length : entry.data.byteLength;
}

/** True iff two entries are equal; command payloads compare by content. */
export function entriesEqual(a: LogEntry, b: LogEntry): boolean {
  if (a === b) return true;
  if (a.kind === "term") return b.kind === "term" && a.term === b.term;
  if (a.kind === "config") return b.kind === "config" && a.config.equals(b.config);
  if (b.kind !== "command") return false;
  return payloadsEqual(a.data, b.data);
}

function payloadsEqual(a: Uint8Array | string, b: Uint8Array | string): boolean {
  if (typeof a === "string" || typeof b === "string") return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
