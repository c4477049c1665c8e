/**
 * The file-system calls storage makes, behind a seam so tests can inject failures (a full disk, a
 * failed write, a failed flush). The default implementation is the synchronous `node:fs`
 * file-descriptor API, which behaves the same on Bun, Deno and Node, plus the two flushes the log
 * runs off the event loop (`node:fs` callbacks: the flush runs on the runtime's I/O threads on Bun
 * and Deno alike, and the event loop keeps turning while it does).
 */
import * as fs from "node:fs";

/** The synchronous file operations storage needs. Errors are thrown as errno-style errors. */
export interface FileSystem {
  /** Creates `dir` and its parents if missing. */
  mkdir(dir: string): void;
  /** The names of the entries in `dir`. */
  readdir(dir: string): string[];
  /** Opens `path` with `flags` ("a", "wx", "r", ...); returns a file descriptor. */
  open(path: string, flags: string): number;
  /** Closes a file descriptor. */
  close(fd: number): void;
  /** Writes `bytes` at the descriptor's position (the end for "a"); returns the count written. */
  write(fd: number, bytes: Uint8Array): number;
  /** Reads up to `length` bytes at `position` into `into[0, length)`; returns the count read. */
  read(fd: number, into: Uint8Array, length: number, position: number): number;
  /** Flushes the file's data (and the metadata needed to read it) to the disk. */
  fdatasync(fd: number): void;
  /** Flushes the file's data and metadata to the disk. */
  fsync(fd: number): void;
  /** Sets the file's length. */
  ftruncate(fd: number, length: number): void;
  /** The file's current length in bytes. */
  size(fd: number): number;
  /** The whole content of `path`. */
  readFile(path: string): Uint8Array;
  /** Atomically renames `from` to `to` (same directory). */
  rename(from: string, to: string): void;
  /** Removes `path`. */
  unlink(path: string): void;
  /** Flushes `dir`'s entries (file creations, renames, removals) to the disk. */
  fsyncDir(dir: string): void;
  /**
   * {@link FileSystem.fdatasync} off the event loop: returns at once and calls `done` later (never
   * within this call) with null, or the error. The descriptor must stay open until then.
   */
  fdatasyncAsync(fd: number, done: FlushDone): void;
  /** {@link FileSystem.fsyncDir} off the event loop, like {@link FileSystem.fdatasyncAsync}. */
  fsyncDirAsync(dir: string, done: FlushDone): void;
}

/** Told how a flush off the event loop ended: null, or the error. */
export type FlushDone = (error: Error | null) => void;

/** Views `bytes` as a plain Uint8Array (a Node Buffer's `slice` shares memory; a Uint8Array's copies). */
function plain(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The real file system, through `node:fs`. */
export const nodeFileSystem: FileSystem = {
  mkdir: (dir) => {
    fs.mkdirSync(dir, { recursive: true });
  },
  readdir: (dir) => fs.readdirSync(dir),
  open: (path, flags) => fs.openSync(path, flags),
  close: (fd) => fs.closeSync(fd),
  write: (fd, bytes) => fs.writeSync(fd, bytes, 0, bytes.length),
  read: (fd, into, length, position) => fs.readSync(fd, into, 0, length, position),
  fdatasync: (fd) => fs.fdatasyncSync(fd),
  fsync: (fd) => fs.fsyncSync(fd),
  ftruncate: (fd, length) => fs.ftruncateSync(fd, length),
  size: (fd) => fs.fstatSync(fd).size,
  readFile: (path) => plain(fs.readFileSync(path)),
  rename: (from, to) => fs.renameSync(from, to),
  unlink: (path) => fs.unlinkSync(path),
  fsyncDir: (dir) => {
    const fd = fs.openSync(dir, "r");
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  },
  fdatasyncAsync: (fd, done) => fs.fdatasync(fd, (error) => done(error ?? null)),
  fsyncDirAsync: (dir, done) => {
    fs.open(dir, "r", (openError, fd) => {
      if (openError !== null) {
        done(openError);
        return;
      }
      fs.fsync(fd, (error) => fs.close(fd, (closeError) => done(error ?? closeError ?? null)));
    });
  },
};

/** Writes all of `bytes` (looping over short writes). Throws what the file system throws. */
export function writeAll(fsys: FileSystem, fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) {
    const n = fsys.write(fd, done === 0 ? bytes : bytes.subarray(done));
    if (n <= 0) throw Object.assign(new Error("write returned no progress"), { code: "EIO" });
    done += n;
  }
}
