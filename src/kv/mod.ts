/**
 * The default replicated key-value state machine: commands carried as JSON payloads through the Raft
 * log, deterministic apply with etcd-style revisions and checksummed snapshots.
 */
export {
  type DeleteCommand,
  type KvCommand,
  KvCommandSchema,
  MAX_KEY_BYTES,
  MAX_REQUEST_ID_LENGTH,
  MAX_VALUE_BYTES,
  type NoopCommand,
  type PutCommand,
  utf8ByteLength,
} from "../../schemas/kv_command.ts";
export { crc32 } from "../checksum/crc32.ts";
export { KvInvariantError } from "./assert.ts";
export {
  type DecodeCommandResult,
  decodeCommand,
  type EncodeCommandResult,
  encodeCommand,
  MAX_COMMAND_PAYLOAD,
} from "./command.ts";
export {
  type DecodeSnapshotResult,
  decodeSnapshot,
  encodeSnapshot,
  type KvSnapshotState,
  SNAPSHOT_HEADER_BYTES,
  SNAPSHOT_JSON_VERSION,
  SNAPSHOT_MAGIC,
  SNAPSHOT_VERSION,
  type SnapshotError,
  type SnapshotErrorReason,
} from "./snapshot.ts";
export { SortedKeys } from "./sorted_keys.ts";
export { KvStateMachine } from "./state_machine.ts";
export type {
  ApplyCompareFailed,
  ApplyInvalidCommand,
  ApplyResult,
  ApplySuccess,
  KvEntry,
  KvListing,
} from "./types.ts";
