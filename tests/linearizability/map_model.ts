/**
 * A single-key model lifted to a whole map, so a multi-key history can be checked without
 * splitting it by key: a cross-check of the partitioning (both must give the same verdict).
 */
import type { Operation } from "./history.ts";
import { hashString, type Model, REJECTED } from "./model.ts";

/** An operation of the lifted model: the key moves into the input. */
export interface KeyedInput<I> {
  readonly key: string;
  readonly input: I;
}

/**
 * A state of the map model: each key's state by the key's index (undefined while at the initial
 * state), and the state's hash kept incrementally, so a step copies one small array and hashes
 * one value. Invariant: `hash` is the sum of the entry hashes of the keys not at the initial state.
 */
export interface MapState<S> {
  readonly values: readonly (S | undefined)[];
  readonly hash: number;
}

/** The map model over `model`, whose operations are those of `model` on one named key each. */
export function mapModel<S, I, O>(model: Model<S, I, O>): Model<MapState<S>, KeyedInput<I>, O> {
  const initial = model.init();
  /** Index of each key seen so far, with its name's hash; the same for all states of this model. */
  const keys = new Map<string, { index: number; hash: number }>();
  const keyOf = (key: string) => {
    const known = keys.get(key);
    if (known !== undefined) return known;
    const k = { index: keys.size, hash: Math.imul(hashString(key), 0x01000193) };
    keys.set(key, k);
    return k;
  };
  const entryHash = (keyHash: number, s: S | undefined) => (s === undefined ? 0 : keyHash ^ model.hash(s));
  const names = () => [...keys.keys()];
  return {
    name: `map of ${model.name}`,
    init: () => ({ values: [], hash: 0 }),
    step(state, { key, input }, output) {
      const k = keyOf(key);
      const before = state.values[k.index];
      const step = model.step(before ?? initial, input, output);
      if (!step.ok) return REJECTED;
      const after = model.equal(step.next, initial) ? undefined : step.next;
      const values = state.values.slice();
      values[k.index] = after;
      const hash = (state.hash - entryHash(k.hash, before) + entryHash(k.hash, after)) | 0;
      return { ok: true, next: { values, hash } };
    },
    equal(a, b) {
      if (a.hash !== b.hash) return false;
      const n = Math.max(a.values.length, b.values.length);
      for (let i = 0; i < n; i++) {
        const [s, t] = [a.values[i], b.values[i]];
        if (s !== t && (s === undefined || t === undefined || !model.equal(s, t))) return false;
      }
      return true;
    },
    hash: (state) => state.hash,
    readOnly: ({ input }) => model.readOnly(input),
    describe: ({ key, input }, output) => `${JSON.stringify(key)}: ${model.describe(input, output)}`,
    describeState(state) {
      const entries = names().flatMap((name, i) => {
        const s = state.values[i];
        return s === undefined ? [] : [`${JSON.stringify(name)}: ${model.describeState(s)}`];
      });
      return `{${entries.join(", ")}}`;
    },
  };
}

/** The operations of a multi-key history as operations on one key of the map model. */
export function onOneKey<I, O>(operations: readonly Operation<I, O>[]): Operation<KeyedInput<I>, O>[] {
  return operations.map((op) => ({ ...op, key: "*", input: { key: op.key, input: op.input } }));
}
