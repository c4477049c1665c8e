/**
 * The storage fault hook of a node process, for fault runs and tests only. It is off unless the
 * environment variable `RAFT_TEST_STORAGE_FAULTS` names an existing directory, the control
 * directory; then the node's storage goes through a file system that
 *
 * - always loses unflushed writes at a kill (power loss, see `power_loss_fs.ts`), and while
 *   `<control>/torn` exists also leaves a partial last write on disk for the kill to find;
 * - answers ENOSPC to every write while `<control>/full` exists (a full disk, `full_disk_fs.ts`);
 * - blocks every write and flush while `<control>/stall` exists (a stalled disk, `stalled_fs.ts`),
 *   and only the flushes while `<control>/stall-flush` exists (writes reach the disk's cache, then
 *   the flush hangs: with `torn` on, a kill then finds a torn write on disk, every time). A flush
 *   run off the event loop (the log's) only completes late; the event loop keeps turning.
 *
 * A fault run toggles a fault of a running node by creating or removing the file: no signals, no
 * restart. Each call looks at the control file again (one `stat`), so a change takes effect at the
 * node's next write.
 */
import { existsSync, statSync } from "node:fs";
import * as path from "node:path";
import { type FileSystem, nodeFileSystem } from "../file_system.ts";
import { fullDiskFileSystem } from "./full_disk_fs.ts";
import { powerLossFileSystem } from "./power_loss_fs.ts";
import { type StallKind, stalledFileSystem } from "./stalled_fs.ts";

/** The environment variable that turns the hook on; its value is the control directory. */
export const STORAGE_FAULTS_ENV = "RAFT_TEST_STORAGE_FAULTS";

/** The control files, by fault, as names inside the control directory. */
export const FAULT_CONTROL_FILES = { full: "full", stall: "stall", stallFlush: "stall-flush", torn: "torn" } as const;

/** The most a stalled call blocks before it goes through anyway. */
export const MAX_STALL_MS = 5 * 60 * 1000;

/** A storage fault hook that is on: its control directory and the file system to give storage. */
export interface StorageFaultHook {
  /** The absolute path of the control directory. */
  readonly controlDir: string;
  /** The faulty file system over `node:fs`. */
  readonly fs: FileSystem;
}

/** What reading the environment gave: no hook, a hook, or a setting that is wrong. */
export type StorageFaultSetting =
  | { readonly kind: "off" }
  | { readonly kind: "on"; readonly hook: StorageFaultHook }
  | { readonly kind: "invalid"; readonly message: string };

/** Where the hook reports a stall it gave up on; default stderr. */
export type FaultReport = (message: string) => void;

/** Reads {@link STORAGE_FAULTS_ENV} from `env`: off when unset or empty, else a hook on that directory. */
export function storageFaultsFromEnv(
  env: Record<string, string | undefined>,
  report: FaultReport = (m) => console.error(m),
): StorageFaultSetting {
  const value = env[STORAGE_FAULTS_ENV];
  if (value === undefined || value === "") return { kind: "off" };
  const dir = path.resolve(value);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    return { kind: "invalid", message: `${STORAGE_FAULTS_ENV}=${value}: the control directory ${dir} does not exist` };
  }
  return { kind: "on", hook: { controlDir: dir, fs: faultyFileSystem(dir, report) } };
}

/** The file system of the hook with control directory `dir` (see the module comment). */
export function faultyFileSystem(dir: string, report: FaultReport = (m) => console.error(m)): FileSystem {
  const present = (name: string) => () => existsSync(path.join(dir, name));
  const lossy = powerLossFileSystem(nodeFileSystem, { torn: present(FAULT_CONTROL_FILES.torn) });
  const full = fullDiskFileSystem(lossy, present(FAULT_CONTROL_FILES.full));
  const stall = present(FAULT_CONTROL_FILES.stall);
  const stallFlush = present(FAULT_CONTROL_FILES.stallFlush);
  const isStalled = (kind: StallKind) => stall() || (kind === "flush" && stallFlush());
  return stalledFileSystem(full, isStalled, {
    maxMs: MAX_STALL_MS,
    onStall: (op) => report(`storage fault hook: ${op} stalls while a stall control file exists in ${dir}`),
    onGiveUp: (op, ms) => report(`storage fault hook: ${op} stalled ${Math.round(ms)} ms; letting it through`),
  });
}

/** The warning a node prints at start while the hook is on. */
export function storageFaultWarning(hook: StorageFaultHook): string {
  const files = Object.values(FAULT_CONTROL_FILES)
    .map((name) => path.join(hook.controlDir, name))
    .join(", ");
  return (
    `WARNING: ${STORAGE_FAULTS_ENV} is set: the storage fault TEST HOOK is ON. Unflushed writes are kept in ` +
    `memory and lost at a kill, and the control files ${files} inject faults. Never use this outside tests.`
  );
}
