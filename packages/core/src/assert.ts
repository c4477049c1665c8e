/**
 * Invariant assertions for the core. A failed assertion means the node's own state is broken
 * (a bug, or storage handed back something it never wrote); the only safe reaction is to stop.
 */

/** Thrown when a core invariant does not hold. Never thrown for bad peer input or rejected user calls. */
export class RaftInvariantError extends Error {
  /** Creates the error; `message` names the invariant that failed. */
  constructor(message: string) {
    super(`raft invariant violated: ${message}`);
    this.name = "RaftInvariantError";
  }
}

/** Throws {@link RaftInvariantError} with `message` unless `condition` holds. */
export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new RaftInvariantError(message);
}
