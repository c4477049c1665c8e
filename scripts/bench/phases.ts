/**
 * The phases of one benchmark run, in order: writes at 1, 16, 64 and 256 in flight, first all to
 * the leader and then spread over every node (followers forward), then linearizable reads at 1
 * and 256 in flight the same two ways; and which node and key each request of a phase uses.
 */

/** What a phase does. */
export type PhaseOp = "write" | "read";
/** Where its requests go: all to the leader, or spread over every node. */
export type PhaseTarget = "leader" | "spread";

/** One phase. */
export interface Phase {
  /** Stable name, e.g. `write-leader-64`. */
  readonly id: string;
  readonly op: PhaseOp;
  readonly target: PhaseTarget;
  readonly inFlight: number;
}

function phase(op: PhaseOp, target: PhaseTarget, inFlight: number): Phase {
  return { id: `${op}-${target}-${inFlight}`, op, target, inFlight };
}

/** Every phase of a run, in the order they run. */
export const PHASES: readonly Phase[] = [
  ...[1, 16, 64, 256].map((n) => phase("write", "leader", n)),
  ...[1, 16, 64, 256].map((n) => phase("write", "spread", n)),
  ...[1, 256].map((n) => phase("read", "leader", n)),
  ...[1, 256].map((n) => phase("read", "spread", n)),
];

/**
 * Which node the `k`-th request of `worker` goes to: the leader, or the nodes in turn (each worker
 * starting at a different one, so every node gets the same share at any number in flight).
 */
export function nodeOf(target: PhaseTarget, leader: number, nodes: number, worker: number, k: number): number {
  return target === "leader" ? leader : (worker + k) % nodes;
}

/** The `keys` distinct key names, `bench-000000` and up. */
export function keyNames(keys: number): string[] {
  return Array.from({ length: keys }, (_, i) => `bench-${String(i).padStart(6, "0")}`);
}

/** The key request `i` of a phase uses: writes go through the keys in order, reads hop across them. */
export function keyIndexOf(op: PhaseOp, i: number, keys: number): number {
  // 7919 is prime, so the hops visit every key once per `keys` reads unless `keys` is a multiple of it.
  return op === "write" ? i % keys : (i * 7919) % keys;
}

/** The value written by request `i`: its number padded to exactly `bytes` characters. */
export function writtenValue(i: number, bytes: number): string {
  const digits = String(i);
  return digits.length >= bytes ? digits.slice(-bytes) : digits.padStart(bytes, "v");
}
