/**
 * What the runtime loop needs from storage, the network and the state machine. The node process
 * plugs in the file stores and WebSocket links; the simulator plugs in the in-memory storage twin
 * (whose syncs take simulated time) and a simulated network. Both run the same runtime.
 */
import type {
  ClusterConfig,
  Generation,
  LogEntries,
  LogPosition,
  Message,
  NodeId,
  Term,
} from "../../packages/core/src/mod.ts";

/** A snapshot as stored: what it covers and the state machine's bytes. */
export interface StoredSnapshot {
  readonly position: LogPosition;
  readonly config: ClusterConfig;
  readonly data: Uint8Array;
}

/** A durable snapshot's file open for reading: what it covers, its length and SHA-256, its bytes in chunks. */
export interface SnapshotFileReader {
  readonly meta: { readonly position: LogPosition; readonly config: ClusterConfig };
  /** The file's length in bytes. */
  readonly size: number;
  /** The SHA-256 of the whole file, as 64 lower-case hex digits. */
  readonly sha256: string;
  /** The next at most `maxBytes` bytes, or null after the last; throws a storage error if reading fails. */
  read(maxBytes: number): Uint8Array | null;
  /** Releases the file (idempotent). */
  close(): void;
}

/** Everything that was durable when storage was opened. */
export interface RecoveredState {
  readonly term: Term;
  readonly votedFor: NodeId | null;
  /** This run's restart generation, already durable (greater than every earlier run's). */
  readonly generation: Generation;
  readonly snapshot: StoredSnapshot | null;
  /** The entries after the snapshot position (or after 0/0). */
  readonly entries: LogEntries;
}

/**
 * Durable storage for one node. Writes are buffered until a sync makes all of them durable at
 * once (group commit). A failed write throws a storage error and acknowledges nothing; a failed
 * flush is fatal (the process stops).
 */
export interface RuntimeStorage {
  /** What was durable at the latest open. */
  readonly recovered: RecoveredState;
  /** The term of the durable hard state (a snapshot must never be from a later term). */
  readonly durableTerm: Term;
  /** True iff writes are buffered that are not durable yet (a sync in flight may cover some). */
  readonly hasPending: boolean;
  /** Buffers the hard state. */
  saveHardState(term: Term, votedFor: NodeId | null): void;
  /** Buffers entries; stored entries after `entries.prevIndex` are discarded. */
  append(entries: LogEntries): void;
  /**
   * Starts making every buffered write durable and calls `done` once it is: the file store
   * writes the batch before returning and calls `done` when its fdatasync, run off the event loop,
   * completes; the simulator's twin some simulated time later. Writes buffered meanwhile wait for
   * the next sync. The runtime never starts a sync while one is in flight. A failed write throws
   * a storage error from this call.
   */
  sync(done: () => void): void;
  /**
   * Makes every write, buffered or in flight, durable before returning; the `done` of a sync in
   * flight is called first.
   */
  syncNow(): void;
  /**
   * Stores `snapshot` durably (atomically) and buffers the log's compaction to it (durable with
   * the next sync; a crash before that is finished when storage is opened again). With `keepLog`
   * false the whole stored log is dropped (the snapshot came from the leader and replaces it).
   */
  installSnapshot(snapshot: StoredSnapshot, keepLog: boolean): void;
  /** The latest durable snapshot, if any. */
  latestSnapshot(): StoredSnapshot | null;
  /**
   * The latest durable snapshot as its file, checked and open for reading in chunks (a download or
   * a backup), or null if there is none. Throws a storage error if it fails its checks.
   */
  openLatestSnapshot(): SnapshotFileReader | null;
  /**
   * Closes and opens the storage again (after a failed write left memory ahead of the disk); the
   * new open records a higher generation. Throws if the storage still cannot be opened.
   */
  reopen(): RecoveredState;
  /** Closes files. */
  close(): void;
}

/**
 * A snapshot of a state machine at one applied index, serialised in slices across turns while the
 * machine keeps applying entries (see {@link StateMachine.beginSnapshot}).
 */
export interface SnapshotJob {
  /** The applied index whose state the snapshot holds. */
  readonly appliedIndex: number;
  /** Does one bounded slice of the work; true once {@link SnapshotJob.data} is complete. */
  step(): boolean;
  /** The snapshot (what `snapshot()` answered at `appliedIndex`); only once complete. */
  readonly data: Uint8Array;
  /** Abandons the job. */
  cancel(): void;
}

/** A replicated state machine. */
export interface StateMachine<R> {
  /** The highest log index applied (commands or not). */
  readonly appliedIndex: number;
  /** Applies a command entry's payload at `index`. Deterministic; never throws on bad payloads. */
  apply(index: number, payload: Uint8Array | string): R;
  /** Records that a non-command entry at `index` was applied. */
  skip(index: number): void;
  /** Serialises the whole state (at `appliedIndex`). */
  snapshot(): Uint8Array;
  /**
   * Starts a snapshot of the state at `appliedIndex`, serialised in slices (optional: without it,
   * automatic snapshots are taken whole, in one turn). One job at a time.
   */
  beginSnapshot?(): SnapshotJob;
  /** Replaces the whole state with a snapshot's; false (state unchanged) if it is not valid. */
  restore(data: Uint8Array): boolean;
  /** Resets to the empty state (before rebuilding from storage). */
  reset(): void;
}

/** A peer to dial: its node id and its base URL. */
export interface PeerAddress {
  readonly id: NodeId;
  readonly url: string;
}

/** Sends messages to peers; may drop them (Raft tolerates loss). */
export interface RuntimeTransport {
  /** Sends one message; false if it was dropped. */
  send(to: NodeId, message: Message): boolean;
  /** Sends one message to several peers (encoded once). */
  broadcast(to: readonly NodeId[], message: Message): void;
  /** Streams a snapshot to a peer; resolves true when every chunk was handed to the link. */
  sendSnapshot(to: NodeId, snapshot: StoredSnapshot): Promise<boolean>;
  /** The peers to keep links to (ids and URLs); messages to anyone else are dropped. */
  setPeers(peers: readonly PeerAddress[]): void;
  /** Closes every link. */
  close(): void;
}
