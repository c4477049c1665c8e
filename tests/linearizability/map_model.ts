/**
 * A single-key model lifted to a whole map, so a multi-key history can be checked without
 * splitting it by key: a cross-check of the partitioning (both must give the same verdict). The
 * state is an immutable map from key to the key's state; keys still at the initial state are absent.
 */
import type { Operation } from "./history.ts";
import { hashString, type Model, REJECTED } from "./model.ts";

/** An operation of the lifted model: the key moves into the input. */
export interface KeyedInput<I> {
  readonly key: string;
  readonly input: I;
}

/** The map model over `model`, whose operations are those of `model` on one named key each. */
export function mapModel<S, I, O>(model: Model<S, I, O>): Model<ReadonlyMap<string, S>, KeyedInput<I>, O> {
  const initial = model.init();
  return {
    name: `map of ${model.name}`,
    init: () => new Map<string, S>(),
    step(state, { key, input }, output) {
      const step = model.step(state.get(key) ?? initial, input, output);
      if (!step.ok) return REJECTED;
      const next = new Map(state);
      if (model.equal(step.next, initial)) next.delete(key);
      else next.set(key, step.next);
      return { ok: true, next };
    },
    equal(a, b) {
      if (a.size !== b.size) return false;
      for (const [key, s] of a) {
        const t = b.get(key);
        if (t === undefined || !model.equal(s, t)) return false;
      }
      return true;
    },
    hash(state) {
      // Order-independent: a sum over the entries.
      let h = 0;
      for (const [key, s] of state) h = (h + (Math.imul(hashString(key), 0x01000193) ^ model.hash(s))) | 0;
      return h;
    },
    readOnly: ({ input }) => model.readOnly(input),
    describe: ({ key, input }, output) => `${JSON.stringify(key)}: ${model.describe(input, output)}`,
    describeState: (state) =>
      `{${[...state].map(([k, s]) => `${JSON.stringify(k)}: ${model.describeState(s)}`).join(", ")}}`,
  };
}

/** The operations of a multi-key history as operations on one key of the map model. */
export function onOneKey<I, O>(operations: readonly Operation<I, O>[]): Operation<KeyedInput<I>, O>[] {
  return operations.map((op) => ({ ...op, key: "*", input: { key: op.key, input: op.input } }));
}
