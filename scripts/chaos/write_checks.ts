/**
 * Checks of a history against the final state, beyond linearizability, with messages that name the
 * operations: every acknowledged write is present at the end or overwritten by a later write, and
 * no write answered with a definite failure is ever visible. Values are unique per run, so a value
 * names the operation that wrote it.
 */
import type { KvOperation } from "../../tests/linearizability/mod.ts";

/** One operation as a report prints it. */
export function describeOp(op: KvOperation): string {
  const end = op.return === Number.POSITIVE_INFINITY ? "?" : op.return.toFixed(0);
  return `client ${op.client} on ${op.node ?? "?"} ${JSON.stringify(op.input)} [${op.call.toFixed(0)}..${end} ms] ${op.outcome}`;
}

/** The value `op` writes, if it writes one. */
function writtenValue(op: KvOperation): string | undefined {
  return op.input.kind === "put" || op.input.kind === "cas" ? op.input.value : undefined;
}

/** True iff `op` was acknowledged as having changed the key (a put, a swapped cas, a delete). */
function acknowledgedWrite(op: KvOperation): boolean {
  if (op.outcome !== "ok") return false;
  if (op.input.kind === "cas") return op.output === true;
  return op.input.kind === "put" || op.input.kind === "delete";
}

/** The operations of each key. */
function byKey(ops: readonly KvOperation[]): Map<string, KvOperation[]> {
  const out = new Map<string, KvOperation[]>();
  for (const op of ops) {
    const list = out.get(op.key);
    if (list === undefined) out.set(op.key, [op]);
    else list.push(op);
  }
  return out;
}

/** Every read in `ops` that saw a value whose write was answered with a definite failure. */
export function visibleFailedWrites(ops: readonly KvOperation[]): string[] {
  const failed = new Map<string, KvOperation>();
  for (const op of ops) {
    const value = writtenValue(op);
    if (value !== undefined && op.outcome === "failed") failed.set(`${op.key}\u0000${value}`, op);
  }
  const problems: string[] = [];
  for (const op of ops) {
    if (op.input.kind !== "get" || op.outcome !== "ok" || typeof op.output !== "string") continue;
    const writer = failed.get(`${op.key}\u0000${op.output}`);
    if (writer !== undefined) {
      problems.push(
        `key ${op.key}: ${describeOp(op)} saw ${JSON.stringify(op.output)}, written by a definite failure: ${describeOp(writer)}`,
      );
    }
  }
  return problems;
}

/**
 * Acknowledged writes that the final state lost. `finals` holds each key's final value (null:
 * absent). A final value written by `w` loses every acknowledged write called after `w` returned;
 * a final absence loses an acknowledged put or cas that no delete (other than a definite failure)
 * could have followed.
 */
export function lostWrites(ops: readonly KvOperation[], finals: ReadonlyMap<string, string | null>): string[] {
  const problems: string[] = [];
  for (const [key, keyOps] of byKey(ops)) {
    if (!finals.has(key)) continue;
    const final = finals.get(key) ?? null;
    problems.push(...(final === null ? lostByAbsence(key, keyOps) : lostByValue(key, keyOps, final)));
  }
  return problems;
}

function lostByValue(key: string, ops: readonly KvOperation[], final: string): string[] {
  const writer = ops.find((op) => writtenValue(op) === final);
  if (writer === undefined) return [`key ${key}: the final value ${JSON.stringify(final)} was never written`];
  if (writer.outcome === "failed") {
    return [
      `key ${key}: the final value ${JSON.stringify(final)} was written by a definite failure: ${describeOp(writer)}`,
    ];
  }
  if (writer.outcome === "ok" && writer.input.kind === "cas" && writer.output === false) {
    return [
      `key ${key}: the final value ${JSON.stringify(final)} is that of a cas answered as not swapped: ${describeOp(writer)}`,
    ];
  }
  return ops
    .filter((op) => op !== writer && acknowledgedWrite(op) && op.call > writer.return)
    .map(
      (op) =>
        `key ${key}: acknowledged ${describeOp(op)} is lost: the final value was written by ${describeOp(writer)}, which returned before it was called`,
    );
}

function lostByAbsence(key: string, ops: readonly KvOperation[]): string[] {
  const deletes = ops.filter((op) => op.input.kind === "delete" && op.outcome !== "failed");
  return ops
    .filter((op) => acknowledgedWrite(op) && op.input.kind !== "delete")
    .filter((op) => !deletes.some((d) => d.return > op.call))
    .map(
      (op) =>
        `key ${key}: acknowledged ${describeOp(op)} is lost: the key is absent at the end and no delete came after it`,
    );
}
