/** A contiguous segment of the log: the unit of storage appends and of AppendEntries messages. */
import { assert } from "./assert.ts";
import type { ClusterConfig } from "./config.ts";
import type { LogEntry } from "./entry.ts";
import type { LogIndex, Term } from "./ids.ts";
import { LogPosition } from "./position.ts";

/** The shared empty list a segment without term changes or configs points to; copied before any push. */
const NONE: readonly number[] = Object.freeze([]);

/**
 * A contiguous run of log entries after `prevPosition`. Entries carry their payloads; the term of
 * each entry is the term of the nearest `term` entry at or before it, or `prevPosition.term`.
 * Terms are kept as runs (where each higher term starts), like raftbare's term map: a segment of
 * one term stores no term per entry.
 *
 * Ownership: a segment handed to the user in an action or a message belongs to the user once the
 * action has been drained; the node never mutates it afterwards and never shares one segment it
 * made between two places. A follower's AppendLogEntries may be the very segment of the
 * AppendEntriesCall it came from (handed back unchanged): the user must not change a call's
 * segment after handing the call to a node whose actions are not drained yet.
 */
export class LogEntries {
  #prev: LogPosition;
  #items: LogEntry[];
  /**
   * Offsets (into #items) where a higher term starts, ascending; #runTerm holds those terms.
   * Invariant: both strictly increase, every offset is < #items.length, and #runTerm[0] >
   * #prev.term. Entries before the first run have #prev.term. NONE while empty.
   */
  #runAt: number[];
  #runTerm: Term[];
  /** Absolute indexes of config entries, ascending; NONE while empty. */
  #configs: number[];
  #last: LogPosition | null;

  /** An empty segment positioned after `prev`. */
  constructor(prev: LogPosition) {
    this.#prev = prev;
    this.#items = [];
    this.#runAt = NONE as number[];
    this.#runTerm = NONE as Term[];
    this.#configs = NONE as number[];
    this.#last = prev;
  }

  /** A segment holding `entries` after `prev`. */
  static from(prev: LogPosition, entries: Iterable<LogEntry>): LogEntries {
    const segment = new LogEntries(prev);
    for (const entry of entries) segment.push(entry);
    return segment;
  }

  /** A segment holding the one entry `entry` after `prev`. */
  static of(prev: LogPosition, entry: LogEntry): LogEntries {
    const segment = new LogEntries(prev);
    segment.push(entry);
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
    const n = this.#runTerm.length;
    return n === 0 ? this.#prev.term : this.#runTerm[n - 1];
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
    if (k < -1 || k >= this.#items.length) return undefined;
    return this.#termAt(k);
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

  /** True iff this segment ends exactly at `position` (same index and term). */
  endsAt(position: LogPosition): boolean {
    return position.index === this.lastIndex && position.term === this.lastTerm;
  }

  /** Appends one entry. A `term` entry may not lower the term. */
  push(entry: LogEntry): void {
    if (entry.kind === "term") {
      const term = this.lastTerm;
      assert(entry.term >= term, `a term entry may not lower the term (${entry.term} < ${term})`);
      if (entry.term > term) this.#startRun(this.#items.length, entry.term);
    } else if (entry.kind === "config") {
      if (this.#configs === NONE) this.#configs = [];
      this.#configs.push(this.lastIndex + 1);
    }
    this.#items.push(entry);
    this.#last = null;
  }

  /** Keeps the first `length` entries; does nothing if the segment is not longer. */
  truncate(length: number): void {
    assert(Number.isSafeInteger(length) && length >= 0, "truncate() takes a non-negative length");
    if (length >= this.#items.length) return;
    this.#items.length = length;
    while (this.#runAt.length > 0 && this.#runAt[this.#runAt.length - 1] >= length) {
      this.#runAt.pop();
      this.#runTerm.pop();
    }
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
  since(position: LogPosition, maxEntries?: number, maxBytes?: number): LogEntries | undefined {
    if (!this.contains(position)) return undefined;
    const from = position.index - this.#prev.index;
    let to = this.#items.length;
    if (maxEntries !== undefined && from + maxEntries < to) to = from + maxEntries;
    if (maxBytes !== undefined && maxBytes !== Number.POSITIVE_INFINITY) to = this.#cutAtBytes(from, to, maxBytes);
    return this.#copy(from, to, position);
  }

  /** An independent copy of the segment. */
  clone(): LogEntries {
    return this.#copy(0, this.#items.length, this.#prev);
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
    if (!this.endsAt(other.#prev)) {
      assert(
        this.contains(other.prevPosition),
        `cannot append after ${LogPosition.format(other.prevPosition)}: segment ends at ${LogPosition.format(this.lastPosition)}`,
      );
      this.truncateAfter(other.prevIndex);
    }
    const base = this.#items.length;
    const items = this.#items;
    const added = other.#items;
    for (let k = 0; k < added.length; k++) items.push(added[k]);
    // other's runs start above its prev term, which is our last term now: they extend ours in order.
    for (let j = 0; j < other.#runAt.length; j++) this.#startRun(base + other.#runAt[j], other.#runTerm[j]);
    if (other.#configs.length > 0) {
      if (this.#configs === NONE) this.#configs = [];
      for (const i of other.#configs) this.#configs.push(i);
    }
    assert(this.#items.length === base + added.length, "append keeps the segment contiguous");
    // Both now end where `other` ends: share its last position (taken once, kept by both).
    this.#last = other.lastPosition;
  }

  /**
   * The first index after `remote.prevPosition` where `remote` has an entry that this segment lacks
   * or holds with another term; undefined if this segment already has every entry of `remote`.
   * Precondition: this segment contains `remote.prevPosition`.
   */
  firstDifferentIndex(remote: LogEntries): LogIndex | undefined {
    assert(this.contains(remote.prevPosition), "firstDifferentIndex() needs a shared prev position");
    const end = Math.min(this.lastIndex, remote.lastIndex);
    for (let i = remote.prevIndex + 1; i <= end; i++) {
      if (this.getTerm(i) !== remote.getTerm(i)) return i as LogIndex;
    }
    return end < remote.lastIndex ? ((end + 1) as LogIndex) : undefined;
  }

  /**
   * The largest index in [prevIndex, min(upTo, lastIndex)] whose term is at most `term`, or
   * prevIndex if there is none. Terms never decrease along a segment, so the indexes whose term is
   * at most `term` form a prefix: it ends where the first higher run starts.
   */
  lastIndexWithTermAtMost(term: number, upTo: number): LogIndex {
    const hi = Math.min(upTo, this.lastIndex) - this.#prev.index;
    if (hi <= 0 || this.#prev.term > term) return this.#prev.index;
    let prefix = this.#items.length;
    for (let j = 0; j < this.#runTerm.length; j++) {
      if (this.#runTerm[j] > term) {
        prefix = this.#runAt[j];
        break;
      }
    }
    return (this.#prev.index + Math.min(hi, prefix)) as LogIndex;
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
    let term = this.#prev.term;
    let run = 0;
    for (let k = 0; k < this.#items.length; k++) {
      if (run < this.#runAt.length && this.#runAt[run] === k) term = this.#runTerm[run++];
      yield [{ term, index: (this.#prev.index + 1 + k) as LogIndex }, this.#items[k]];
    }
  }

  /** A copy of the entries as an array. */
  toArray(): LogEntry[] {
    return this.#items.slice();
  }

  /** True iff both segments have the same prev position and the same entries (payloads by value). */
  equals(other: LogEntries): boolean {
    if (!LogPosition.equals(this.#prev, other.#prev) || this.#items.length !== other.#items.length) return false;
    // Runs are canonical (strictly increasing, above the prev term), so equal terms mean equal runs.
    if (!sameNumbers(this.#runAt, other.#runAt) || !sameNumbers(this.#runTerm, other.#runTerm)) return false;
    for (let k = 0; k < this.#items.length; k++) {
      if (!entriesEqual(this.#items[k], other.#items[k])) return false;
    }
    return true;
  }

  /** The term of the entry at offset `k` (0 <= k < length). */
  #termAt(k: number): Term {
    const runAt = this.#runAt;
    let hi = runAt.length - 1;
    if (hi < 0 || k < runAt[0]) return this.#prev.term;
    if (runAt[hi] <= k) return this.#runTerm[hi];
    let lo = 0; // Invariant: runAt[lo] <= k < runAt[hi].
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (runAt[mid] <= k) lo = mid;
      else hi = mid;
    }
    return this.#runTerm[lo];
  }

  /** Records that `term` starts at offset `k` (after every run so far). */
  #startRun(k: number, term: Term): void {
    assert(term > this.lastTerm, "a term run starts above the term before it");
    if (this.#runAt === NONE) {
      this.#runAt = [];
      this.#runTerm = [];
    }
    this.#runAt.push(k);
    this.#runTerm.push(term);
  }

  /** A copy of the entries at offsets [from, to); `prev` is the position at offset from - 1. */
  #copy(from: number, to: number, prev: LogPosition): LogEntries {
    const copy = new LogEntries(prev);
    copy.#items = this.#items.slice(from, to);
    copy.#last = from === to ? prev : to === this.#items.length ? this.#last : null;
    for (let j = 0; j < this.#runAt.length; j++) {
      const at = this.#runAt[j];
      if (at >= from && at < to) copy.#startRun(at - from, this.#runTerm[j]);
    }
    if (this.#configs.length > 0) {
      const lastIndex = prev.index + (to - from);
      for (const i of this.#configs) {
        if (i <= prev.index || i > lastIndex) continue;
        if (copy.#configs === NONE) copy.#configs = [];
        copy.#configs.push(i);
      }
    }
    return copy;
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
    const copy = other.clone();
    this.#prev = copy.#prev;
    this.#items = copy.#items;
    this.#runAt = copy.#runAt;
    this.#runTerm = copy.#runTerm;
    this.#configs = copy.#configs;
    this.#last = null;
  }
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
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
