/**
 * raftbare-ts storage: durable append-only log segments with group commit, atomic snapshot files,
 * and an in-memory twin that simulates crashes and I/O faults. See docs/storage.md for the format.
 */
export { crc32, crc32Table, hasNativeCrc32 } from "../checksum/crc32.ts";
export { acquireDirLock, type DirLock } from "./dir_lock.ts";
export { errnoCode, isNoSpace, StorageError, type StorageErrorCode, type StorageErrorLocation } from "./errors.ts";
export { exitProcess, FATAL_EXIT_CODE, type FatalHandler } from "./fatal.ts";
export {
  FAULT_CONTROL_FILES,
  faultyFileSystem,
  STORAGE_FAULTS_ENV,
  type StorageFaultHook,
  type StorageFaultSetting,
  storageFaultsFromEnv,
  storageFaultWarning,
} from "./faulty_fs/fault_hook.ts";
export { fullDiskFileSystem, noSpaceError } from "./faulty_fs/full_disk_fs.ts";
export { type PowerLossOptions, powerLossFileSystem } from "./faulty_fs/power_loss_fs.ts";
export {
  afterStall,
  type StallKind,
  type StallOptions,
  stalledFileSystem,
  waitWhileStalled,
} from "./faulty_fs/stalled_fs.ts";
export { FileLogStore, type FileLogStoreOptions, type OpenedLogStore } from "./file_log_store.ts";
export { FileSnapshotStore, type FileSnapshotStoreOptions, snapshotName } from "./file_snapshot_store.ts";
export { type FileSystem, type FlushDone, nodeFileSystem } from "./file_system.ts";
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
