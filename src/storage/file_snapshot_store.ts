/**
 * The file-backed {@link SnapshotStore}: one file per snapshot, `snapshot-<index>-<term>.snap`
 * (20 digits each), written to a temporary file, flushed, renamed into place and made durable with
 * a directory flush, so a crash leaves either the whole snapshot or nothing. The bytes are those of
 * snapshot_codec.ts.
 */
import { createHash } from "node:crypto";
import * as path from "node:path";
import type { LogPosition } from "../../packages/core/src/mod.ts";
import { crc32 } from "../checksum/crc32.ts";
import { errnoCode, StorageError, writeError } from "./errors.ts";
import { exitProcess, type FatalHandler, failStop } from "./fatal.ts";
import { type FileSystem, nodeFileSystem, writeAll } from "./file_system.ts";
import {
  checkSnapshotParts,
  decodeSnapshotFile,
  encodeSnapshotHeader,
  encodeSnapshotTrailer,
  SNAPSHOT_FIXED_BYTES,
  SNAPSHOT_TRAILER_BYTES,
} from "./snapshot_codec.ts";
import type { Snapshot, SnapshotFileReader, SnapshotMeta, SnapshotStore } from "./types.ts";

const NAME = /^snapshot-(\d{20})-(\d{20})\.snap$/;
const TEMP_SUFFIX = ".tmp";
/** Bytes read per call while checking a file for {@link FileSnapshotStore.openLatest}. */
const CHECK_CHUNK_BYTES = 64 * 1024;

/** Options of {@link FileSnapshotStore.open}. */
export interface FileSnapshotStoreOptions {
  /** Called when a flush fails; must not return. Default: print and exit the process. */
  readonly onFatal?: FatalHandler;
  /** The file system. Default: `node:fs`. */
  readonly fs?: FileSystem;
}

/** The file name of the snapshot at `position`. */
export function snapshotName(position: LogPosition): string {
  return `snapshot-${String(position.index).padStart(20, "0")}-${String(position.term).padStart(20, "0")}.snap`;
}

interface NamedSnapshot {
  readonly name: string;
  readonly index: number;
  readonly term: number;
}

function parseName(name: string): NamedSnapshot | undefined {
  const match = NAME.exec(name);
  if (match === null) return undefined;
  return { name, index: Number(match[1]), term: Number(match[2]) };
}

/** Snapshots as files in one directory. */
export class FileSnapshotStore implements SnapshotStore {
  readonly #dir: string;
  readonly #fs: FileSystem;
  readonly #onFatal: FatalHandler;

  private constructor(dir: string, options: FileSnapshotStoreOptions) {
    this.#dir = dir;
    this.#fs = options.fs ?? nodeFileSystem;
    this.#onFatal = options.onFatal ?? exitProcess;
  }

  /** Opens the snapshots in `dir` (creating it), removing temporary files a crash left behind. */
  static open(dir: string, options: FileSnapshotStoreOptions = {}): FileSnapshotStore {
    const store = new FileSnapshotStore(dir, options);
    store.#fs.mkdir(dir);
    for (const name of store.#fs.readdir(dir)) {
      if (name.startsWith("snapshot-") && name.endsWith(TEMP_SUFFIX)) store.#fs.unlink(path.join(dir, name));
    }
    return store;
  }

  /** Writes a snapshot atomically and durably (see {@link SnapshotStore.save}). */
  save(meta: SnapshotMeta, data: Uint8Array | Iterable<Uint8Array>): void {
    const header = encodeSnapshotHeader(meta);
    const final = path.join(this.#dir, snapshotName(meta.position));
    const temp = final + TEMP_SUFFIX;
    const fd = this.#create(temp);
    try {
      let crc = crc32(header);
      let length = 0;
      writeAll(this.#fs, fd, header);
      for (const chunk of data instanceof Uint8Array ? [data] : data) {
        writeAll(this.#fs, fd, chunk);
        crc = crc32(chunk, 0, chunk.length, crc);
        length += chunk.length;
      }
      writeAll(this.#fs, fd, encodeSnapshotTrailer(length, crc));
    } catch (cause) {
      this.#abandon(fd, temp);
      if (cause instanceof Error && errnoCode(cause) === undefined) throw cause; // The caller's generator failed.
      throw writeError("save a snapshot", temp, cause);
    }
    this.#flushAndClose(fd, temp);
    this.#publish(temp, final);
  }

  /** The snapshot with the highest index, or null (see {@link SnapshotStore.latest}). */
  latest(): Snapshot | null {
    const newest = this.#list().pop();
    if (newest === undefined) return null;
    const file = path.join(this.#dir, newest.name);
    let bytes: Uint8Array;
    try {
      bytes = this.#fs.readFile(file);
    } catch (cause) {
      throw new StorageError("read_failed", `Cannot read the snapshot ${file} (${String(cause)})`, { file, cause });
    }
    const snapshot = decodeSnapshotFile(bytes, `The snapshot ${file}`, file);
    checkName(snapshot.meta, file, newest);
    return snapshot;
  }

  /** The newest snapshot file, checked and open for reading (see {@link SnapshotStore.openLatest}). */
  openLatest(): SnapshotFileReader | null {
    const newest = this.#list().pop();
    if (newest === undefined) return null;
    const file = path.join(this.#dir, newest.name);
    let fd: number;
    try {
      fd = this.#fs.open(file, "r");
    } catch (cause) {
      throw new StorageError("read_failed", `Cannot open the snapshot ${file} (${String(cause)})`, { file, cause });
    }
    try {
      const reader = new FileSnapshotReader(this.#fs, fd, file);
      checkName(reader.meta, file, newest);
      return reader;
    } catch (error) {
      this.#fs.close(fd);
      throw error;
    }
  }

  /** Deletes snapshots whose index is below `keep.index`; returns how many (see {@link SnapshotStore.prune}). */
  prune(keep: LogPosition): number {
    const old = this.#list().filter((s) => s.index < keep.index);
    for (const s of old) this.#fs.unlink(path.join(this.#dir, s.name));
    if (old.length > 0) this.#flushDir();
    return old.length;
  }

  #list(): NamedSnapshot[] {
    const found: NamedSnapshot[] = [];
    for (const name of this.#fs.readdir(this.#dir)) {
      const parsed = parseName(name);
      if (parsed !== undefined) found.push(parsed);
    }
    return found.sort((a, b) => a.index - b.index || a.term - b.term);
  }

  #create(temp: string): number {
    try {
      return this.#fs.open(temp, "w");
    } catch (cause) {
      throw writeError("save a snapshot", temp, cause);
    }
  }

  #abandon(fd: number, temp: string): void {
    try {
      this.#fs.close(fd);
    } catch {
      // Already closed or never opened.
    }
    this.#removeQuietly(temp);
  }

  #removeQuietly(temp: string): void {
    try {
      this.#fs.unlink(temp);
    } catch {
      // Best effort: a leftover temporary file is removed by the next open.
    }
  }

  #flushAndClose(fd: number, temp: string): void {
    try {
      this.#fs.fsync(fd);
    } catch (cause) {
      failStop(this.#onFatal, `fsync of the snapshot ${temp} failed`, cause);
    } finally {
      this.#fs.close(fd);
    }
  }

  #publish(temp: string, final: string): void {
    try {
      this.#fs.rename(temp, final);
    } catch (cause) {
      this.#removeQuietly(temp);
      throw writeError("publish a snapshot", final, cause);
    }
    this.#flushDir();
  }

  #flushDir(): void {
    try {
      this.#fs.fsyncDir(this.#dir);
    } catch (cause) {
      failStop(this.#onFatal, `fsync of the snapshot directory ${this.#dir} failed`, cause);
    }
  }
}

function checkName(meta: SnapshotMeta, file: string, named: NamedSnapshot): void {
  const { term, index } = meta.position;
  if (term !== named.term || index !== named.index) {
    throw new StorageError(
      "corrupt",
      `The snapshot ${file} is corrupt at byte 8: the position does not match the file name`,
      {
        file,
        offset: 8,
      },
    );
  }
}

/** A snapshot file read through its own descriptor: checked in one streaming pass when opened. */
class FileSnapshotReader implements SnapshotFileReader {
  readonly meta: SnapshotMeta;
  readonly size: number;
  readonly sha256: string;
  readonly #fs: FileSystem;
  readonly #file: string;
  #fd: number | null;
  #offset = 0;

  /** Checks the file on `fd` (throws `corrupt` or `read_failed`); the reader owns `fd` once this returns. */
  constructor(fsys: FileSystem, fd: number, file: string) {
    this.#fs = fsys;
    this.#fd = fd;
    this.#file = file;
    this.size = this.#call(() => fsys.size(fd));
    const { crcBeforeLast4, sha256, head, trailer } = this.#scan();
    this.sha256 = sha256;
    const checked = checkSnapshotParts(
      { size: this.size, head, trailer, crc: crcBeforeLast4 },
      `The snapshot ${file}`,
      file,
    );
    this.meta = checked.meta;
  }

  read(maxBytes: number): Uint8Array | null {
    const fd = this.#fd;
    if (fd === null || this.#offset >= this.size) return null;
    const length = Math.min(maxBytes, this.size - this.#offset);
    const chunk = this.#readAt(fd, this.#offset, length);
    this.#offset += length;
    return chunk;
  }

  close(): void {
    if (this.#fd === null) return;
    const fd = this.#fd;
    this.#fd = null;
    this.#fs.close(fd);
  }

  /** One pass over the file: the CRCs, the head up to the end of the configuration, the trailer. */
  #scan(): { crcBeforeLast4: number; sha256: string; head: Uint8Array; trailer: Uint8Array } {
    const fd = this.#fd as number;
    const size = this.size;
    const fixed = this.#readAt(fd, 0, Math.min(size, SNAPSHOT_FIXED_BYTES));
    const configLength = fixed.length < SNAPSHOT_FIXED_BYTES ? 0 : new DataView(fixed.buffer).getUint32(24, true);
    const headLength = Math.min(size, SNAPSHOT_FIXED_BYTES + configLength);
    const head = this.#readAt(fd, 0, headLength);
    const trailer =
      size < SNAPSHOT_TRAILER_BYTES
        ? new Uint8Array(SNAPSHOT_TRAILER_BYTES)
        : this.#readAt(fd, size - SNAPSHOT_TRAILER_BYTES, SNAPSHOT_TRAILER_BYTES);
    const crcEnd = Math.max(0, size - 4);
    let crc = 0;
    const hash = createHash("sha256");
    for (let at = 0; at < crcEnd; at += CHECK_CHUNK_BYTES) {
      const chunk = this.#readAt(fd, at, Math.min(CHECK_CHUNK_BYTES, crcEnd - at));
      crc = crc32(chunk, 0, chunk.length, crc);
      hash.update(chunk);
    }
    hash.update(this.#readAt(fd, crcEnd, size - crcEnd));
    return { crcBeforeLast4: crc, sha256: hash.digest("hex"), head, trailer };
  }

  #readAt(fd: number, position: number, length: number): Uint8Array {
    const into = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const view = done === 0 ? into : into.subarray(done);
      const n = this.#call(() => this.#fs.read(fd, view, length - done, position + done));
      if (n <= 0)
        throw new StorageError("read_failed", `The snapshot ${this.#file} ended while it was read`, {
          file: this.#file,
        });
      done += n;
    }
    return into;
  }

  #call<T>(fn: () => T): T {
    try {
      return fn();
    } catch (cause) {
      const file = this.#file;
      throw new StorageError("read_failed", `Cannot read the snapshot ${file} (${String(cause)})`, { file, cause });
    }
  }
}
