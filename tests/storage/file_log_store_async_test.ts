import { afterEach, describe, expect, it } from "bun:test";
import { LogEntries, LogEntry, type LogIndex, LogPosition, Term } from "../../packages/core/src/mod.ts";
import {
  FileLogStore,
  type FileLogStoreOptions,
  type FileSystem,
  type FlushDone,
  nodeFileSystem,
  StorageError,
} from "../../src/storage/mod.ts";
import {
  captureLog,
  commands,
  config,
  FatalCalled,
  faultyFs,
  newTerm,
  plainEntries,
  removeDir,
  segmentFiles,
  tempDir,
  throwingFatal,
} from "./storage_helpers.ts";

const dirs: string[] = [];
function freshDir(): string {
  const dir = tempDir("async-log");
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

/** A real file system whose flushes off the event loop wait until the test releases them, in order. */
interface GatedFs extends FileSystem {
  /** Flushes off the event loop started and not released yet. */
  readonly held: number;
  /** Lets the oldest held flush run (its `done` follows once the real flush ends). */
  release(): void;
}

function gatedFs(base: FileSystem = nodeFileSystem): GatedFs {
  const queue: Array<() => void> = [];
  return {
    ...base,
    get held() {
      return queue.length;
    },
    fdatasyncAsync(fd: number, done: FlushDone) {
      queue.push(() => base.fdatasyncAsync(fd, done));
    },
    fsyncDirAsync(dir: string, done: FlushDone) {
      queue.push(() => base.fsyncDirAsync(dir, done));
    },
    release() {
      const next = queue.shift();
      if (next === undefined) throw new Error("no flush is held");
      next();
    },
  };
}

function open(dir: string, options: FileLogStoreOptions = {}) {
  return FileLogStore.open(dir, { log: captureLog().log, onFatal: throwingFatal, ...options });
}

function reopen(dir: string, options: FileLogStoreOptions = {}) {
  const opened = open(dir, options);
  opened.store.close();
  return opened.recovered;
}

/** Starts a sync; the promise settles with what `done` was given. */
function started(store: FileLogStore): { readonly ended: Promise<unknown>; readonly calls: () => number } {
  let calls = 0;
  const ended = new Promise<unknown>((resolve) =>
    store.startSync((error) => {
      calls++;
      resolve(error);
    }),
  );
  return { ended, calls: () => calls };
}

/** Waits (boundedly) until `gate` holds `n` flushes. */
async function untilHeld(gate: GatedFs, n: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (gate.held < n && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1));
  expect(gate.held).toBe(n);
}

/** Releases held flushes (a rotation holds two: the file's, then the directory's) until `sync` ends. */
async function finish(gate: GatedFs, sync: { readonly ended: Promise<unknown>; readonly calls: () => number }) {
  const deadline = Date.now() + 10_000;
  while (sync.calls() === 0 && Date.now() < deadline) {
    if (gate.held > 0) gate.release();
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return await sync.ended;
}

describe("FileLogStore.startSync", () => {
  it("FileLogStore.startSync() writes now and completes later; nothing is durable or readable before", async () => {
    const dir = freshDir();
    const gate = gatedFs();
    const { store } = open(dir, { fs: gate });
    store.saveHardState({ term: Term.of(1), votedFor: null });
    store.append(newTerm(LogPosition.ZERO, 1, "a", "b"));
    const sync = started(store);
    expect(store.syncInFlight).toBe(true);
    expect(store.hasPending).toBe(true);
    expect(sync.calls()).toBe(0);
    expect<unknown>(store.durablePosition).toEqual({ term: 0, index: 0 });
    expect(store.hardState.term as number).toBe(0);
    expect(store.read(0 as LogIndex).length).toBe(0);
    expect(gate.held).toBe(1);
    gate.release();
    expect(await sync.ended).toBe(null);
    expect(sync.calls()).toBe(1);
    expect(store.syncInFlight).toBe(false);
    expect(store.hasPending).toBe(false);
    expect<unknown>(store.durablePosition).toEqual({ term: 1, index: 3 });
    expect(store.hardState.term as number).toBe(1);
    expect(plainEntries(store.read(0 as LogIndex)).length).toBe(3);
    store.close();
    expect<unknown>(reopen(dir).log.lastPosition).toEqual({ term: 1, index: 3 });
  });

  it("FileLogStore.startSync(): appends during a sync in flight wait for the next one, and completions come in order", async () => {
    const dir = freshDir();
    const gate = gatedFs();
    const { store } = open(dir, { fs: gate });
    store.saveHardState({ term: Term.of(1), votedFor: null });
    store.append(newTerm(LogPosition.ZERO, 1, "a"));
    const first = started(store);
    store.append(commands(LogPosition.of(1, 2), "b", "c")); // Checked against the log in flight.
    expect(() => store.startSync(() => {})).toThrow(/one sync at a time/);
    expect(() => store.append(commands(LogPosition.of(1, 9), "x"))).toThrow(/cannot append after/);
    gate.release();
    expect(await first.ended).toBe(null);
    expect<unknown>(store.durablePosition).toEqual({ term: 1, index: 2 }); // Only the first batch.
    expect(store.hasPending).toBe(true);
    expect(store.syncInFlight).toBe(false);
    const second = started(store);
    await untilHeld(gate, 1);
    gate.release();
    expect(await second.ended).toBe(null);
    expect<unknown>(store.durablePosition).toEqual({ term: 1, index: 4 });
    expect(plainEntries(store.read(2 as LogIndex))).toEqual([
      [1, 3, "command", "b"],
      [1, 4, "command", "c"],
    ]);
    store.close();
    expect(plainEntries(reopen(dir).log.entries).length).toBe(4);
  });

  it("FileLogStore.startSync(): an append that overwrites entries still in flight wins, in memory and after a reopen", async () => {
    const dir = freshDir();
    const gate = gatedFs();
    const { store } = open(dir, { fs: gate });
    store.saveHardState({ term: Term.of(1), votedFor: null });
    store.append(newTerm(LogPosition.ZERO, 1, "a", "b", "c", "d"));
    const first = started(store);
    store.saveHardState({ term: Term.of(2), votedFor: null });
    store.append(newTerm(LogPosition.of(1, 2), 2, "z")); // Overwrites 3..5, which are in flight.
    gate.release();
    await first.ended;
    expect<unknown>(store.durablePosition).toEqual({ term: 1, index: 5 });
    const second = started(store);
    await untilHeld(gate, 1);
    gate.release();
    await second.ended;
    const expected = [
      [1, 1, "term", 1],
      [1, 2, "command", "a"],
      [2, 3, "term", 2],
      [2, 4, "command", "z"],
    ];
    expect<unknown>(store.durablePosition).toEqual({ term: 2, index: 4 });
    expect(plainEntries(store.read(0 as LogIndex))).toEqual(expected);
    store.close();
    const recovered = reopen(dir);
    expect(plainEntries(recovered.log.entries)).toEqual(expected);
    expect(recovered.hardState.term as number).toBe(2);
  });

  it("FileLogStore.startSync() rotates segments, flushing the directory off the event loop too, and every entry survives", async () => {
    const dir = freshDir();
    const base = faultyFs();
    const { store } = open(dir, { fs: base, segmentBytes: 256 });
    store.saveHardState({ term: Term.of(1), votedFor: null });
    store.append(newTerm(LogPosition.ZERO, 1));
    let last = LogPosition.of(1, 1);
    let flight = started(store);
    for (let i = 0; i < 30; i++) {
      store.append(commands(last, "x".repeat(50))); // Buffered while the previous sync is in flight.
      last = LogPosition.of(1, last.index + 1);
      await flight.ended;
      flight = started(store);
    }
    expect(await flight.ended).toBe(null);
    const files = segmentFiles(dir);
    expect(files.length).toBeGreaterThan(5);
    expect(base.calls.fsyncDirAsync).toBe(files.length - 1);
    expect(base.calls.fdatasyncAsync).toBe(31);
    expect<unknown>(store.durablePosition).toEqual({ term: 1, index: 31 });
    expect(store.read(0 as LogIndex).length).toBe(31); // Reads span the segments.
    store.close();
    const recovered = reopen(dir, { segmentBytes: 256 });
    expect<unknown>(recovered.log.lastPosition).toEqual({ term: 1, index: 31 });
    expect(recovered.report.segments).toBe(files.length);
  });

  it("FileLogStore.startSync(): a compaction buffered during a sync in flight applies after it and deletes covered segments", async () => {
    const dir = freshDir();
    const gate = gatedFs();
    const { store } = open(dir, { fs: gate, segmentBytes: 256 });
    store.saveHardState({ term: Term.of(1), votedFor: null });
    store.append(newTerm(LogPosition.ZERO, 1));
    store.append(LogEntries.from(LogPosition.of(1, 1), [LogEntry.config(config("a"))]));
    let last = store.sync();
    for (let i = 0; i < 40; i++) {
      store.append(commands(last, `${i}`.padEnd(40, ".")));
      last = store.sync();
    }
    const before = segmentFiles(dir);
    store.append(commands(last, "in flight"));
    const first = started(store);
    store.compact({ position: LogPosition.of(1, 35), config: config("a") });
    expect(await finish(gate, first)).toBe(null);
    expect(segmentFiles(dir).slice(0, before.length)).toEqual(before); // Not yet durable: nothing deleted.
    expect(store.snapshot.position.index as number).toBe(0);
    const second = started(store);
    expect(await finish(gate, second)).toBe(null);
    expect(store.snapshot.position.index as number).toBe(35);
    expect(segmentFiles(dir).length).toBeLessThan(before.length);
    expect(store.read(35 as LogIndex).length).toBe(8);
    store.close();
    const recovered = reopen(dir, { segmentBytes: 256 });
    expect<unknown>(recovered.snapshot.position).toEqual({ term: 1, index: 35 });
    expect<unknown>(recovered.log.lastPosition).toEqual({ term: 1, index: 43 });
  });

  it("FileLogStore.sync() completes a sync in flight first (its done runs before it returns), then flushes the rest", async () => {
    const dir = freshDir();
    const gate = gatedFs();
    const { store } = open(dir, { fs: gate });
    store.saveHardState({ term: Term.of(1), votedFor: null });
    store.append(newTerm(LogPosition.ZERO, 1, "a"));
    const first = started(store);
    store.append(commands(LogPosition.of(1, 2), "b"));
    expect<unknown>(store.sync()).toEqual({ term: 1, index: 3 });
    expect(first.calls()).toBe(1);
    expect(await first.ended).toBe(null);
    expect(store.syncInFlight).toBe(false);
    expect(store.hasPending).toBe(false);
    gate.release(); // The superseded flush still ends; it changes nothing and calls nobody.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(first.calls()).toBe(1);
    store.append(commands(LogPosition.of(1, 3), "c"));
    store.sync();
    store.close();
    expect<unknown>(reopen(dir).log.lastPosition).toEqual({ term: 1, index: 4 });
  });

  it("FileLogStore.close() discards a sync in flight: its done never runs, and the log reopens", async () => {
    const dir = freshDir();
    const gate = gatedFs();
    const { store } = open(dir, { fs: gate });
    store.saveHardState({ term: Term.of(1), votedFor: null });
    store.append(newTerm(LogPosition.ZERO, 1, "a"));
    store.sync();
    store.append(commands(LogPosition.of(1, 2), "b"));
    const flight = started(store);
    store.close();
    expect(() => store.append(commands(LogPosition.of(1, 2), "c"))).toThrow(StorageError);
    const recovered = reopen(dir); // The batch was written: the file holds it, acknowledged or not.
    expect(recovered.log.lastPosition.index).toBeGreaterThanOrEqual(2);
    gate.release(); // The file is closed once this flush ends.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(flight.calls()).toBe(0);
  });

  it("FileLogStore.startSync(): a failed fdatasync off the event loop fails stop, and the store refuses every later call", async () => {
    const dir = freshDir();
    const fsys = faultyFs();
    const { store } = open(dir, { fs: fsys });
    store.saveHardState({ term: Term.of(1), votedFor: null });
    store.append(newTerm(LogPosition.ZERO, 1, "a"));
    fsys.failNextFlush();
    const error = await started(store).ended;
    expect(error).toBeInstanceOf(FatalCalled);
    expect((error as FatalCalled).fatalMessage).toContain("fdatasync of the log segment");
    expect<unknown>(store.durablePosition).toEqual({ term: 0, index: 0 }); // Nothing acknowledged.
    expect(store.syncInFlight).toBe(false);
    expect(() => store.append(commands(LogPosition.of(1, 2), "b"))).toThrow(StorageError);
    expect(() => store.startSync(() => {})).toThrow(StorageError);
    expect(() => store.sync()).toThrow(StorageError);
    store.close();
  });

  it("FileLogStore.startSync() refuses a batch whose write fails at once (no_space), acknowledging nothing", () => {
    const dir = freshDir();
    const fsys = faultyFs();
    const { store } = open(dir, { fs: fsys });
    store.saveHardState({ term: Term.of(1), votedFor: null });
    store.append(newTerm(LogPosition.ZERO, 1, "a"));
    fsys.failNextWrite("ENOSPC");
    let called = false;
    expect(() =>
      store.startSync(() => {
        called = true;
      }),
    ).toThrow(StorageError);
    expect(called).toBe(false);
    expect(store.syncInFlight).toBe(false);
    expect(store.hasPending).toBe(false);
    store.saveHardState({ term: Term.of(1), votedFor: null }); // Discarded with the batch: saved again.
    store.append(newTerm(LogPosition.ZERO, 1, "again"));
    store.sync();
    store.close();
    expect(plainEntries(reopen(dir).log.entries)).toEqual([
      [1, 1, "term", 1],
      [1, 2, "command", "again"],
    ]);
  });
});
