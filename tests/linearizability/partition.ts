/**
 * P-compositionality (Herlihy and Wing): a history of a map is linearizable iff each key's
 * sub-history is, so the checker searches keys one at a time, each with a far smaller state space.
 */
import type { Operation } from "./history.ts";

/** The operations of each key, in the order given; keys in ascending order. */
export function partitionByKey<I, O>(operations: readonly Operation<I, O>[]): Map<string, Operation<I, O>[]> {
  const byKey = new Map<string, Operation<I, O>[]>();
  for (const op of operations) {
    const list = byKey.get(op.key);
    if (list === undefined) byKey.set(op.key, [op]);
    else list.push(op);
  }
  const keys = [...byKey.keys()].sort();
  return new Map(keys.map((key) => [key, byKey.get(key) as Operation<I, O>[]]));
}

/**
 * The operations that constrain the search, sorted by call time: failed operations never took
 * effect, and read-only operations with an unknown outcome constrain nothing, so both are dropped.
 */
export function constrainingOperations<I, O>(
  operations: readonly Operation<I, O>[],
  readOnly: (input: I) => boolean,
): Operation<I, O>[] {
  const kept = operations.filter((op) => op.outcome === "ok" || (op.outcome === "unknown" && !readOnly(op.input)));
  return kept.sort((a, b) => a.call - b.call || a.client - b.client);
}
