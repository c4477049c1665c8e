/**
 * raftbare-ts storage: durable append-only log segments with group commit, atomic snapshot files,
 * and an in-memory twin that simulates crashes and I/O faults. See docs/storage.md for the format.
 */
export { crc32, crc32Table, hasNativeCrc32 } from "../checksum/crc32.ts";
export { acquireDirLock, type DirLock } from "./dir_lock.ts";
export { errnoCode, isNoSpace, StorageError, type StorageErrorCode, type StorageErrorLocation } from "./errors.ts";
export { exitProcess, FATAL_EXIT_CODE, type FatalHandler } from "./fatal.ts";
export { FileLogStore, type FileLogStoreOptions, type OpenedLogStore } from "./file_log_store.ts";
export { FileSnapshotStore, type FileSnapshotStoreOptions, snapshotName } from "./file_snapshot_store.ts";
export { type FileSystem, nodeFileSystem } from "./file_system.ts";
export {
  bytesReader,
  type InjectedWriteFailure,
  MemoryDisk,
  MemoryLogStore,
  type MemoryLogStoreOptions,
  MemorySnapshotStore,
} from "./memory_storage.ts";
export { type OpenedStorage, openFileStorage, openMemoryStorage } from "./open_storage.ts";
export { segmentName } from "./segment.ts";
export {
  decodeSnapshotFile,
  encodeSnapshotFile,
  SNAPSHOT_FILE_MAGIC,
  SNAPSHOT_FORMAT_VERSION,
} from "./snapshot_codec.ts";
export type {
  CompactOptions,
  HardState,
  HardStateStore,
  LogStore,
  RecoveredState,
  RecoveryReport,
  Snapshot,
  SnapshotFileReader,
  SnapshotMeta,
  SnapshotStore,
} from "./types.ts";
