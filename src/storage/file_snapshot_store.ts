/**
 * The file-backed {@link SnapshotStore}: one file per snapshot, `snapshot-<index>-<term>.snap`
 * (20 digits each), written to a temporary file, flushed, renamed into place and made durable with
 * a directory flush, so a crash leaves either the whole snapshot or nothing.
 *
 * File: magic "RBSN" | version u8 | 3 zero bytes | term u64 | index u64 | config length u32 |
 * config JSON | data | data length u64 | crc32 of everything before it u32 (all little-endian).
 * The length trails the data so chunks can be streamed from a generator without buffering them.
 */
import * as path from "node:path";
import { crc32 } from "../checksum/crc32.ts";
import { assert, type LogPosition } from "../core/mod.ts";
import { errnoCode, StorageError, writeError } from "./errors.ts";
import { exitProcess, type FatalHandler, failStop } from "./fatal.ts";
import { type FileSystem, nodeFileSystem, writeAll } from "./file_system.ts";
import { configJson, decodeConfig } from "./record_codec.ts";
import type { Snapshot, SnapshotMeta, SnapshotStore } from "./types.ts";

/** The snapshot file format version written by this code. */
export const SNAPSHOT_FORMAT_VERSION = 1;

const MAGIC = [0x52, 0x42, 0x53, 0x4e]; // "RBSN"
const NAME = /^snapshot-(\d{20})-(\d{20})\.snap$/;
const TEMP_SUFFIX = ".tmp";
const FIXED = 28;
const TRAILER = 12;
const TWO_32 = 2 ** 32;

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

function putU64(view: DataView, at: number, n: number): void {
  view.setUint32(at, n >>> 0, true);
  view.setUint32(at + 4, Math.floor(n / TWO_32), true);
}

function getU64(view: DataView, at: number): number {
  const hi = view.getUint32(at + 4, true);
  return hi >= 0x200000 ? -1 : hi * TWO_32 + view.getUint32(at, true);
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
    const header = encodeHeader(meta);
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
      writeAll(this.#fs, fd, encodeTrailer(length, crc));
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
    return decodeSnapshot(bytes, file, newest);
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

function encodeHeader(meta: SnapshotMeta): Uint8Array {
  const { term, index } = meta.position;
  assert(Number.isSafeInteger(term) && term >= 0, "a snapshot term is a non-negative safe integer");
  assert(Number.isSafeInteger(index) && index >= 0, "a snapshot index is a non-negative safe integer");
  const json = new TextEncoder().encode(configJson(meta.config));
  const bytes = new Uint8Array(FIXED + json.length);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  bytes[4] = SNAPSHOT_FORMAT_VERSION;
  putU64(view, 8, term);
  putU64(view, 16, index);
  view.setUint32(24, json.length, true);
  bytes.set(json, FIXED);
  return bytes;
}

/** The data length and the CRC of everything before the CRC (which covers the length too). */
function encodeTrailer(length: number, crcSoFar: number): Uint8Array {
  const bytes = new Uint8Array(TRAILER);
  const view = new DataView(bytes.buffer);
  putU64(view, 0, length);
  view.setUint32(8, crc32(bytes, 0, 8, crcSoFar), true);
  return bytes;
}

function corrupt(file: string, offset: number, reason: string): StorageError {
  return new StorageError("corrupt", `The snapshot ${file} is corrupt at byte ${offset}: ${reason}`, { file, offset });
}

/** Validates a snapshot file (checksum first, then every field) and decodes it. */
function decodeSnapshot(bytes: Uint8Array, file: string, named: NamedSnapshot): Snapshot {
  if (bytes.length < FIXED + TRAILER) throw corrupt(file, 0, "the file is too short");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const crcAt = bytes.length - 4;
  if (crc32(bytes, 0, crcAt) !== view.getUint32(crcAt, true)) throw corrupt(file, crcAt, "the checksum does not match");
  if (MAGIC.some((b, i) => bytes[i] !== b)) throw corrupt(file, 0, "the file is not a snapshot");
  if (bytes[4] !== SNAPSHOT_FORMAT_VERSION) {
    throw new StorageError("unsupported_version", `The snapshot ${file} has format version ${bytes[4]}`, {
      file,
      offset: 4,
    });
  }
  const term = getU64(view, 8);
  const index = getU64(view, 16);
  if (term !== named.term || index !== named.index) throw corrupt(file, 8, "the position does not match the file name");
  const dataStart = FIXED + view.getUint32(24, true);
  const dataEnd = bytes.length - TRAILER;
  if (dataStart > dataEnd) throw corrupt(file, 24, "the configuration overruns the file");
  const config = decodeConfig(bytes, FIXED, dataStart);
  if (typeof config === "string") throw corrupt(file, FIXED, config);
  if (getU64(view, dataEnd) !== dataEnd - dataStart) throw corrupt(file, dataEnd, "the data length does not match");
  const position = { term, index } as LogPosition;
  return { meta: { position, config }, data: bytes.slice(dataStart, dataEnd) };
}
