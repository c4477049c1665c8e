/**
 * A {@link FileSystem} that loses what was not flushed, like a machine losing power: written bytes
 * stay in this process's memory until an fsync/fdatasync of their file writes them out, so a
 * `kill -9` leaves every file exactly as of its last flush. With `torn` on, each write also sends
 * everything unflushed except the second half of that write to the disk (unflushed still), so a
 * kill leaves a partial last write behind: the disk then holds the flushed content plus a prefix of
 * the unflushed part. Directory operations (create, rename, unlink) reach the disk at once.
 *
 * Test hook only: enabled through `RAFT_TEST_STORAGE_FAULTS` (see `fault_hook.ts`).
 */
import * as path from "node:path";
import { assert } from "../../../packages/core/src/mod.ts";
import { type FileSystem, writeAll } from "../file_system.ts";

/** Options of {@link powerLossFileSystem}. */
export interface PowerLossOptions {
  /** Asked at each write: true makes it leave a torn prefix on disk (see the module comment). Default never. */
  readonly torn?: () => boolean;
}

/** The unflushed state of one file. */
interface Unflushed {
  /** Invariant: the file's flushed length; the disk holds exactly these bytes below it. */
  base: number;
  /** Bytes written after `base`, not flushed. */
  pending: Uint8Array;
  /** Invariant: 0 <= onDisk <= pending.length; the disk holds pending[0, onDisk) after `base`. */
  onDisk: number;
}

/** A {@link FileSystem} over `base` whose unflushed writes live in memory (see the module comment). */
export function powerLossFileSystem(base: FileSystem, options: PowerLossOptions = {}): FileSystem {
  const torn = options.torn ?? (() => false);
  const files = new Map<string, Unflushed>();
  const paths = new Map<number, string>();

  const pathOf = (fd: number): string => {
    const file = paths.get(fd);
    assert(file !== undefined, `fd ${fd} was opened through this file system`);
    return file;
  };
  const stateOf = (fd: number): Unflushed => {
    const file = pathOf(fd);
    let state = files.get(file);
    if (state === undefined) {
      state = { base: base.size(fd), pending: new Uint8Array(0), onDisk: 0 };
      files.set(file, state);
    }
    return state;
  };
  /** Appends pending[state.onDisk, upTo) to the real file (never flushing it). */
  const writeOut = (file: string, state: Unflushed, upTo: number): void => {
    if (upTo <= state.onDisk) return;
    const fd = base.open(file, "a");
    try {
      writeAll(base, fd, state.pending.subarray(state.onDisk, upTo));
    } finally {
      base.close(fd);
    }
    state.onDisk = upTo;
  };
  /** Sends everything unflushed of `fd`'s file to the disk (unflushed still: the real flush follows). */
  const writeOutAll = (fd: number): void => {
    const file = pathOf(fd);
    const state = files.get(file);
    if (state === undefined) return;
    writeOut(file, state, state.pending.length);
    files.delete(file);
  };
  const flush = (fd: number, real: (fd: number) => void): void => {
    writeOutAll(fd);
    real(fd);
  };

  return {
    ...base,
    open(file, flags) {
      assert(flags === "a" || flags === "wx" || flags === "w" || flags === "r" || flags === "r+", `flags ${flags}`);
      const fd = base.open(file, flags);
      const key = path.resolve(file);
      paths.set(fd, key);
      if (flags === "w" || flags === "wx") files.delete(key); // Truncated or new: nothing pending.
      return fd;
    },
    close(fd) {
      paths.delete(fd);
      base.close(fd); // Unflushed bytes stay pending: closing a file does not flush it.
    },
    write(fd, bytes) {
      const state = stateOf(fd);
      const grown = new Uint8Array(state.pending.length + bytes.length);
      grown.set(state.pending, 0);
      grown.set(bytes, state.pending.length);
      const before = state.pending;
      state.pending = grown;
      if (!torn()) return bytes.length;
      try {
        writeOut(pathOf(fd), state, grown.length - Math.ceil(bytes.length / 2));
      } catch (error) {
        state.pending = before; // Not written; the caller truncates what reached the disk.
        state.onDisk = Math.min(state.onDisk, before.length);
        throw error;
      }
      return bytes.length;
    },
    read(fd, into, length, position) {
      const state = files.get(pathOf(fd));
      if (state === undefined) return base.read(fd, into, length, position);
      return readMerged(base, fd, state, into.subarray(0, length), position);
    },
    size(fd) {
      const state = files.get(pathOf(fd));
      return state === undefined ? base.size(fd) : state.base + state.pending.length;
    },
    readFile(file) {
      const state = files.get(path.resolve(file));
      const disk = base.readFile(file);
      if (state === undefined) return disk;
      const out = new Uint8Array(state.base + state.pending.length);
      out.set(disk.subarray(0, state.base), 0);
      out.set(state.pending, state.base);
      return out;
    },
    ftruncate(fd, length) {
      const state = files.get(pathOf(fd));
      if (state === undefined) return base.ftruncate(fd, length);
      assert(length <= state.base + state.pending.length, "ftruncate only shortens a file");
      if (length <= state.base) {
        base.ftruncate(fd, length);
        files.delete(pathOf(fd));
        return;
      }
      const keep = length - state.base;
      state.pending = state.pending.slice(0, keep);
      if (state.onDisk > keep) {
        base.ftruncate(fd, length);
        state.onDisk = keep;
      }
    },
    fdatasync: (fd) => flush(fd, (d) => base.fdatasync(d)),
    fsync: (fd) => flush(fd, (d) => base.fsync(d)),
    fdatasyncAsync(fd, done) {
      // What was written before the flush began is on the disk once it ends; later writes are not.
      try {
        writeOutAll(fd);
      } catch (error) {
        queueMicrotask(() => done(error instanceof Error ? error : new Error(String(error))));
        return;
      }
      base.fdatasyncAsync(fd, done);
    },
    rename(from, to) {
      base.rename(from, to);
      const state = files.get(path.resolve(from));
      files.delete(path.resolve(from));
      if (state !== undefined) files.set(path.resolve(to), state);
      for (const [fd, file] of paths) if (file === path.resolve(from)) paths.set(fd, path.resolve(to));
    },
    unlink(file) {
      base.unlink(file);
      files.delete(path.resolve(file));
    },
  };
}

/** Reads the logical file (disk below `state.base`, pending after it) at `position` into `into`. */
function readMerged(base: FileSystem, fd: number, state: Unflushed, into: Uint8Array, position: number): number {
  const end = state.base + state.pending.length;
  if (position >= end || into.length === 0) return 0;
  let done = 0;
  while (position + done < state.base && done < into.length) {
    const want = Math.min(into.length - done, state.base - position - done);
    const n = base.read(fd, into.subarray(done), want, position + done);
    if (n <= 0) break;
    done += n;
  }
  if (position + done < state.base) return done; // The disk ended early (should not happen).
  const from = position + done - state.base;
  const count = Math.min(into.length - done, state.pending.length - from);
  into.set(state.pending.subarray(from, from + count), done);
  return done + count;
}
