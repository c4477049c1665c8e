/**
 * Histories for the linearizability checker: client operations with call and return times read
 * from one monotonic clock, each with what its client learned of it, plus the faults injected while
 * the history was recorded (so a report can show what happened around a violation).
 */

/**
 * What a client learned of its operation.
 *
 * - `ok`: it returned `output`; it took effect exactly once between its call and its return.
 * - `failed`: it definitely did not take effect (refused or dropped before it could apply).
 * - `unknown`: no answer (timeout, lost connection). A write may take effect at any time after its
 *   call, or never; a read constrains nothing. The client continues under a fresh id.
 */
export type Outcome = "ok" | "failed" | "unknown";

/** One operation of one client. `I` and `O` are the model's input and output types. */
export interface Operation<I = unknown, O = unknown> {
  /** The client that issued it. Invariant: a client has at most one operation in flight. */
  readonly client: number;
  /** The operation's name as reports print it, e.g. `get` (for the kv model, `input.kind`). */
  readonly kind: string;
  /** The key it touched; the checker checks each key on its own. */
  readonly key: string;
  /** The arguments, for the model. */
  readonly input: I;
  /** The answer; present iff `outcome` is `ok`. */
  readonly output?: O;
  /** When the client called it. */
  readonly call: number;
  /** When the answer arrived; `Infinity` iff `outcome` is `unknown`. Invariant: call <= return. */
  readonly return: number;
  /** What the client learned. */
  readonly outcome: Outcome;
  /** The node that served it (the one the client talked to), when known. */
  readonly node?: string;
}

/** A fault injected while the history was recorded, on the operations' clock. */
export interface FaultEvent {
  /** When the fault started. */
  readonly at: number;
  /** When it was healed; absent for instantaneous faults (a crash, a restart) or if never healed. */
  readonly until?: number;
  /** What kind of fault, e.g. `partition`, `crash`, `restart`, `clock-skew`. */
  readonly kind: string;
  /** The nodes it hit. */
  readonly nodes?: readonly string[];
  /** Free text for the report, e.g. `{n1} | {n2 n3}`. */
  readonly detail?: string;
}

/** A recorded run: its operations and the faults injected during it. */
export interface History<I = unknown, O = unknown> {
  /** Every operation, in any order. */
  readonly operations: readonly Operation<I, O>[];
  /** Faults, in any order; empty when none were injected. */
  readonly faults: readonly FaultEvent[];
}

/**
 * Problems with the shape of a history that make it meaningless to check, each as one sentence;
 * empty when it is well formed. Checked: times are numbers with call <= return, `return` is
 * infinite iff the outcome is unknown, `output` is present iff the outcome is ok, and each client
 * runs one operation at a time and never issues another after an unknown outcome.
 */
export function historyProblems(operations: readonly Operation[]): string[] {
  const problems: string[] = [];
  operations.forEach((op, i) => {
    problems.push(...operationProblems(op).map((p) => `operation ${i} (client ${op.client}, ${op.kind}): ${p}`));
  });
  problems.push(...clientProblems(operations));
  return problems;
}

/** Problems of one operation on its own. */
function operationProblems(op: Operation): string[] {
  const problems: string[] = [];
  if (Number.isNaN(op.call) || !Number.isFinite(op.call)) problems.push(`call time ${op.call} is not finite`);
  if (Number.isNaN(op.return)) problems.push("return time is NaN");
  if (op.return < op.call) problems.push(`returns at ${op.return} before its call at ${op.call}`);
  const unknown = op.outcome === "unknown";
  if (unknown && op.return !== Number.POSITIVE_INFINITY) problems.push("unknown outcome with a finite return time");
  if (!unknown && op.return === Number.POSITIVE_INFINITY) problems.push(`${op.outcome} outcome with no return time`);
  if (op.outcome === "ok" && op.output === undefined) problems.push("ok outcome without an output");
  if (op.outcome !== "ok" && op.output !== undefined) problems.push(`${op.outcome} outcome with an output`);
  return problems;
}

/** Problems of the per-client order: overlapping operations, reuse after an unknown outcome. */
function clientProblems(operations: readonly Operation[]): string[] {
  const byClient = new Map<number, Operation[]>();
  for (const op of operations) {
    const list = byClient.get(op.client);
    if (list === undefined) byClient.set(op.client, [op]);
    else list.push(op);
  }
  const problems: string[] = [];
  for (const [client, ops] of byClient) {
    ops.sort((a, b) => a.call - b.call);
    for (let i = 1; i < ops.length; i++) {
      const before = ops[i - 1];
      const after = ops[i];
      if (before.outcome === "unknown") {
        problems.push(`client ${client} issues ${after.kind} at ${after.call} after an unknown outcome`);
      } else if (after.call < before.return) {
        problems.push(`client ${client} calls ${after.kind} at ${after.call} before ${before.kind} returns`);
      }
    }
  }
  return problems;
}
