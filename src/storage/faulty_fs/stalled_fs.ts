/**
 * A {@link FileSystem} whose disk stalls on demand: while `isStalled(kind)` says so, every write
 * (kind `write`) or every flush (kind `flush`: fdatasync, fsync, directory fsync) blocks, then goes
 * through once the stall ends, like a disk that stops answering. The synchronous calls block the
 * whole thread with them (`Atomics.wait` in short slices, asking `isStalled()` between slices); the
 * flushes off the event loop (`fdatasyncAsync`, `fsyncDirAsync`) only delay their completion (a
 * timer asks `isStalled()` every slice), as a real flush stuck in the kernel does. A stall is
 * bounded: after `maxMs` the call goes through anyway and `onGiveUp` is told.
 *
 * Test hook only: enabled through `RAFT_TEST_STORAGE_FAULTS` (see `fault_hook.ts`).
 */
import { assert } from "../../../packages/core/src/mod.ts";
import type { FileSystem } from "../file_system.ts";

/** Options of {@link stalledFileSystem}. */
export interface StallOptions {
  /** How long one call blocks at most (default 5 minutes). */
  readonly maxMs?: number;
  /** How long to sleep between two looks at `isStalled()` (default 20 ms). */
  readonly sliceMs?: number;
  /** Told when a call stalled for `maxMs` and goes through anyway. */
  readonly onGiveUp?: (operation: string, ms: number) => void;
  /** Told when a call starts waiting (once per call that stalls). */
  readonly onStall?: (operation: string) => void;
}

const DEFAULT_MAX_MS = 5 * 60 * 1000;
const DEFAULT_SLICE_MS = 20;

/** Blocks the thread while `isStalled()` holds, at most `maxMs`; returns the milliseconds it waited. */
export function waitWhileStalled(isStalled: () => boolean, operation: string, options: StallOptions = {}): number {
  if (!isStalled()) return 0;
  const maxMs = options.maxMs ?? DEFAULT_MAX_MS;
  const sliceMs = options.sliceMs ?? DEFAULT_SLICE_MS;
  assert(maxMs > 0 && sliceMs > 0, "stall bounds are positive");
  options.onStall?.(operation);
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const started = performance.now();
  while (isStalled()) {
    const waited = performance.now() - started;
    if (waited >= maxMs) {
      options.onGiveUp?.(operation, waited);
      break;
    }
    Atomics.wait(cell, 0, 0, Math.min(sliceMs, maxMs - waited)); // Nobody notifies: a plain sleep.
  }
  return performance.now() - started;
}

/**
 * Calls `then` once `isStalled()` no longer holds, or after `maxMs`, without blocking the thread:
 * at once (synchronously) when not stalled, else from a timer that looks again every slice.
 */
export function afterStall(
  isStalled: () => boolean,
  operation: string,
  then: () => void,
  options: StallOptions = {},
): void {
  if (!isStalled()) {
    then();
    return;
  }
  const maxMs = options.maxMs ?? DEFAULT_MAX_MS;
  const sliceMs = options.sliceMs ?? DEFAULT_SLICE_MS;
  assert(maxMs > 0 && sliceMs > 0, "stall bounds are positive");
  options.onStall?.(operation);
  const started = performance.now();
  const look = () => {
    const waited = performance.now() - started;
    if (isStalled() && waited < maxMs) {
      setTimeout(look, Math.min(sliceMs, maxMs - waited));
      return;
    }
    if (waited >= maxMs) options.onGiveUp?.(operation, waited);
    then();
  };
  setTimeout(look, sliceMs);
}

/** What a stall holds: writes, or flushes. */
export type StallKind = "write" | "flush";

/** A {@link FileSystem} over `base` whose writes and flushes block while `isStalled` says so for their kind. */
export function stalledFileSystem(
  base: FileSystem,
  isStalled: (kind: StallKind) => boolean,
  options: StallOptions = {},
): FileSystem {
  const wait = (operation: string) => {
    const kind: StallKind = operation === "write" ? "write" : "flush";
    waitWhileStalled(() => isStalled(kind), operation, options);
  };
  return {
    ...base,
    write(fd, bytes) {
      wait("write");
      return base.write(fd, bytes);
    },
    fdatasync(fd) {
      wait("fdatasync");
      base.fdatasync(fd);
    },
    fsync(fd) {
      wait("fsync");
      base.fsync(fd);
    },
    fsyncDir(dir) {
      wait("fsyncDir");
      base.fsyncDir(dir);
    },
    fdatasyncAsync(fd, done) {
      afterStall(
        () => isStalled("flush"),
        "fdatasync",
        () => base.fdatasyncAsync(fd, done),
        options,
      );
    },
    fsyncDirAsync(dir, done) {
      afterStall(
        () => isStalled("flush"),
        "fsyncDir",
        () => base.fsyncDirAsync(dir, done),
        options,
      );
    },
  };
}
