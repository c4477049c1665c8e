/**
 * A {@link FileSystem} whose disk fills up on demand: while `isFull()` says so, every write of data
 * throws `ENOSPC` the way `node:fs` does, and nothing of it reaches the disk. Everything else (opening
 * and creating empty files, reads, flushes, truncation, renames, removal) still works, as on a real
 * full disk with inodes left.
 *
 * Test hook only: enabled through `RAFT_TEST_STORAGE_FAULTS` (see `fault_hook.ts`).
 */
import type { FileSystem } from "../file_system.ts";

/** An `ENOSPC` error as `node:fs` throws it: an `Error` with `code`, `errno` and `syscall`. */
export function noSpaceError(syscall: string, file?: string): Error {
  const where = file === undefined ? "" : `, ${syscall} '${file}'`;
  return Object.assign(new Error(`ENOSPC: no space left on device${where}`), {
    code: "ENOSPC",
    errno: -28,
    syscall,
    ...(file === undefined ? {} : { path: file }),
  });
}

/** A {@link FileSystem} over `base` that answers ENOSPC to writes while `isFull()` is true. */
export function fullDiskFileSystem(base: FileSystem, isFull: () => boolean): FileSystem {
  return {
    ...base,
    write(fd, bytes) {
      if (bytes.length > 0 && isFull()) throw noSpaceError("write");
      return base.write(fd, bytes);
    },
  };
}
