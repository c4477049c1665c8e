/**
 * What the runtime loop needs from storage, the network and the state machine. Thin adapters
 * connect these ports to src/storage, src/transport and src/kv; tests plug in fakes.
 */
import type { ClusterConfig, Generation, LogEntries, LogPosition, Message, NodeId, Term } from "../core/mod.ts";

/** A snapshot as stored: what it covers and the state machine's bytes. */
export interface StoredSnapshot {
  readonly position: LogPosition;
  readonly config: ClusterConfig;
  readonly data: Uint8Array;
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
 * Durable storage for one node. Writes are buffered until `sync`, which makes all of them durable
 * with one fdatasync (group commit) or fails the process (a failed fsync is fatal).
 */
export interface RuntimeStorage {
  /** What was durable at open. */
  readonly recovered: RecoveredState;
  /** Buffers the hard state. */
  saveHardState(term: Term, votedFor: NodeId | null): void;
  /** Buffers entries; stored entries after `entries.prevIndex` are discarded. */
  append(entries: LogEntries): void;
  /** Makes every buffered write durable. Throws a storage error (nothing acknowledged) on a failed write. */
  sync(): void;
  /**
   * Durably stores `snapshot` (atomically) and compacts the log below it; when `keepLog` is false
   * the whole stored log is discarded (the snapshot came from the leader and replaces it).
   */
  installSnapshot(snapshot: StoredSnapshot, keepLog: boolean): void;
  /** The latest durable snapshot, if any. */
  latestSnapshot(): StoredSnapshot | null;
  /**
   * Closes and opens the storage again (after a failed write left memory ahead of the disk); the
   * new open records a higher generation. Throws if the storage still cannot be opened.
   */
  reopen(): RecoveredState;
  /** Closes files. */
  close(): void;
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
  /** Replaces the whole state with a snapshot's; false (state unchanged) if it is not valid. */
  restore(data: Uint8Array): boolean;
  /** Resets to the empty state (before rebuilding from storage). */
  reset(): void;
}

/** A received snapshot, verified and ready to install. */
export interface IncomingSnapshot {
  readonly from: NodeId;
  readonly snapshot: StoredSnapshot;
}

/** Sends messages to peers; may drop them (Raft tolerates loss). */
export interface RuntimeTransport {
  /** Sends one message; false if it was dropped. */
  send(to: NodeId, message: Message): boolean;
  /** Sends one message to several peers (encoded once). */
  broadcast(to: readonly NodeId[], message: Message): void;
  /** Streams a snapshot to a peer; resolves true when every chunk was handed to the link. */
  sendSnapshot(to: NodeId, snapshot: StoredSnapshot): Promise<boolean>;
  /** Updates the peers to dial (ids and URLs). */
  setPeers(peers: ReadonlyArray<{ id: NodeId; url: string }>): void;
  /** Closes every link. */
  close(): void;
}
