/**
 * The Wing–Gong search with Lowe's memoisation, as in Porcupine's `checkSingle`: walk the event
 * list, try to linearize each operation whose call precedes the first pending return, and backtrack
 * when that return is reached. A (linearized set, state) pair seen before is never explored again.
 * The search is bounded in steps and cache size (deterministic) and optionally in wall time; at a
 * bound it answers `unknown`, never a pass.
 */
import { assert } from "./assert.ts";
import { BitsetCache } from "./bitset_cache.ts";
import { EventList, HEAD, type Interval } from "./event_list.ts";
import type { Model } from "./model.ts";

/** Bounds of a search. */
export interface SearchBounds {
  /** Most loop steps (one candidate tried or one backtrack each). */
  readonly maxSteps: number;
  /** Most cached (linearized set, state) pairs. */
  readonly maxStates: number;
  /** Most bytes the cache's own arrays may hold (approximately; the states' own size is not counted). */
  readonly maxCacheBytes: number;
  /** A `performance.now()` time after which the search gives up; not for tests (not deterministic). */
  readonly deadline?: number;
}

/** Which bound stopped a search. */
export type Bound = "steps" | "states" | "memory" | "deadline";

/** The answer of a search over one partition. */
export type SearchResult =
  | { readonly verdict: "ok"; readonly steps: number; readonly states: number }
  | {
      readonly verdict: "violation";
      readonly steps: number;
      readonly states: number;
      /** A longest linearizable prefix found: operation indexes in linearization order. */
      readonly longestPrefix: readonly number[];
    }
  | {
      readonly verdict: "unknown";
      readonly steps: number;
      readonly states: number;
      readonly bound: Bound;
      /** As for a violation, of the part searched so far. */
      readonly longestPrefix: readonly number[];
    };

/** An operation as the search sees it: an interval with the model's input and output. */
export interface SearchOperation<I, O> extends Interval {
  readonly input: I;
  /** Undefined when the outcome is unknown (then `return` is infinite). */
  readonly output: O | undefined;
}

/** How often (in steps) the wall-time deadline is read. */
const DEADLINE_CHECK_INTERVAL = 1 << 14;

/** Checks that `operations` (one partition) are linearizable with respect to `model`. */
export function searchLinearization<S, I, O>(
  model: Model<S, I, O>,
  operations: readonly SearchOperation<I, O>[],
  bounds: SearchBounds,
): SearchResult {
  const search = new Search(model, operations, bounds);
  return search.run();
}

/** The state of one search: the event list, the stack of linearized operations and the cache. */
class Search<S, I, O> {
  readonly #model: Model<S, I, O>;
  readonly #ops: readonly SearchOperation<I, O>[];
  readonly #bounds: SearchBounds;
  readonly #list: EventList;
  readonly #cache: BitsetCache<S>;
  /** Bit i is set iff operation i is on the stack. */
  readonly #linearized: Uint32Array;
  /** Random 32-bit key per operation; #hash is the xor over the linearized ones (Zobrist hashing). */
  readonly #keys: Int32Array;
  #hash = 0;
  /** Call nodes of the linearized operations, in order, and the state before each. */
  readonly #stackNode: Int32Array;
  readonly #stackState: S[] = [];
  #depth = 0;
  /** The model state after the linearized operations. */
  #state: S;
  #longest: number[] = [];
  #steps = 0;

  constructor(model: Model<S, I, O>, operations: readonly SearchOperation<I, O>[], bounds: SearchBounds) {
    this.#model = model;
    this.#ops = operations;
    this.#bounds = bounds;
    this.#list = new EventList(operations);
    const words = Math.max(1, Math.ceil(operations.length / 32));
    this.#cache = new BitsetCache<S>(words, model.equal);
    this.#linearized = new Uint32Array(words);
    this.#keys = zobristKeys(operations.length);
    this.#stackNode = new Int32Array(operations.length);
    this.#state = model.init();
  }

  run(): SearchResult {
    const list = this.#list;
    let node = list.next[HEAD];
    while (!list.empty) {
      const bound = this.#boundReached();
      if (bound !== null) return this.#unknown(bound);
      this.#steps++;
      const ret = list.match[node];
      if (ret !== -1) {
        // A call: try to linearize its operation next.
        node = this.#tryLinearize(node) ? list.next[HEAD] : list.next[node];
        continue;
      }
      // A return: its operation must be linearized before anything later, and no candidate worked.
      if (this.#depth === 0) return this.#violation();
      node = list.next[this.#pop()];
    }
    assert(this.#depth === this.#ops.length, `search ended with ${this.#depth} of ${this.#ops.length} linearized`);
    return { verdict: "ok", steps: this.#steps, states: this.#cache.size };
  }

  /** Linearizes the operation of call node `node` next if the model allows it and the result is new. */
  #tryLinearize(node: number): boolean {
    const i = this.#list.op[node];
    const op = this.#ops[i];
    const step = this.#model.step(this.#state, op.input, op.output);
    if (!step.ok) return false;
    this.#toggle(i);
    const hash = this.#hash ^ Math.imul(this.#model.hash(step.next), 0x9e3779b1);
    if (!this.#cache.add(hash, this.#linearized, step.next)) {
      // Seen before: that subtree was explored already.
      this.#toggle(i);
      return false;
    }
    this.#stackNode[this.#depth] = node;
    this.#stackState[this.#depth] = this.#state;
    this.#depth++;
    this.#state = step.next;
    this.#list.lift(node);
    if (this.#depth > this.#longest.length) this.#recordLongest();
    return true;
  }

  /** Undoes the latest linearization, restoring the state before it; returns its call node. */
  #pop(): number {
    assert(this.#depth > 0, "backtracking with an empty stack");
    this.#depth--;
    const node = this.#stackNode[this.#depth];
    this.#toggle(this.#list.op[node]);
    this.#list.unlift(node);
    this.#state = this.#stackState[this.#depth];
    return node;
  }

  /** Flips operation i's bit and its key in the running hash. */
  #toggle(i: number): void {
    this.#linearized[i >>> 5] ^= 1 << (i & 31);
    this.#hash ^= this.#keys[i];
  }

  #recordLongest(): void {
    this.#longest = Array.from(this.#stackNode.subarray(0, this.#depth), (node) => this.#list.op[node]);
  }

  #boundReached(): Bound | null {
    const bounds = this.#bounds;
    if (this.#steps >= bounds.maxSteps) return "steps";
    if (this.#cache.size >= bounds.maxStates) return "states";
    if (this.#cache.bytes + this.#cache.bytesPerEntry > bounds.maxCacheBytes) return "memory";
    const checkClock = bounds.deadline !== undefined && this.#steps % DEADLINE_CHECK_INTERVAL === 0;
    if (checkClock && performance.now() > (bounds.deadline as number)) return "deadline";
    return null;
  }

  #unknown(bound: Bound): SearchResult {
    return { verdict: "unknown", steps: this.#steps, states: this.#cache.size, bound, longestPrefix: this.#longest };
  }

  #violation(): SearchResult {
    return { verdict: "violation", steps: this.#steps, states: this.#cache.size, longestPrefix: this.#longest };
  }
}

/** Distinct-looking pseudo-random 32-bit keys, one per operation, from a fixed seed (deterministic). */
function zobristKeys(n: number): Int32Array {
  const keys = new Int32Array(n);
  let x = 0x2545f491;
  for (let i = 0; i < n; i++) {
    // xorshift32
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    keys[i] = x;
  }
  return keys;
}
