/** Terse builders of hand-made kv histories for tests: one key ("x") unless told otherwise. */
import type { KvInput, KvOperation, KvOutput } from "./kv_model.ts";

/** Optional fields of a built operation. */
export interface OpExtras {
  readonly key?: string;
  readonly node?: string;
}

/** A get. */
export const GET: KvInput = { kind: "get" };
/** A delete. */
export const DELETE: KvInput = { kind: "delete" };
/** A put of `value`. */
export function put(value: string): KvInput {
  return { kind: "put", value };
}
/** A compare-and-set from `expect` (null: absent) to `value`. */
export function cas(expect: string | null, value: string): KvInput {
  return { kind: "cas", expect, value };
}

/** An operation of `client` from `call` to `ret` that returned `output`. */
export function ok(
  client: number,
  input: KvInput,
  [call, ret]: [number, number],
  output: KvOutput,
  extras: OpExtras = {},
): KvOperation {
  return {
    client,
    kind: input.kind,
    key: extras.key ?? "x",
    input,
    output,
    call,
    return: ret,
    outcome: "ok",
    ...node(extras),
  };
}

/** An operation of `client` called at `call` whose outcome is unknown. */
export function unknown(client: number, input: KvInput, call: number, extras: OpExtras = {}): KvOperation {
  const ret = Number.POSITIVE_INFINITY;
  return {
    client,
    kind: input.kind,
    key: extras.key ?? "x",
    input,
    call,
    return: ret,
    outcome: "unknown",
    ...node(extras),
  };
}

/** An operation of `client` from `call` to `ret` that definitely did not take effect. */
export function failed(
  client: number,
  input: KvInput,
  [call, ret]: [number, number],
  extras: OpExtras = {},
): KvOperation {
  return {
    client,
    kind: input.kind,
    key: extras.key ?? "x",
    input,
    call,
    return: ret,
    outcome: "failed",
    ...node(extras),
  };
}

function node(extras: OpExtras): { node?: string } {
  return extras.node === undefined ? {} : { node: extras.node };
}
