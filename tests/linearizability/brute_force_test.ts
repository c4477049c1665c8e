/**
 * The search against a brute force on small random histories: every order of the operations that
 * respects real time, replayed on a separate, naive register. The two must agree on every history.
 */
import { describe, expect, it } from "bun:test";
import fc from "fast-check";
import { checkOperations } from "./check.ts";
import type { Outcome } from "./history.ts";
import type { KvInput, KvOperation, KvOutput } from "./kv_model.ts";
import { kvModel } from "./kv_model.ts";

/** One drawn operation before times and clients are assigned. */
interface Draw {
  readonly client: number;
  readonly input: KvInput;
  readonly output: KvOutput;
  readonly outcome: Outcome;
  readonly gap: number;
  readonly length: number;
}

const value = fc.constantFrom("a", "b");
const input: fc.Arbitrary<KvInput> = fc.oneof(
  fc.constant<KvInput>({ kind: "get" }),
  value.map((v): KvInput => ({ kind: "put", value: v })),
  fc.constant<KvInput>({ kind: "delete" }),
  fc.tuple(fc.option(value), value).map(([expect, v]): KvInput => ({ kind: "cas", expect, value: v })),
);
const draw: fc.Arbitrary<Draw> = fc.record({
  client: fc.integer({ min: 0, max: 2 }),
  input,
  output: fc.oneof(fc.constant(null), value, fc.boolean()),
  outcome: fc.constantFrom<Outcome>("ok", "ok", "ok", "ok", "failed", "unknown"),
  gap: fc.integer({ min: 0, max: 3 }),
  length: fc.integer({ min: 0, max: 6 }),
});

/** Lays the draws out in time: each client one operation at a time, a fresh id after an unknown outcome. */
function historyOf(draws: readonly Draw[]): KvOperation[] {
  const free = [0, 0, 0];
  const id = [0, 1, 2];
  return draws.map((d) => {
    const call = free[d.client] + d.gap;
    const ret = d.outcome === "unknown" ? Number.POSITIVE_INFINITY : call + d.length;
    free[d.client] = d.outcome === "unknown" ? call : ret;
    const client = id[d.client];
    if (d.outcome === "unknown") id[d.client] += 3;
    const output = d.outcome === "ok" ? { output: fitOutput(d.input, d.output) } : {};
    return { client, kind: d.input.kind, key: "x", input: d.input, call, return: ret, outcome: d.outcome, ...output };
  });
}

/** An output of the right type for the input (a get returns a value, a cas a boolean). */
function fitOutput(input: KvInput, output: KvOutput): KvOutput {
  if (input.kind === "get") return typeof output === "boolean" ? null : output;
  if (input.kind === "cas") return typeof output === "boolean" ? output : output === null;
  return null;
}

/** True iff some real-time-respecting order of the constraining operations replays on a register. */
function bruteForce(history: readonly KvOperation[]): boolean {
  const ops = history.filter((op) => op.outcome === "ok" || (op.outcome === "unknown" && op.kind !== "get"));
  const used = new Array(ops.length).fill(false);
  const extend = (state: string | null, count: number): boolean => {
    if (count === ops.length) return true;
    return ops.some((op, i) => {
      if (used[i]) return false;
      // Every unused operation that returned before this one was called must come first.
      if (ops.some((other, j) => !used[j] && j !== i && other.return < op.call)) return false;
      const next = replay(state, op);
      if (next === undefined) return false;
      used[i] = true;
      const found = extend(next, count + 1);
      used[i] = false;
      return found;
    });
  };
  return extend(null, 0);
}

/** The register after `op` from `state`, or undefined if `op` cannot return its output there. */
function replay(state: string | null, op: KvOperation): string | null | undefined {
  const known = op.outcome === "ok";
  switch (op.input.kind) {
    case "get":
      return !known || op.output === state ? state : undefined;
    case "put":
      return op.input.value;
    case "delete":
      return null;
    case "cas": {
      const swaps = state === op.input.expect;
      if (known && op.output !== swaps) return undefined;
      return swaps ? op.input.value : state;
    }
  }
}

describe("checkOperations() against a brute force", () => {
  it("checkOperations() agrees with trying every order on random histories of up to 7 operations", () => {
    const verdicts = { ok: 0, violation: 0 };
    fc.assert(
      fc.property(fc.array(draw, { minLength: 0, maxLength: 7 }), (draws) => {
        const history = historyOf(draws);
        const verdict = checkOperations(kvModel, history).verdict;
        expect(verdict).toBe(bruteForce(history) ? "ok" : "violation");
        verdicts[verdict as "ok" | "violation"]++;
      }),
      { numRuns: 2000 },
    );
    // Both verdicts occur often enough for the comparison to mean something.
    expect(verdicts.ok).toBeGreaterThan(200);
    expect(verdicts.violation).toBeGreaterThan(200);
  });
});
