/**
 * The storage ports of a Raft node: a log store (entries plus hard state, written as one
 * append-only record stream with group commit) and a snapshot store. The runtime drains a batch of
 * core actions into a log store, calls `sync()` once, and reports the returned position to
 * `RaftNode.handleLogDurable`.
 */
import type {
  ClusterConfig,
  Generation,
  Log,
  LogEntries,
  LogIndex,
  LogPosition,
  NodeId,
  Term,
} from "../../packages/core/src/mod.ts";

/** What a node must remember across restarts besides its log (Raft's persistent state). */
export interface HardState {
  /** The latest term the node has seen. */
  readonly term: Term;
  /** The candidate the node voted for in `term`, or null. */
  readonly votedFor: NodeId | null;
}

/** Names a snapshot: the last position it covers and the configuration in force there. */
export interface SnapshotMeta {
  /** The position of the last entry the snapshot covers. */
  readonly position: LogPosition;
  /** The configuration in force at `position`. */
  readonly config: ClusterConfig;
}

/** A snapshot: its metadata and the state machine's serialized state. */
export interface Snapshot {
  /** Which prefix of the log the snapshot replaces. */
  readonly meta: SnapshotMeta;
  /** The state machine's bytes, opaque to storage. */
  readonly data: Uint8Array;
}

/** What recovery had to do to a log directory, for the operator. */
export interface RecoveryReport {
  /** Segment files replayed. */
  readonly segments: number;
  /** Records replayed (all types). */
  readonly records: number;
  /** A torn or partial write cut off the end of the last segment, or null. */
  readonly tornTail: { readonly file: string; readonly offset: number; readonly droppedBytes: number } | null;
  /** What the explicit repair option removed after a corrupt record, or null. */
  readonly repaired: {
    readonly file: string;
    readonly offset: number;
    readonly reason: string;
    readonly droppedBytes: number;
    readonly droppedFiles: readonly string[];
  } | null;
}

/** Everything a node needs to restart, as found on disk. */
export interface RecoveredState {
  /** True iff the store held no state before this open (use `RaftNode.start`). */
  readonly isNew: boolean;
  /** The durable term and vote. */
  readonly hardState: HardState;
  /**
   * This run's restart generation, already durable: 0 for a new store, one more than the previous
   * open otherwise. Pass it to `RaftNode.restart`.
   */
  readonly generation: Generation;
  /** The latest snapshot the log was compacted to (position 0/0 and the empty config if none). */
  readonly snapshot: SnapshotMeta;
  /** The log after the snapshot, as a core `Log`; the caller owns it. */
  readonly log: Log;
  /** What recovery found and did. */
  readonly report: RecoveryReport;
}

/** The hard-state half of a {@link LogStore}. */
export interface HardStateStore {
  /** The durable hard state (as of the last successful `sync()`). */
  readonly hardState: HardState;
  /**
   * Buffers `state` for the next `sync()`. The term never decreases, and within one term a vote
   * is never changed once cast (both asserted).
   */
  saveHardState(state: HardState): void;
}

/**
 * A Raft log store with group commit. `append`, `saveHardState` and `compact` only buffer records;
 * `sync()` writes them all and makes them durable with one flush, then returns the last durable
 * log position. Reads see durable state only.
 *
 * Failure contract: if `sync()` throws a {@link StorageError} (`write_failed`, `no_space`), none of
 * the buffered records is acknowledged, they are discarded, and the store is back at its last
 * durable state; the runtime must rebuild its node from that state (or stop). A failed flush is
 * fatal: the store calls its fatal handler, which by default ends the process.
 */
export interface LogStore extends HardStateStore {
  /** The position of the last durable entry (the snapshot position when no entry follows it). */
  readonly durablePosition: LogPosition;
  /** The durable snapshot point the log is compacted to. */
  readonly snapshot: SnapshotMeta;
  /** This run's restart generation (see {@link RecoveredState.generation}). */
  readonly generation: Generation;
  /** True iff records are buffered and not yet durable (those of a sync in flight included). */
  readonly hasPending: boolean;
  /** True iff a sync begun by {@link LogStore.startSync} has not completed yet. */
  readonly syncInFlight: boolean;
  /**
   * Buffers `entries`: every entry after `entries.prevIndex` is deleted, then the entries are stored
   * (the contract of the core's AppendLogEntries action). `entries.prevPosition` must be in the log
   * as buffered so far (asserted). The store copies what it needs; `entries` is not retained.
   */
  append(entries: LogEntries): void;
  /**
   * Buffers a compaction to `snapshot`: entries at or below its index are dropped. Every entry is
   * dropped and the log restarts at the snapshot (the log was replaced) if `options.replaceLog` is
   * true, or if the log does not hold `snapshot.position`. After `RaftNode.handleSnapshotInstalled`
   * pass `replaceLog: LogPosition.equals(node.log.lastPosition, position)`, as the core asks. The
   * snapshot index must exceed the current one (asserted). Save the snapshot itself (in a
   * {@link SnapshotStore}) before syncing this.
   */
  compact(snapshot: SnapshotMeta, options?: CompactOptions): void;
  /**
   * Writes everything buffered, flushes it to disk once, and returns the last durable position.
   * A sync in flight is completed first (its `done` is called before this flush).
   */
  sync(): LogPosition;
  /**
   * Starts a sync of everything buffered so far that does not block the event loop: the records
   * are written now, the flush runs off the event loop, and `done(null)` is called once they are
   * durable (at once if nothing is buffered). Records buffered meanwhile belong to the next sync;
   * at most one sync is in flight (asserted). A failed write throws a {@link StorageError} here,
   * as from `sync()`. A failed flush is fatal: the fatal handler runs, and if it throws, `done`
   * gets what it threw. `close()` discards a sync in flight: its `done` is never called.
   */
  startSync(done: (error: unknown) => void): void;
  /**
   * The durable entries after index `after` (at most `maxEntries`), as a segment whose prev
   * position is `after`. `after` must lie in [snapshot index, last durable index] (asserted).
   */
  read(after: LogIndex, maxEntries?: number): LogEntries;
  /** Releases the files. Buffered records are discarded: call `sync()` first. */
  close(): void;
}

/** Options of {@link LogStore.compact}. */
export interface CompactOptions {
  /** Drop every stored entry, even those after the snapshot position. Default false. */
  readonly replaceLog?: boolean;
}

/** Stores snapshots, each written atomically and durably. */
export interface SnapshotStore {
  /**
   * Writes a snapshot atomically and durably: once this returns the snapshot survives a crash, and
   * a crash before that leaves no trace of it. Throws a {@link StorageError} on a failed write.
   * Snapshot files are not ordered with the log's records: save one only after the hard state
   * holding a term at least the snapshot's term is durable (opening refuses the store otherwise).
   */
  save(meta: SnapshotMeta, data: Uint8Array | Iterable<Uint8Array>): void;
  /** The snapshot with the highest index, or null if there is none. Throws `corrupt` if it fails its checks. */
  latest(): Snapshot | null;
  /** Deletes every snapshot whose index is below `keep.index`; returns how many were deleted. */
  prune(keep: LogPosition): number;
  /**
   * The newest snapshot file, checked (checksum and fields) and open for reading in chunks, or null
   * if there is none. The reader keeps its own handle: a later snapshot or a prune does not cut it
   * short. Throws `corrupt` if the file fails its checks.
   */
  openLatest(): SnapshotFileReader | null;
}

/** One snapshot file, open for reading: its metadata, length and checksum, and its bytes in chunks. */
export interface SnapshotFileReader {
  /** What the snapshot covers. */
  readonly meta: SnapshotMeta;
  /** The file's length in bytes. */
  readonly size: number;
  /**
   * The SHA-256 of the whole file, as 64 lower-case hex digits (a whole-file CRC-32 would say
   * nothing: the file ends with its own CRC-32, so the CRC-32 of all of it is the same constant).
   */
  readonly sha256: string;
  /**
   * The next at most `maxBytes` bytes of the file (a fresh buffer), or null after the last one.
   * Throws a {@link StorageError} `read_failed` if the file cannot be read.
   */
  read(maxBytes: number): Uint8Array | null;
  /** Releases the handle (idempotent). */
  close(): void;
}
