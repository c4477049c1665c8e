/**
 * Restore: a backup (a snapshot file from `GET /v1/snapshot`) becomes the data directory of a NEW
 * single-node cluster. The backup's state machine data is kept as it is, with its log position
 * (index I, term T), so key revisions keep growing; its old membership is not: the configuration
 * names only the restored node, at its own URL. The directory gets the hard state (term T, no
 * vote) and the snapshot, written through the storage layer (both flushed), so the node starts
 * from them like any node restarting from a snapshot: its log begins after I, it elects itself in
 * a term above T, and members can be added to it later like to any cluster.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { LogPosition } from "../../packages/core/src/mod.ts";
import { KvStateMachine } from "../kv/mod.ts";
import { acquireDirLock, decodeSnapshotFile, openFileStorage, StorageError } from "../storage/mod.ts";
import { bootstrapConfig, formatMembers } from "./bootstrap_check.ts";
import type { MemberInfo } from "./service.ts";

/**
 * The largest backup a restore reads, in bytes (1 GiB, as the largest snapshot a node takes from a
 * peer). The whole file is read into memory: a node holds its state machine in memory anyway.
 */
export const MAX_BACKUP_BYTES = 1024 * 1024 * 1024;

/** What to restore, and where. */
export interface RestoreRequest {
  /** The backup file. */
  readonly backup: string;
  /** The new cluster's only member: the node that will run on the restored data. */
  readonly self: MemberInfo;
  /** The new node's data directory: absent or empty. */
  readonly dataDir: string;
}

/** A finished restore. */
export interface Restored {
  readonly ok: true;
  /** The snapshot position the new node continues after. */
  readonly position: LogPosition;
  /** How many keys the backup holds. */
  readonly keys: number;
  /** The members the backup's cluster had (not kept), as `id=url,…`. */
  readonly oldMembers: string;
}

/**
 * A refused restore: `refused` when the target directory already holds state (nothing was
 * written), `bad_backup` when the backup cannot be read or fails its checks.
 */
export interface RestoreFailure {
  readonly ok: false;
  readonly reason: "refused" | "bad_backup";
  readonly message: string;
}

/** Restores `request.backup` into `request.dataDir` (see the module comment); never throws for a bad backup. */
export function restoreBackup(request: RestoreRequest): Restored | RestoreFailure {
  const occupied = occupiedBy(request.dataDir);
  if (occupied !== null) {
    const message =
      `the data directory ${request.dataDir} already holds ${occupied}; a restore creates a new cluster ` +
      "and writes only into an empty or new directory (give another --data-dir, or empty this one if its data is not needed)";
    return { ok: false, reason: "refused", message };
  }
  const read = readBackup(request.backup);
  if (!read.ok) return read;
  const { snapshot, keys } = read;
  const config = bootstrapConfig([request.self]);
  const meta = { position: snapshot.meta.position, config };
  mkdirSync(request.dataDir, { recursive: true });
  const lock = acquireDirLock(request.dataDir);
  try {
    const { log, snapshots } = openFileStorage(request.dataDir);
    try {
      // The term first: a snapshot is never from a term after the durable one.
      log.saveHardState({ term: meta.position.term, votedFor: null });
      log.sync();
      snapshots.save(meta, snapshot.data);
      log.compact(meta, { replaceLog: true });
      log.sync();
    } finally {
      log.close();
    }
  } finally {
    lock.release();
  }
  return { ok: true, position: meta.position, keys, oldMembers: formatMembers(snapshot.meta.config) };
}

/** What `dir` holds that a restore must not overwrite, or null if it is absent or empty. */
function occupiedBy(dir: string): string | null {
  if (!existsSync(dir)) return null;
  if (!statSync(dir).isDirectory()) return "a file of that name (it is not a directory)";
  const names = readdirSync(dir);
  if (names.length === 0) return null;
  const shown = names.slice(0, 3).join(", ");
  return `${names.length} entr${names.length === 1 ? "y" : "ies"} (${shown}${names.length > 3 ? ", …" : ""})`;
}

type ReadBackup =
  | { readonly ok: true; readonly snapshot: ReturnType<typeof decodeSnapshotFile>; readonly keys: number }
  | RestoreFailure;

/** Reads and checks the backup: its file checks, then that its data is a key-value state at its index. */
function readBackup(file: string): ReadBackup {
  const bad = (message: string): RestoreFailure => ({ ok: false, reason: "bad_backup", message });
  let bytes: Uint8Array;
  try {
    const size = statSync(file).size;
    if (size > MAX_BACKUP_BYTES)
      return bad(`the backup ${file} has ${size} bytes; a restore reads at most ${MAX_BACKUP_BYTES}`);
    bytes = readFileSync(file);
  } catch (error) {
    return bad(`cannot read the backup ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  let snapshot: ReturnType<typeof decodeSnapshotFile>;
  try {
    snapshot = decodeSnapshotFile(bytes, `the backup ${file}`, file);
  } catch (error) {
    if (!(error instanceof StorageError)) throw error;
    return bad(error.message);
  }
  const machine = KvStateMachine.restore(snapshot.data);
  const at = LogPosition.format(snapshot.meta.position);
  if (!(machine instanceof KvStateMachine))
    return bad(`the backup ${file} (${at}) holds no valid key-value state: ${machine.error}`);
  if (machine.appliedIndex !== snapshot.meta.position.index) {
    return bad(
      `the backup ${file} is inconsistent: its key-value state is at index ${machine.appliedIndex}, its snapshot at ${at}`,
    );
  }
  if (snapshot.meta.position.index === 0) return bad(`the backup ${file} is at index 0: it holds no state`);
  return { ok: true, snapshot, keys: machine.size };
}
