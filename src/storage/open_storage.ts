/**
 * Opening a node's storage as a whole: the log store and the snapshot store in one directory (or
 * on one in-memory disk), reconciled so that a crash between saving a snapshot and compacting the
 * log to it is finished on the next start.
 */
import { Log, LogEntries, LogPosition } from "../../packages/core/src/mod.ts";
import { StorageError } from "./errors.ts";
import { FileLogStore, type FileLogStoreOptions } from "./file_log_store.ts";
import { FileSnapshotStore } from "./file_snapshot_store.ts";
import { type MemoryDisk, MemoryLogStore, type MemoryLogStoreOptions, MemorySnapshotStore } from "./memory_storage.ts";
import type { LogStore, RecoveredState, Snapshot, SnapshotStore } from "./types.ts";

/** A node's open storage and the state to restart it from. */
export interface OpenedStorage {
  /** The log and hard state. */
  readonly log: LogStore;
  /** The snapshots. */
  readonly snapshots: SnapshotStore;
  /** The recovered state, with the log already compacted to `snapshot`. */
  readonly recovered: RecoveredState;
  /** The latest snapshot (restore the state machine from it), or null. */
  readonly snapshot: Snapshot | null;
}

/** Opens (or creates) the file storage in `dir`: segments and snapshot files side by side. */
export function openFileStorage(dir: string, options: FileLogStoreOptions = {}): OpenedStorage {
  const snapshots = FileSnapshotStore.open(dir, { fs: options.fs, onFatal: options.onFatal });
  const { store, recovered } = FileLogStore.open(dir, options);
  try {
    return reconcile(store, snapshots, recovered);
  } catch (error) {
    store.close();
    throw error;
  }
}

/** Opens (or creates) the in-memory twin storage on `disk`. */
export function openMemoryStorage(disk: MemoryDisk, options: MemoryLogStoreOptions = {}): OpenedStorage {
  const { store, recovered } = MemoryLogStore.open(disk, options);
  return reconcile(store, new MemorySnapshotStore(disk), recovered);
}

/**
 * Brings the log's compaction point up to the latest snapshot (finishing a compaction a crash
 * interrupted), checks that a snapshot covers whatever the log dropped, and prunes older snapshots.
 */
function reconcile(log: LogStore, snapshots: SnapshotStore, recovered: RecoveredState): OpenedStorage {
  const snapshot = snapshots.latest();
  const compactedTo = recovered.snapshot.position;
  if (snapshot === null) {
    if (compactedTo.index > 0) throw missingSnapshot(compactedTo, "there is no snapshot");
    return { log, snapshots, recovered, snapshot };
  }
  const at = snapshot.meta.position;
  if (at.index < compactedTo.index || (at.index === compactedTo.index && at.term !== compactedTo.term)) {
    throw missingSnapshot(compactedTo, `the newest snapshot is at ${LogPosition.format(at)}`);
  }
  if (at.term > recovered.hardState.term) {
    // A snapshot is saved only after the term of its last entry is durable; this one was not.
    throw new StorageError(
      "corrupt",
      `Cannot open the storage: the snapshot at ${LogPosition.format(at)} is from a term after the saved term ${recovered.hardState.term}`,
    );
  }
  let state = recovered;
  if (at.index > compactedTo.index) {
    log.compact(snapshot.meta);
    log.sync();
    const entries = recovered.log.entries;
    const suffix = entries.contains(at) ? entries.since(at) : undefined;
    state = { ...recovered, snapshot: snapshot.meta, log: new Log(snapshot.meta.config, suffix ?? new LogEntries(at)) };
  }
  snapshots.prune(at);
  return { log, snapshots, recovered: state, snapshot };
}

function missingSnapshot(position: LogPosition, detail: string): StorageError {
  return new StorageError(
    "corrupt",
    `Cannot open the storage: the log is compacted to ${LogPosition.format(position)} but ${detail}; the state before it is lost`,
  );
}
