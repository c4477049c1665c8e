/** Invariant assertions of the linearizability checker. */

/** Thrown when the checker is used against its contract (a malformed history) or its state is broken. */
export class CheckerInvariantError extends Error {
  /** Creates the error; `message` names the invariant that failed. */
  constructor(message: string) {
    super(`linearizability checker invariant violated: ${message}`);
    this.name = "CheckerInvariantError";
  }
}

/** Throws {@link CheckerInvariantError} with `message` unless `condition` holds. */
export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new CheckerInvariantError(message);
}
