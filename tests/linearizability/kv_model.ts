/**
 * The project's key-value store as a sequential specification, one key at a time: the checker
 * splits a history by key (operations on different keys commute, so the store is linearizable iff
 * every key is), which makes the store's map a product of these single-key registers.
 */
import type { Operation } from "./history.ts";
import { hashString, type Model, REJECTED, type StepResult } from "./model.ts";

/** A key's value; null when absent. */
export type KvState = string | null;

/** The arguments of a kv operation. A cas with `expect: null` requires the key to be absent. */
export type KvInput =
  | { readonly kind: "get" }
  | { readonly kind: "put"; readonly value: string }
  | { readonly kind: "delete" }
  | { readonly kind: "cas"; readonly expect: string | null; readonly value: string };

/** A get's value (null when absent), null for put and delete, true iff a cas swapped. */
export type KvOutput = string | boolean | null;

/** A kv operation of a history. */
export type KvOperation = Operation<KvInput, KvOutput>;

/** Fields of a kv operation besides its kind, which comes from `input`. */
export type KvOperationFields = Omit<KvOperation, "kind">;

/** Builds a kv operation, taking its `kind` from `input.kind`. */
export function kvOperation(fields: KvOperationFields): KvOperation {
  return { ...fields, kind: fields.input.kind };
}

const ACCEPT_NULL: StepResult<KvState> = Object.freeze({ ok: true, next: null });

/** Accepts with the next state `next`. */
function accept(next: KvState): StepResult<KvState> {
  return next === null ? ACCEPT_NULL : { ok: true, next };
}

/** The single-key register with get, put, delete and compare-and-set; initially absent. */
export const kvModel: Model<KvState, KvInput, KvOutput> = {
  name: "kv",
  init: () => null,
  step(state, input, output) {
    switch (input.kind) {
      case "get":
        return output === undefined || output === state ? accept(state) : REJECTED;
      case "put":
        return output === undefined || output === null ? accept(input.value) : REJECTED;
      case "delete":
        return output === undefined || output === null ? ACCEPT_NULL : REJECTED;
      case "cas":
        return stepCas(state, input, output);
    }
  },
  equal: (a, b) => a === b,
  hash: (state) => (state === null ? 0x2545f491 : hashString(state)),
  readOnly: (input) => input.kind === "get",
  describe: describeKv,
  describeState: (state) => (state === null ? "absent" : JSON.stringify(state)),
};

/** A cas swaps iff the value is `expect`; an unknown outcome swaps then too (or it never ran). */
function stepCas(state: KvState, input: { expect: string | null; value: string }, output: KvOutput | undefined) {
  const matches = state === input.expect;
  if (output !== undefined && output !== matches) return REJECTED;
  return accept(matches ? input.value : state);
}

/** One line such as `get → "a"`, `put "b"`, `cas absent→"c" → false`. */
function describeKv(input: KvInput, output: KvOutput | undefined): string {
  const value = (v: string | null) => (v === null ? "absent" : JSON.stringify(v));
  const answer = output === undefined ? "" : ` → ${typeof output === "boolean" ? output : value(output)}`;
  switch (input.kind) {
    case "get":
      return `get${answer}`;
    case "put":
      return `put ${value(input.value)}`;
    case "delete":
      return "delete";
    case "cas":
      return `cas ${value(input.expect)}→${value(input.value)}${answer}`;
  }
}
