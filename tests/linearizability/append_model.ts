/**
 * The key-value model of Porcupine's `kv` test histories, one key at a time: get, put and append
 * on string values, where an absent key reads as the empty string.
 */
import type { Operation } from "./history.ts";
import { hashString, type Model, REJECTED, type StepResult } from "./model.ts";

/** The arguments of an operation on one key. */
export type AppendInput =
  | { readonly kind: "get" }
  | { readonly kind: "put"; readonly value: string }
  | { readonly kind: "append"; readonly value: string };

/** A get's value; null for put and append. */
export type AppendOutput = string | null;

/** An operation of a `kv` test history. */
export type AppendOperation = Operation<AppendInput, AppendOutput>;

/** The single-key string register with get, put and append; initially the empty string. */
export const appendModel: Model<string, AppendInput, AppendOutput> = {
  name: "append",
  init: () => "",
  step(state, input, output): StepResult<string> {
    switch (input.kind) {
      case "get":
        return output === undefined || output === state ? { ok: true, next: state } : REJECTED;
      case "put":
        return output === undefined || output === null ? { ok: true, next: input.value } : REJECTED;
      case "append":
        return output === undefined || output === null ? { ok: true, next: state + input.value } : REJECTED;
    }
  },
  equal: (a, b) => a === b,
  hash: hashString,
  readOnly: (input) => input.kind === "get",
  describe(input, output) {
    if (input.kind === "get") return output === undefined ? "get" : `get → ${JSON.stringify(output)}`;
    return `${input.kind} ${JSON.stringify(input.value)}`;
  },
  describeState: (state) => JSON.stringify(state),
};
