import { afterEach, describe, expect, it } from "bun:test";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { LogPosition } from "../../packages/core/src/mod.ts";
import { FileSnapshotStore, StorageError, snapshotName } from "../../src/storage/mod.ts";
import { config, FatalCalled, faultyFs, removeDir, tempDir, throwingFatal } from "./storage_helpers.ts";

const dirs: string[] = [];
function freshDir(): string {
  const dir = tempDir("snapshots");
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

function latestError(store: FileSnapshotStore): StorageError {
  try {
    store.latest();
  } catch (error) {
    expect(error).toBeInstanceOf(StorageError);
    return error as StorageError;
  }
  throw new Error("latest() succeeded");
}

describe("FileSnapshotStore", () => {
  it("FileSnapshotStore.save() then latest() round-trips the metadata and the data, given whole or in chunks", () => {
    const dir = freshDir();
    const store = FileSnapshotStore.open(dir);
    expect(store.latest()).toBeNull();
    const meta = { position: LogPosition.of(3, 17), config: config("a", "b") };
    store.save(meta, [new Uint8Array([1, 2]), new Uint8Array(0), new Uint8Array([3])]);
    const back = store.latest();
    expect<unknown>(back?.meta.position).toEqual({ term: 3, index: 17 });
    expect(back?.meta.config.equals(meta.config)).toBe(true);
    expect([...(back?.data ?? [])]).toEqual([1, 2, 3]);
    expect(fs.readdirSync(dir)).toEqual([snapshotName(meta.position)]);
    store.save({ position: LogPosition.of(3, 18), config: config() }, new Uint8Array(0));
    expect(store.latest()?.data.length).toBe(0);
  });

  it("FileSnapshotStore.save() streams chunks from a generator, and a failing generator leaves nothing behind", () => {
    const dir = freshDir();
    const store = FileSnapshotStore.open(dir);
    function* chunks(fail: boolean): Generator<Uint8Array> {
      for (let i = 0; i < 100; i++) yield new Uint8Array(1000).fill(i);
      if (fail) throw new Error("the state machine failed to serialize");
    }
    store.save({ position: LogPosition.of(2, 50), config: config("a") }, chunks(false));
    const back = store.latest();
    expect(back?.data.length).toBe(100_000);
    expect(back?.data[99_999]).toBe(99);
    expect(() => store.save({ position: LogPosition.of(2, 60), config: config("a") }, chunks(true))).toThrow(
      "the state machine failed to serialize",
    );
    expect(fs.readdirSync(dir)).toEqual([snapshotName(LogPosition.of(2, 50))]);
  });

  it("FileSnapshotStore.latest() picks the highest index and prune() deletes the older ones", () => {
    const dir = freshDir();
    const store = FileSnapshotStore.open(dir);
    for (const index of [5, 100, 20])
      store.save({ position: LogPosition.of(1, index), config: config("a") }, new Uint8Array([index]));
    expect([...(store.latest()?.data ?? [])]).toEqual([100]);
    expect(store.prune(LogPosition.of(1, 100))).toBe(2);
    expect(fs.readdirSync(dir)).toEqual([snapshotName(LogPosition.of(1, 100))]);
  });

  it("FileSnapshotStore.open() removes a temporary file left by a crash before the rename", () => {
    const dir = freshDir();
    const leftover = path.join(dir, `${snapshotName(LogPosition.of(2, 9))}.tmp`);
    fs.writeFileSync(leftover, new Uint8Array([1, 2, 3]));
    const store = FileSnapshotStore.open(dir);
    expect(fs.existsSync(leftover)).toBe(false);
    expect(store.latest()).toBeNull();
  });

  it("FileSnapshotStore.latest() refuses a damaged snapshot, naming the file and offset", () => {
    const dir = freshDir();
    const store = FileSnapshotStore.open(dir);
    store.save({ position: LogPosition.of(1, 4), config: config("a") }, new Uint8Array(64).fill(7));
    const file = path.join(dir, snapshotName(LogPosition.of(1, 4)));
    const bytes = Uint8Array.from(fs.readFileSync(file));
    bytes[60] ^= 4;
    fs.writeFileSync(file, bytes);
    const error = latestError(store);
    expect(error.code).toBe("corrupt");
    expect(error.file).toBe(file);
    expect(error.offset).toBe(bytes.length - 4);
    expect(error.message).toContain(`${file} is corrupt at byte ${bytes.length - 4}`);
  });

  it("FileSnapshotStore.save() on a full disk leaves no temporary file and keeps the previous snapshot", () => {
    const dir = freshDir();
    const fsys = faultyFs();
    const store = FileSnapshotStore.open(dir, { fs: fsys });
    store.save({ position: LogPosition.of(1, 4), config: config("a") }, new Uint8Array([4]));
    fsys.failNextWrite("ENOSPC", 3);
    let error: unknown;
    try {
      store.save({ position: LogPosition.of(1, 8), config: config("a") }, new Uint8Array(1000));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe("no_space");
    expect(fs.readdirSync(dir)).toEqual([snapshotName(LogPosition.of(1, 4))]);
    expect([...(store.latest()?.data ?? [])]).toEqual([4]);
  });

  it("FileSnapshotStore.save() flushes the file and the directory, and fails stop when a flush fails", () => {
    const dir = freshDir();
    const fsys = faultyFs();
    const store = FileSnapshotStore.open(dir, { fs: fsys, onFatal: throwingFatal });
    store.save({ position: LogPosition.of(1, 4), config: config("a") }, new Uint8Array([4]));
    expect(fsys.calls.fsync).toBe(1);
    expect(fsys.calls.fsyncDir).toBe(1);
    fsys.failNextFlush();
    expect(() => store.save({ position: LogPosition.of(1, 5), config: config("a") }, new Uint8Array([5]))).toThrow(
      FatalCalled,
    );
  });
});

describe("FileSnapshotStore.openLatest()", () => {
  /** Every byte a reader yields, read `chunk` bytes at a time. */
  function readAll(reader: { read(maxBytes: number): Uint8Array | null }, chunk: number): Uint8Array {
    const parts: number[] = [];
    for (let piece = reader.read(chunk); piece !== null; piece = reader.read(chunk)) {
      expect(piece.length).toBeLessThanOrEqual(chunk);
      parts.push(...piece);
    }
    return Uint8Array.from(parts);
  }

  it("opens the newest file with its metadata, size and SHA-256, and reads it byte for byte, even after a prune", () => {
    const dir = freshDir();
    const store = FileSnapshotStore.open(dir);
    expect(store.openLatest()).toBeNull();
    const meta = { position: LogPosition.of(2, 40), config: config("a", "b") };
    store.save(
      meta,
      new Uint8Array(200_000).map((_, i) => i % 7),
    );
    const reader = store.openLatest();
    if (reader === null) throw new Error("no reader");
    const file = path.join(dir, snapshotName(meta.position));
    const onDisk = Uint8Array.from(fs.readFileSync(file));
    expect<unknown>(reader.meta.position).toEqual({ term: 2, index: 40 });
    expect(reader.meta.config.equals(meta.config)).toBe(true);
    expect(reader.size).toBe(onDisk.length);
    expect(reader.sha256).toBe(createHash("sha256").update(onDisk).digest("hex"));
    store.save({ position: LogPosition.of(2, 41), config: config("a") }, new Uint8Array([1]));
    store.prune(LogPosition.of(2, 41)); // The open file is unlinked; the reader keeps reading it.
    expect(readAll(reader, 65_536)).toEqual(onDisk);
    reader.close();
    reader.close();
    expect(reader.read(10)).toBeNull();
  });

  it("refuses a damaged newest file as latest() does", () => {
    const dir = freshDir();
    const store = FileSnapshotStore.open(dir);
    store.save({ position: LogPosition.of(1, 4), config: config("a") }, new Uint8Array(64).fill(7));
    const file = path.join(dir, snapshotName(LogPosition.of(1, 4)));
    fs.truncateSync(file, 50);
    let error: unknown;
    try {
      store.openLatest();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe("corrupt");
    expect((error as StorageError).message).toContain(`${file} is corrupt`);
  });
});
