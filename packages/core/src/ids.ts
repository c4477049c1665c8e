/**
 * Branded scalar identifiers. At run time they are plain numbers and strings; the brands keep a
 * `LogIndex` from being passed where a `Term` is expected.
 */
import { assert } from "./assert.ts";

/** A node's identity in the cluster; a non-empty string chosen by the user. */
export type NodeId = string & { readonly __brand: "NodeId" };
/** A Raft term: a monotonically increasing election epoch, starting at 0. */
export type Term = number & { readonly __brand: "Term" };
/** A 1-based position in the log; 0 is the sentinel before the first entry. */
export type LogIndex = number & { readonly __brand: "LogIndex" };
/** A node's restart counter; it must strictly increase on every restart of the same node. */
export type Generation = number & { readonly __brand: "Generation" };

function checkCount(n: number, what: string): void {
  assert(Number.isSafeInteger(n) && n >= 0, `${what} must be a non-negative safe integer, got ${n}`);
}

/** Constructors for {@link NodeId}. */
export const NodeId: {
  /** Brands `s` as a node id; it must be non-empty. */
  of(s: string): NodeId;
} = {
  of(s: string): NodeId {
    assert(typeof s === "string" && s.length > 0, "a node id must be a non-empty string");
    return s as NodeId;
  },
};

/** Constructors and constants for {@link Term}. */
export const Term: {
  /** The term every node starts in. */
  readonly ZERO: Term;
  /**
   * The highest term a node ever holds. Messages from later terms are ignored and a node in this
   * term does not campaign, so the next term a node computes is always a safe integer.
   */
  readonly MAX: Term;
  /** Brands `n` as a term; it must be a non-negative safe integer. */
  of(n: number): Term;
} = {
  ZERO: 0 as Term,
  MAX: (Number.MAX_SAFE_INTEGER - 1) as Term,
  of(n: number): Term {
    checkCount(n, "a term");
    return n as Term;
  },
};

/** Constructors and constants for {@link LogIndex}. */
export const LogIndex: {
  /** The sentinel index before the first entry. */
  readonly ZERO: LogIndex;
  /** Brands `n` as a log index; it must be a non-negative safe integer. */
  of(n: number): LogIndex;
} = {
  ZERO: 0 as LogIndex,
  of(n: number): LogIndex {
    checkCount(n, "a log index");
    return n as LogIndex;
  },
};

/** Constructors and constants for {@link Generation}. */
export const Generation: {
  /** The generation of a node that has never restarted. */
  readonly ZERO: Generation;
  /** Brands `n` as a generation; it must be a non-negative safe integer. */
  of(n: number): Generation;
} = {
  ZERO: 0 as Generation,
  of(n: number): Generation {
    checkCount(n, "a generation");
    return n as Generation;
  },
};
