/**
 * The call and return events of one partition as a doubly linked list in time order, over typed
 * arrays (Porcupine's `node` list). Linearizing an operation lifts its call and return out of the
 * list; backtracking puts them back in the reverse order, like dancing links.
 */
import { assert } from "./assert.ts";

/** Index of the head sentinel; event nodes are 1..2n. */
export const HEAD = 0;
/** The "no node" link. */
export const NONE = -1;

/** The interval of one operation: its call and return times. */
export interface Interval {
  readonly call: number;
  readonly return: number;
}

/** Call and return events of n operations, linked in time order (calls before returns on ties). */
export class EventList {
  /** Forward links; `next[last] === NONE`. */
  readonly next: Int32Array;
  /** Backward links; `prev[HEAD] === NONE`. */
  readonly prev: Int32Array;
  /** The operation of each node. */
  readonly op: Int32Array;
  /** For a call node, its return node; NONE for return nodes and the head. */
  readonly match: Int32Array;
  /** The call node of each operation. */
  readonly callNode: Int32Array;

  /** Links the events of `intervals` (indexes are operation ids). */
  constructor(intervals: readonly Interval[]) {
    const n = intervals.length;
    this.next = new Int32Array(2 * n + 1);
    this.prev = new Int32Array(2 * n + 1);
    this.op = new Int32Array(2 * n + 1).fill(NONE);
    this.match = new Int32Array(2 * n + 1).fill(NONE);
    this.callNode = new Int32Array(n);
    this.#link(sortedEvents(intervals), n);
  }

  /** Links nodes 1..2n in the order of `events` (event e < n is op e's call, else op e-n's return). */
  #link(events: readonly number[], n: number): void {
    const returnNode = new Int32Array(n);
    events.forEach((event, i) => {
      const node = i + 1;
      this.op[node] = event < n ? event : event - n;
      if (event < n) this.callNode[event] = node;
      else returnNode[event - n] = node;
      this.prev[node] = node - 1;
      this.next[node - 1] = node;
    });
    this.next[events.length] = NONE;
    this.prev[HEAD] = NONE;
    for (let i = 0; i < n; i++) {
      assert(this.callNode[i] < returnNode[i], `operation ${i} returns before its call`);
      this.match[this.callNode[i]] = returnNode[i];
    }
  }

  /** True iff no event is left. */
  get empty(): boolean {
    return this.next[HEAD] === NONE;
  }

  /** Unlinks call node `call` and its return node. */
  lift(call: number): void {
    const { next, prev } = this;
    next[prev[call]] = next[call];
    prev[next[call]] = prev[call];
    const ret = this.match[call];
    next[prev[ret]] = next[ret];
    if (next[ret] !== NONE) prev[next[ret]] = prev[ret];
  }

  /** Relinks call node `call` and its return node; undoes the latest {@link lift}. */
  unlift(call: number): void {
    const { next, prev } = this;
    const ret = this.match[call];
    if (next[ret] !== NONE) prev[next[ret]] = ret;
    next[prev[ret]] = ret;
    prev[next[call]] = call;
    next[prev[call]] = call;
  }
}

/** Event ids sorted by time; on equal times calls come first (the intervals overlap), then by operation. */
function sortedEvents(intervals: readonly Interval[]): number[] {
  const n = intervals.length;
  const time = (e: number) => (e < n ? intervals[e].call : intervals[e - n].return);
  const events = Array.from({ length: 2 * n }, (_, e) => e);
  return events.sort((a, b) => time(a) - time(b) || Number(a >= n) - Number(b >= n) || a - b);
}
