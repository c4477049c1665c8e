/**
 * The sequential specification a history is checked against: a state machine whose steps say
 * whether an operation with a given input may return a given output in a given state. States are
 * small immutable values; the checker memoises (linearized set, state) pairs by `hash` and `equal`.
 */

/** The answer of {@link Model.step}. */
export type StepResult<S> = { readonly ok: true; readonly next: S } | { readonly ok: false };

/** The one rejected step; models return it instead of allocating. */
export const REJECTED: StepResult<never> = Object.freeze({ ok: false });

/** A sequential specification with state `S`, inputs `I` and outputs `O`. */
export interface Model<S, I, O> {
  /** Name for reports, e.g. `kv`. */
  readonly name: string;
  /** The state before any operation. */
  init(): S;
  /**
   * Applies `input` to `state`: `ok` with the next state if the operation may return `output`
   * there. `output` is undefined when the outcome is unknown: any output is then acceptable.
   * Must not mutate `state`.
   */
  step(state: S, input: I, output: O | undefined): StepResult<S>;
  /** True iff `a` and `b` are the same state. */
  equal(a: S, b: S): boolean;
  /** A 32-bit hash of `state`, equal for equal states. */
  hash(state: S): number;
  /**
   * True iff an operation with `input` never changes the state; such operations with an unknown
   * outcome constrain nothing, and the checker drops them.
   */
  readOnly(input: I): boolean;
  /** One short line for an operation, e.g. `get → "a"` or `put "b"`; output undefined if unknown. */
  describe(input: I, output: O | undefined): string;
  /** One short line for a state, e.g. `"a"` or `absent`. */
  describeState(state: S): string;
}

/** FNV-1a hash of a string's UTF-16 code units, as a 32-bit integer. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}
