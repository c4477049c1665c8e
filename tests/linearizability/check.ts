/**
 * Checks a history against a model: validates its shape, splits it by key, and searches each key
 * (smallest first) until one is found not linearizable. The verdict is `violation` as soon as one
 * key has none, `unknown` if a bound cut some key's search short and no key failed, else `ok`.
 */
import { assert } from "./assert.ts";
import { historyProblems, type Operation } from "./history.ts";
import type { Model } from "./model.ts";
import { constrainingOperations, partitionByKey } from "./partition.ts";
import { type SearchBounds, type SearchResult, searchLinearization } from "./search.ts";

/** Bounds of a whole check; `maxSteps` is shared by all keys, the cache bounds apply to each key. */
export type CheckOptions = Partial<SearchBounds>;

/** Default bounds: generous for tests, and under about half a GiB of cache. */
export const DEFAULT_BOUNDS: SearchBounds = {
  maxSteps: 200_000_000,
  maxStates: 10_000_000,
  maxCacheBytes: 512 * 1024 * 1024,
};

/** The search of one key. */
export interface KeyReport<I, O> {
  readonly key: string;
  /** The operations searched (see constrainingOperations), in call order; the result's indexes refer to these. */
  readonly operations: readonly Operation<I, O>[];
  /** The key's operations left out of the search: failed ones, and read-only ones with an unknown outcome. */
  readonly dropped: readonly Operation<I, O>[];
  readonly result: SearchResult;
}

/** The verdict on a history. */
export interface CheckResult<I, O> {
  readonly verdict: "ok" | "violation" | "unknown";
  /** Steps over all keys. */
  readonly steps: number;
  /** Number of keys. */
  readonly keys: number;
  /** On a violation, the failing key with the fewest operations; on unknown, the first key a bound cut short. */
  readonly failure?: KeyReport<I, O>;
  /** Keys whose search a bound cut short. */
  readonly undecided: readonly string[];
}

/** Checks `operations` against `model`; throws a CheckerInvariantError if the history is malformed. */
export function checkOperations<S, I, O>(
  model: Model<S, I, O>,
  operations: readonly Operation<I, O>[],
  options: CheckOptions = {},
): CheckResult<I, O> {
  const problems = historyProblems(operations);
  assert(problems.length === 0, `malformed history: ${problems.slice(0, 5).join("; ")}`);
  const bounds: SearchBounds = { ...DEFAULT_BOUNDS, ...options };
  const keys = smallestFirst(partitionByKey(operations), model);
  let steps = 0;
  let firstUndecided: KeyReport<I, O> | undefined;
  const undecided: string[] = [];
  for (const { key, operations: ops, dropped } of keys) {
    const remaining = { ...bounds, maxSteps: bounds.maxSteps - steps };
    const result = searchLinearization(model, ops.map(searchOperation), remaining);
    steps += result.steps;
    const report = { key, operations: ops, dropped, result };
    if (result.verdict === "violation")
      return { verdict: "violation", steps, keys: keys.length, failure: report, undecided };
    if (result.verdict === "unknown") {
      undecided.push(key);
      firstUndecided ??= report;
    }
  }
  const verdict = firstUndecided === undefined ? "ok" : "unknown";
  return { verdict, steps, keys: keys.length, failure: firstUndecided, undecided };
}

/** A key's operations, split into those searched and those left out. */
interface KeyOperations<I, O> {
  readonly key: string;
  readonly operations: Operation<I, O>[];
  readonly dropped: Operation<I, O>[];
}

/** Each key's operations, fewest searched first (then by key), so the first failure is the smallest. */
function smallestFirst<S, I, O>(byKey: Map<string, Operation<I, O>[]>, model: Model<S, I, O>): KeyOperations<I, O>[] {
  const keys = [...byKey].map(([key, all]) => {
    const operations = constrainingOperations(all, model.readOnly);
    const kept = new Set(operations);
    return { key, operations, dropped: all.filter((op) => !kept.has(op)) };
  });
  const byKeyName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return keys.sort((a, b) => a.operations.length - b.operations.length || byKeyName(a.key, b.key));
}

/** The search's view of an operation. */
function searchOperation<I, O>(op: Operation<I, O>) {
  return { call: op.call, return: op.return, input: op.input, output: op.outcome === "ok" ? op.output : undefined };
}
