/**
 * Plain types of the key-value state machine. The HTTP facade (src/server/service.ts) re-exports
 * `KvEntry`, so the runtime passes entries through without copying.
 */

/** One key with its metadata. Revisions are log indexes. */
export interface KvEntry {
  readonly key: string;
  readonly value: string;
  /** Log index of the last change of this key. Invariant: createRevision <= revision. */
  readonly revision: number;
  /** Log index at which the key was created (since its last deletion). Invariant: createRevision >= 1. */
  readonly createRevision: number;
  /** Number of changes since creation (1 after the first put). Invariant: 1 <= version. */
  readonly version: number;
}

/** A command applied and changed (or, for a delete of a missing key, checked) the state. */
export interface ApplySuccess {
  readonly ok: true;
  /**
   * The key's revision after the write, which is the entry's log index; 0 for a delete of a missing
   * key. For `noop` commands, the entry's log index.
   */
  readonly revision: number;
  /** The key's entry before the write; always null for `noop`. */
  readonly prev: KvEntry | null;
  /**
   * Set when the command repeated an idempotency key seen before: the log index of the first
   * command with that key, whose result this is. Nothing changed this time.
   */
  readonly replayOf?: number;
}

/** A compare-and-set expectation did not hold; the state did not change. */
export interface ApplyCompareFailed {
  readonly ok: false;
  readonly code: "compare_failed";
  /** The key's entry as it is (null if absent). */
  readonly current: KvEntry | null;
  /** As in {@link ApplySuccess}: the first command's log index when this result is a replay. */
  readonly replayOf?: number;
}

/**
 * The command carried an idempotency key already used by a different command (another op, key,
 * value or expectation); the state did not change.
 */
export interface ApplyIdempotencyKeyReused {
  readonly ok: false;
  readonly code: "idempotency_key_reused";
  /** Log index of the first command with this key. */
  readonly firstIndex: number;
}

/** The payload was not a valid command; it was applied as a no-op on every node alike. */
export interface ApplyInvalidCommand {
  readonly ok: false;
  readonly code: "invalid_command";
  /** Why the payload was refused, for the client that proposed it. */
  readonly message: string;
}

/** The outcome of applying one command entry; the same on every node. */
export type ApplyResult = ApplySuccess | ApplyCompareFailed | ApplyInvalidCommand | ApplyIdempotencyKeyReused;

/** A result worth remembering under an idempotency key: what the first command answered. */
export type RememberedResult = ApplySuccess | ApplyCompareFailed;

/** A listing of keys with a prefix. */
export interface KvListing {
  /** Matching entries in ascending UTF-16 code unit order of their keys, at most `limit`. */
  readonly items: KvEntry[];
  /** True iff more keys matched than `limit`. */
  readonly more: boolean;
}
