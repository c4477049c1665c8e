/** Shared helpers of the key-value tests: command payloads built through the real encoder. */
import { encodeCommand, type KvCommand, type KvStateMachine } from "../../src/kv/mod.ts";

/** The payload of `command`; throws if the encoder refuses it. */
export function payload(command: KvCommand): string {
  const encoded = encodeCommand(command);
  if (!encoded.ok) throw new Error(encoded.message);
  return encoded.payload;
}

/** Applies a put of `key`=`value` at `index`. */
export function put(sm: KvStateMachine, index: number, key: string, value: string, expect: object = {}) {
  return sm.apply(index, payload({ op: "put", key, value, ...expect }));
}

/** Applies a delete of `key` at `index`. */
export function del(sm: KvStateMachine, index: number, key: string, expect: object = {}) {
  return sm.apply(index, payload({ op: "delete", key, ...expect }));
}
