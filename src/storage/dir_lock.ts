/**
 * One process per data directory: a `LOCK` file holding the owner's process id, created
 * exclusively. A lock left by a process that no longer runs (a crash, kill -9) is taken over.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { errnoCode, StorageError } from "./errors.ts";

/** A held directory lock. */
export interface DirLock {
  /** The lock file's path. */
  readonly file: string;
  /** Removes the lock file (only if it is still ours). */
  release(): void;
}

/** True iff a process with this id exists (a process we may not signal still exists). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === "EPERM";
  }
}

function ownerOf(file: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(file, "utf8").trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function create(file: string): boolean {
  try {
    const fd = openSync(file, "wx", 0o644);
    try {
      writeSync(fd, `${process.pid}\n`);
    } finally {
      closeSync(fd);
    }
    return true;
  } catch (error) {
    if (errnoCode(error) === "EEXIST") return false;
    throw new StorageError("write_failed", `Cannot create the lock file ${file}`, { file, cause: error });
  }
}

/** Takes the lock of `dir`, or throws a `locked` StorageError naming the process that holds it. */
export function acquireDirLock(dir: string): DirLock {
  const file = join(dir, "LOCK");
  for (let attempt = 0; attempt < 3; attempt++) {
    if (create(file)) return { file, release: () => release(file) };
    const owner = ownerOf(file);
    if (owner !== null && owner !== process.pid && processAlive(owner)) {
      throw new StorageError(
        "locked",
        `Cannot open ${dir}: process ${owner} is using it (lock file ${file}); stop it first, or use another data directory`,
        { file },
      );
    }
    try {
      unlinkSync(file); // Left by a process that is gone (or by ourselves): take it over.
    } catch {
      // Another process removed it first; try again.
    }
  }
  throw new StorageError("locked", `Cannot take the lock file ${file}: it keeps reappearing`, { file });
}

function release(file: string): void {
  if (ownerOf(file) !== process.pid) return;
  try {
    unlinkSync(file);
  } catch {
    // Already gone.
  }
}
