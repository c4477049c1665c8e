/**
 * A linearizability checker for recorded key-value histories (Wing–Gong search with Lowe's
 * memoisation, per key, as in Porcupine), with the readable report of a violation.
 */
export { CheckerInvariantError } from "./assert.ts";
export { type CheckOptions, type CheckResult, checkOperations, DEFAULT_BOUNDS, type KeyReport } from "./check.ts";
export { type DescribeOptions, describeCheck } from "./describe.ts";
export { type FaultEvent, type History, historyProblems, type Operation, type Outcome } from "./history.ts";
export { type KvInput, type KvOperation, type KvOutput, type KvState, kvModel, kvOperation } from "./kv_model.ts";
export { type Model, REJECTED, type StepResult } from "./model.ts";
export type { Bound, SearchBounds, SearchResult } from "./search.ts";
