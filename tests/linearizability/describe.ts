/**
 * The readable report of a check: on a violation (or a bound), the failing key's history as a
 * compact timeline (client, node, operation, call and return times, outcome, a bar per operation),
 * where the search got stuck, and the faults injected around that time.
 */
import type { CheckResult, KeyReport } from "./check.ts";
import type { FaultEvent, Operation } from "./history.ts";
import type { Model } from "./model.ts";
import { type Axis, bar, formatTime, table, truncate } from "./timeline.ts";

/** Options of {@link describeCheck}. */
export interface DescribeOptions {
  /** Faults injected during the run; those around the failing key's operations are listed. */
  readonly faults?: readonly FaultEvent[];
  /**
   * Most operations listed; default 60. A longer history is cut to a window around where the
   * search got stuck, plus the earlier operations still in flight then.
   */
  readonly maxOperations?: number;
  /** Width of the timeline bars; default 40. */
  readonly width?: number;
}

/** A multi-line report of `result`, which `model` produced. */
export function describeCheck<S, I, O>(
  model: Model<S, I, O>,
  result: CheckResult<I, O>,
  options: DescribeOptions = {},
): string {
  if (result.verdict === "ok" || result.failure === undefined) {
    return `linearizable: ${result.keys} key(s) checked against the ${model.name} model in ${result.steps} steps`;
  }
  const failure = result.failure;
  const lines = [headline(model, result.verdict, failure)];
  lines.push(...stuckPoint(model, failure));
  lines.push("", ...operationTable(model, failure, options));
  lines.push("", ...faultTable(failure.operations, options.faults ?? []));
  return lines.join("\n");
}

/** The first line: verdict, key, size, effort. */
function headline<I, O>(
  model: Model<unknown, I, O>,
  verdict: "violation" | "unknown",
  failure: KeyReport<I, O>,
): string {
  const { key, operations, result } = failure;
  const size = `${operations.length} operation(s), ${result.steps} steps, ${result.states} states`;
  if (verdict === "violation") return `NOT linearizable (${model.name} model): key ${JSON.stringify(key)}, ${size}`;
  const bound = result.verdict === "unknown" ? result.bound : "?";
  return `UNKNOWN (${model.name} model, the ${bound} bound was reached): key ${JSON.stringify(key)}, ${size}`;
}

/** Longest text of an operation or a state in a report. */
const MAX_TEXT = 60;

/** The prefix of a failure's search (empty for a pass). */
function prefixOf(failure: KeyReport<unknown, unknown>): readonly number[] {
  return failure.result.verdict === "ok" ? [] : failure.result.longestPrefix;
}

/** The longest linearizable prefix found, the state after it, and why each next candidate fails. */
function stuckPoint<S, I, O>(model: Model<S, I, O>, failure: KeyReport<I, O>): string[] {
  const prefix = prefixOf(failure);
  const ops = failure.operations;
  const state = replay(model, ops, prefix);
  const lines = [
    `A longest linearizable prefix found has ${prefix.length} of ${ops.length} operations (column lin gives its order).`,
    `After it the state is ${truncate(model.describeState(state), MAX_TEXT)}; the operations that could come next:`,
  ];
  for (const i of nextCandidates(ops, prefix)) {
    const op = ops[i];
    const fits = model.step(state, op.input, outputOf(op)).ok;
    const why = fits ? "fits here, but no linearization goes on from there" : "the model refuses it here";
    const text = truncate(model.describe(op.input, outputOf(op)), MAX_TEXT);
    lines.push(`  #${i} client ${op.client}${op.node === undefined ? "" : ` on ${op.node}`}: ${text} (${why})`);
  }
  return lines;
}

/** The model state after `prefix`; every step must be accepted (the search found it so). */
function replay<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], prefix: readonly number[]): S {
  let state = model.init();
  for (const i of prefix) {
    const step = model.step(state, ops[i].input, outputOf(ops[i]));
    if (!step.ok) throw new Error(`Cannot replay the linearized prefix: operation #${i} is refused`);
    state = step.next;
  }
  return state;
}

/** Operations outside `prefix` called no later than the earliest return outside it. */
function nextCandidates(ops: readonly Operation[], prefix: readonly number[]): number[] {
  const done = new Set(prefix);
  const rest = ops.map((_, i) => i).filter((i) => !done.has(i));
  const firstReturn = Math.min(...rest.map((i) => ops[i].return));
  return rest.filter((i) => ops[i].call <= firstReturn);
}

function outputOf<I, O>(op: Operation<I, O>): O | undefined {
  return op.outcome === "ok" ? op.output : undefined;
}

/** The key's operations in call order (or a window of them), with times relative to the first call. */
function operationTable<I, O>(
  model: Model<unknown, I, O>,
  failure: KeyReport<I, O>,
  options: DescribeOptions,
): string[] {
  const ops = failure.operations;
  const axis = axisOf(ops, options.width ?? 40);
  const prefix = prefixOf(failure);
  const position = new Map(prefix.map((op, k): [number, number] => [op, k + 1]));
  const next = new Set(nextCandidates(ops, prefix));
  const shown = shownOperations(ops, [...next], options.maxOperations ?? 60);
  const rel = (t: number) => formatTime(t - axis.start);
  const rows = [["#", "client", "node", "operation", "call", "return", "outcome", "lin", "timeline"]];
  for (const i of shown) {
    const op = ops[i];
    const operation = truncate(model.describe(op.input, outputOf(op)), MAX_TEXT);
    const lin = position.has(i) ? String(position.get(i)) : next.has(i) ? "next?" : "-";
    const row = [`#${i}`, String(op.client), op.node ?? "?", operation, rel(op.call), rel(op.return), op.outcome, lin];
    rows.push([...row, bar(axis, op.call, op.return)]);
  }
  return [
    `Operations of key ${JSON.stringify(failure.key)}, ${shown.length} of ${ops.length} shown; times from t0 = ${formatTime(axis.start)}.`,
    "lin: position in the prefix, or next? for a candidate to follow it.",
    `Left out of the search: ${failure.dropped.length} failed operation(s) or unknown read(s), which constrain nothing.`,
    ...table(rows),
  ];
}

/**
 * Indexes of the operations to list: all if at most `limit`, else a window of `limit` around the
 * first candidate plus the earlier operations still in flight at the window's start.
 */
function shownOperations(ops: readonly Operation[], candidates: readonly number[], limit: number): number[] {
  const all = ops.map((_, i) => i);
  if (ops.length <= limit) return all;
  const pivot = Math.min(...candidates, ops.length - 1);
  const from = Math.max(0, Math.min(pivot - Math.floor((2 * limit) / 3), ops.length - limit));
  const start = ops[from].call;
  return all.filter((i) => (i >= from && i < from + limit) || (i < from && ops[i].return >= start));
}

/** From the first call to the last finite time of `ops`, with room after it for unknown outcomes. */
function axisOf(ops: readonly Operation[], width: number): Axis {
  const times = ops.flatMap((op) => [op.call, op.return]).filter((t) => Number.isFinite(t));
  const [start, last] = [Math.min(...times), Math.max(...times)];
  const open = ops.some((op) => op.return === Number.POSITIVE_INFINITY);
  return { start, end: open ? last + Math.max(1, (last - start) / 10) : last, width };
}

/** Faults that overlap the key's operations (widened by a tenth of their span on each side). */
function faultTable(ops: readonly Operation[], faults: readonly FaultEvent[]): string[] {
  if (ops.length === 0) return ["No operations, so no faults around them."];
  const axis = axisOf(ops, 1);
  const margin = (axis.end - axis.start) / 10;
  const near = faults.filter((f) => f.at <= axis.end + margin && (f.until ?? f.at) >= axis.start - margin);
  if (near.length === 0) return [`Faults around them: none (of ${faults.length} in the run).`];
  const rel = (t: number) => formatTime(t - axis.start);
  const rows = [["at", "until", "kind", "nodes", "detail"]];
  for (const f of [...near].sort((a, b) => a.at - b.at)) {
    const until = f.until === undefined ? "-" : rel(f.until);
    rows.push([rel(f.at), until, f.kind, (f.nodes ?? []).join(",") || "-", f.detail ?? ""]);
  }
  return [`Faults around them (${near.length} of ${faults.length} in the run; same time origin):`, ...table(rows)];
}
