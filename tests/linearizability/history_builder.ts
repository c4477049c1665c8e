/**
 * Builds operations from a log of invocations and completions by process, as Jepsen writes them.
 * A process runs one operation at a time; after an unknown outcome it continues as a fresh client
 * (the stuck operation may still take effect), so client ids are process numbers until then.
 */
import { assert } from "./assert.ts";
import type { Operation, Outcome } from "./history.ts";

/** An invocation waiting for its completion. */
interface Pending<I> {
  readonly client: number;
  readonly kind: string;
  readonly key: string;
  readonly input: I;
  readonly call: number;
}

/** Collects invocations and completions into operations. */
export class HistoryBuilder<I, O> {
  readonly #pending = new Map<number, Pending<I>>();
  /** The client each process runs as now. */
  readonly #clientOf = new Map<number, number>();
  readonly #done: Operation<I, O>[] = [];
  /** Fresh client ids start here, above any process number a log is likely to use. */
  #nextFresh = 1_000_000;

  /** Process `process` invokes an operation at `call`. */
  invoke(process: number, call: number, op: { kind: string; key: string; input: I }): void {
    assert(!this.#pending.has(process), `process ${process} invokes ${op.kind} at ${call} while one is in flight`);
    const client = this.#clientOf.get(process) ?? process;
    this.#clientOf.set(process, client);
    this.#pending.set(process, { client, call, ...op });
  }

  /** The operation in flight of `process` ends at `time` with `outcome` (and `output` iff ok). */
  complete(process: number, time: number, outcome: Outcome, output?: O): void {
    const pending = this.#pending.get(process);
    assert(pending !== undefined, `process ${process} completes at ${time} with nothing in flight`);
    this.#pending.delete(process);
    const ret = outcome === "unknown" ? Number.POSITIVE_INFINITY : time;
    this.#done.push({ ...pending, return: ret, outcome, ...(outcome === "ok" ? { output } : {}) });
    if (outcome === "unknown") this.#clientOf.set(process, this.#nextFresh++);
  }

  /** Every operation; those still in flight end with an unknown outcome. */
  finish(): Operation<I, O>[] {
    for (const process of [...this.#pending.keys()]) this.complete(process, Number.POSITIVE_INFINITY, "unknown");
    return this.#done;
  }
}
