/** The options each call of a {@link RaftClient} (see raft_client.ts) takes. */
import type { Consistency } from "./values.ts";

/** Options every call takes. */
export interface CallOptions {
  /** Deadline of each attempt in milliseconds (default: the client's `timeoutMs`). */
  readonly timeoutMs?: number;
  /** Attempts, the first one included (default: the client's `attempts`). */
  readonly attempts?: number;
  /** Aborts the call (its result is then an `aborted` error). */
  readonly signal?: AbortSignal;
}

/** Options of a write of a key. */
export interface WriteOptions extends CallOptions {
  /** Write only if the key's revision equals this (0: the key must not exist). */
  readonly expectRevision?: number;
  /** Write only if the key's value equals this. */
  readonly expectValue?: string;
  /**
   * The write's idempotency key, sent on every attempt so the service applies it at most once
   * (default: a fresh random one per call). `null` sends none: an attempt that may have been
   * applied is then not retried, and the call answers an indefinite error.
   */
  readonly idempotencyKey?: string | null;
}

/** Options of a read. */
export interface ReadOptions extends CallOptions {
  /** `linearizable` (default), `leader`, or `stale` (any node's local state). */
  readonly consistency?: Consistency;
}

/** Options of a listing. */
export interface ListOptions extends ReadOptions {
  /** Only keys that start with this. */
  readonly prefix?: string;
  /** At most this many keys per page (the service's default is 100, its maximum 1000). */
  readonly limit?: number;
  /** Only keys after this one (the previous page's `next`). */
  readonly after?: string;
}

/** Options of {@link RaftClient.members}. */
export interface MembersOptions extends CallOptions {
  /** `leader` (default: the leader's view) or `stale` (the view of whichever node answers). */
  readonly consistency?: "leader" | "stale";
}

/** Options of a call answered by one node about itself. */
export interface NodeCallOptions extends CallOptions {
  /** The node to ask (a URL); default the leader if known, else the endpoints in turn. */
  readonly endpoint?: string;
}
