/** Invariant assertions of the key-value state machine. */

/**
 * Thrown when the state machine is used against its contract (an index applied twice or out of order)
 * or its own state is broken. The node must stop: applying on would make replicas diverge.
 */
export class KvInvariantError extends Error {
  /** Creates the error; `message` names the invariant that failed. */
  constructor(message: string) {
    super(`kv invariant violated: ${message}`);
    this.name = "KvInvariantError";
  }
}

/**
 * Throws {@link KvInvariantError} with `message` unless `condition` holds. On hot paths pass the
 * message as a function, so it is only built when the assertion fails.
 */
export function assert(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new KvInvariantError(typeof message === "string" ? message : message());
}
