/** Log positions: the (term, index) pair that names one log entry cluster-wide. */
import { assert } from "./assert.ts";
import { LogIndex, Term } from "./ids.ts";

/** Identifies one log entry cluster-wide: its term and its index. Ordered by term, then index. */
export interface LogPosition {
  /** The term of the entry. */
  readonly term: Term;
  /** The index of the entry. */
  readonly index: LogIndex;
}

const ZERO: LogPosition = Object.freeze({ term: Term.ZERO, index: LogIndex.ZERO });
const INVALID: LogPosition = Object.freeze({ term: Number.MAX_SAFE_INTEGER as Term, index: LogIndex.ZERO });

/** Constructors, constants and comparisons for {@link LogPosition}. */
export const LogPosition: {
  /** The position before the first entry of an empty log. */
  readonly ZERO: LogPosition;
  /** Returned or carried when a precondition fails; never the position of a real entry. */
  readonly INVALID: LogPosition;
  /** Builds a position; both parts must be non-negative safe integers. */
  of(term: number, index: number): LogPosition;
  /** True iff `p` is {@link LogPosition.INVALID}. */
  isInvalid(p: LogPosition): boolean;
  /** True iff both parts are equal. */
  equals(a: LogPosition, b: LogPosition): boolean;
  /** Lexicographic comparison by (term, index): negative, zero or positive. */
  compare(a: LogPosition, b: LogPosition): number;
  /** Formats as `term/index`, the form used in every message of this project. */
  format(p: LogPosition): string;
} = {
  ZERO,
  INVALID,
  of(term: number, index: number): LogPosition {
    return { term: Term.of(term), index: LogIndex.of(index) };
  },
  isInvalid(p: LogPosition): boolean {
    return p.term === INVALID.term && p.index === INVALID.index;
  },
  equals(a: LogPosition, b: LogPosition): boolean {
    return a.term === b.term && a.index === b.index;
  },
  compare(a: LogPosition, b: LogPosition): number {
    return a.term !== b.term ? a.term - b.term : a.index - b.index;
  },
  format(p: LogPosition): string {
    assert(typeof p.term === "number", "a position has a numeric term");
    return `${p.term}/${p.index}`;
  },
};
