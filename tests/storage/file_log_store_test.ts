import { afterEach, describe, expect, it } from "bun:test";
import * as fs from "node:fs";
import {
  LogEntries,
  LogEntry,
  type LogIndex,
  LogPosition,
  NodeId,
  RaftInvariantError,
  Term,
} from "../../packages/core/src/mod.ts";
import { FileLogStore, type FileLogStoreOptions } from "../../src/storage/mod.ts";
import { type Checkpoint, checkFrame, decodeBody, FRAME_HEADER_BYTES } from "../../src/storage/record_codec.ts";
import { SEGMENT_HEADER_BYTES } from "../../src/storage/segment.ts";
import {
  captureLog,
  commands,
  config,
  faultyFs,
  newTerm,
  plainEntries,
  removeDir,
  segmentFiles,
  tempDir,
} from "./storage_helpers.ts";

const dirs: string[] = [];
function freshDir(): string {
  const dir = tempDir("log");
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

function open(dir: string, options: FileLogStoreOptions = {}) {
  return FileLogStore.open(dir, { log: captureLog().log, ...options });
}

function firstCheckpoint(file: string): Checkpoint {
  const bytes = new Uint8Array(fs.readFileSync(file));
  const view = new DataView(bytes.buffer);
  const next = checkFrame(bytes, view, SEGMENT_HEADER_BYTES, bytes.length);
  const record = decodeBody(bytes, view, SEGMENT_HEADER_BYTES + FRAME_HEADER_BYTES, next);
  if (typeof record === "string" || record.type !== "checkpoint") throw new Error("no checkpoint");
  return record.checkpoint;
}

function reopen(dir: string, options: FileLogStoreOptions = {}) {
  const opened = open(dir, options);
  opened.store.close();
  return opened.recovered;
}

describe("FileLogStore", () => {
  it("FileLogStore.open() creates a new log at generation 0 and counts generations up on every reopen", () => {
    const dir = freshDir();
    const first = open(dir);
    expect(first.recovered.isNew).toBe(true);
    expect<unknown>(first.recovered.generation).toBe(0);
    expect<unknown>(first.recovered.hardState).toEqual({ term: 0, votedFor: null });
    expect(first.recovered.log.lastPosition).toEqual(LogPosition.ZERO);
    expect(first.recovered.snapshot.position).toEqual(LogPosition.ZERO);
    first.store.close();
    for (const expected of [1, 2, 3]) {
      const again = reopen(dir);
      expect(again.isNew).toBe(false);
      expect<unknown>(again.generation).toBe(expected);
    }
  });

  it("FileLogStore round-trips every record type through a clean close and reopen", () => {
    const dir = freshDir();
    const { store } = open(dir);
    store.saveHardState({ term: Term.of(2), votedFor: NodeId.of("n1") });
    const segment = newTerm(LogPosition.ZERO, 2);
    segment.push(LogEntry.config(config("n1", "n2")));
    segment.push(LogEntry.command("text ✓"));
    segment.push(LogEntry.command(new Uint8Array([1, 2, 3])));
    store.append(segment);
    expect<unknown>(store.sync()).toEqual({ term: 2, index: 4 });
    store.compact({ position: LogPosition.of(2, 1), config: config() });
    store.append(commands(LogPosition.of(2, 3))); // An empty append: drops entry 4.
    store.sync();
    store.close();
    const recovered = reopen(dir);
    expect<unknown>(recovered.hardState).toEqual({ term: 2, votedFor: "n1" });
    expect<unknown>(recovered.snapshot.position).toEqual({ term: 2, index: 1 });
    expect<unknown>(recovered.log.snapshotPosition).toEqual({ term: 2, index: 1 });
    expect(plainEntries(recovered.log.entries)).toEqual([
      [2, 2, "config", { voters: ["n1", "n2"], newVoters: [], nonVoters: [], addresses: {} }],
      [2, 3, "command", "text ✓"],
    ]);
    expect<unknown>(recovered.log.getConfig(3)?.voters).toEqual(["n1", "n2"]);
  });

  it("FileLogStore keeps the payload type: Uint8Array stays bytes and string stays text", () => {
    const dir = freshDir();
    const { store } = open(dir);
    store.saveHardState({ term: Term.of(1), votedFor: null });
    store.append(
      LogEntries.from(LogPosition.ZERO, [
        LogEntry.term(Term.of(1)),
        LogEntry.command(new Uint8Array([65])),
        LogEntry.command("A"),
      ]),
    );
    store.sync();
    store.close();
    const entries = reopen(dir).log.entries;
    const bytes = entries.getEntry(2);
    const text = entries.getEntry(3);
    expect(bytes?.kind === "command" && bytes.data instanceof Uint8Array).toBe(true);
    expect(text).toEqual({ kind: "command", data: "A" });
  });

  it("FileLogStore: an append that overwrites a suffix, then a reopen, gives the overwritten log", () => {
    const dir = freshDir();
    const { store } = open(dir);
    store.saveHardState({ term: Term.of(1), votedFor: null });
    store.append(newTerm(LogPosition.ZERO, 1, "a", "b", "c", "d"));
    store.sync();
    store.saveHardState({ term: Term.of(2), votedFor: null });
    store.append(newTerm(LogPosition.of(1, 2), 2, "x")); // Replaces 3..5 in a later batch.
    store.sync();
    store.append(commands(LogPosition.of(2, 4), "y", "z"));
    store.append(commands(LogPosition.of(2, 5), "w")); // Replaces z within the same batch.
    expect<unknown>(store.sync()).toEqual({ term: 2, index: 6 });
    store.close();
    const recovered = reopen(dir);
    expect(plainEntries(recovered.log.entries)).toEqual([
      [1, 1, "term", 1],
      [1, 2, "command", "a"],
      [2, 3, "term", 2],
      [2, 4, "command", "x"],
      [2, 5, "command", "y"],
      [2, 6, "command", "w"],
    ]);
  });

  it("FileLogStore.sync() reports what is durable; buffered records are neither durable nor readable", () => {
    const dir = freshDir();
    const { store } = open(dir);
    store.saveHardState({ term: Term.of(1), votedFor: NodeId.of("me") });
    store.append(newTerm(LogPosition.ZERO, 1, "a"));
    expect(store.hasPending).toBe(true);
    expect(store.durablePosition).toEqual(LogPosition.ZERO);
    expect<unknown>(store.hardState).toEqual({ term: 0, votedFor: null });
    expect(store.read(0 as LogIndex).length).toBe(0);
    expect<unknown>(store.sync()).toEqual({ term: 1, index: 2 });
    expect(store.hasPending).toBe(false);
    expect<unknown>(store.hardState).toEqual({ term: 1, votedFor: "me" });
    expect(plainEntries(store.read(0 as LogIndex))).toEqual([
      [1, 1, "term", 1],
      [1, 2, "command", "a"],
    ]);
    store.append(commands(LogPosition.of(1, 2), "unsynced"));
    store.close(); // Discards the buffered record.
    expect<unknown>(reopen(dir).log.lastPosition).toEqual({ term: 1, index: 2 });
  });

  it("FileLogStore.sync() does one write and one fdatasync per batch, and no I/O when nothing is buffered", () => {
    const dir = freshDir();
    const fsys = faultyFs();
    const { store } = open(dir, { fs: fsys });
    const before = { ...fsys.calls };
    store.saveHardState({ term: Term.of(1), votedFor: null });
    store.append(newTerm(LogPosition.ZERO, 1, ...Array.from({ length: 100 }, (_, i) => `e${i}`)));
    store.sync();
    expect((fsys.calls.write ?? 0) - (before.write ?? 0)).toBe(1);
    expect((fsys.calls.fdatasync ?? 0) - (before.fdatasync ?? 0)).toBe(1);
    store.sync();
    expect((fsys.calls.write ?? 0) - (before.write ?? 0)).toBe(1);
    expect((fsys.calls.fdatasync ?? 0) - (before.fdatasync ?? 0)).toBe(1);
    store.close();
  });

  it("FileLogStore.read() returns durable entries across segments and honours maxEntries", () => {
    const dir = freshDir();
    const { store } = open(dir, { segmentBytes: 200 });
    store.saveHardState({ term: Term.of(1), votedFor: null });
    let last = store.sync();
    store.append(newTerm(last, 1));
    last = store.sync();
    for (let i = 0; i < 40; i++) {
      store.append(commands(last, `c${i}`));
      last = store.sync();
    }
    expect(store.segmentFiles.length).toBeGreaterThan(3);
    const all = store.read(0 as LogIndex);
    expect(all.length).toBe(41);
    expect(all.getEntry(41)).toEqual({ kind: "command", data: "c39" });
    const some = store.read(10 as LogIndex, 5);
    expect<unknown>(some.prevPosition).toEqual({ term: 1, index: 10 });
    expect(plainEntries(some).map((e) => (e as unknown[])[3])).toEqual(["c9", "c10", "c11", "c12", "c13"]);
    expect(store.read(41 as LogIndex).length).toBe(0);
    expect(() => store.read(42 as LogIndex)).toThrow(RaftInvariantError);
    store.close();
  });

  it("FileLogStore rotates segments at segmentBytes and replays them all on reopen", () => {
    const dir = freshDir();
    const { store } = open(dir, { segmentBytes: 256 });
    store.saveHardState({ term: Term.of(1), votedFor: null });
    store.append(newTerm(LogPosition.ZERO, 1));
    let last = store.sync();
    for (let i = 0; i < 30; i++) {
      store.append(commands(last, "x".repeat(50)));
      last = store.sync();
    }
    const files = segmentFiles(dir);
    expect(files.length).toBeGreaterThan(5);
    for (const file of files.slice(0, -1)) expect(fs.statSync(file).size).toBeGreaterThanOrEqual(256);
    store.close();
    const recovered = reopen(dir, { segmentBytes: 256 });
    expect<unknown>(recovered.log.lastPosition).toEqual({ term: 1, index: 31 });
    expect(recovered.report.segments).toBe(files.length);
  });

  it("FileLogStore: compaction after a snapshot deletes old segments and a reopen starts from the snapshot", () => {
    const dir = freshDir();
    const { store } = open(dir, { segmentBytes: 256 });
    store.saveHardState({ term: Term.of(1), votedFor: null });
    store.append(newTerm(LogPosition.ZERO, 1));
    store.append(LogEntries.from(LogPosition.of(1, 1), [LogEntry.config(config("a"))]));
    let last = store.sync();
    for (let i = 0; i < 40; i++) {
      store.append(commands(last, `${i}`.padEnd(40, ".")));
      last = store.sync();
    }
    const before = segmentFiles(dir);
    store.compact({ position: LogPosition.of(1, 35), config: config("a") });
    store.sync();
    const after = segmentFiles(dir);
    expect(after.length).toBeLessThan(before.length);
    expect(after[0] > before[0]).toBe(true);
    expect<unknown>(store.snapshot.position).toEqual({ term: 1, index: 35 });
    expect(store.read(35 as LogIndex).length).toBe(7);
    expect(() => store.read(34 as LogIndex)).toThrow(RaftInvariantError);
    store.close();
    const recovered = reopen(dir, { segmentBytes: 256 });
    expect<unknown>(recovered.snapshot.position).toEqual({ term: 1, index: 35 });
    expect<unknown>(recovered.snapshot.config.voters).toEqual(["a"]);
    expect<unknown>(recovered.log.snapshotPosition).toEqual({ term: 1, index: 35 });
    expect<unknown>(recovered.log.snapshotConfig.voters).toEqual(["a"]);
    expect(recovered.log.entries.getEntry(36)).toEqual({ kind: "command", data: "33".padEnd(40, ".") });
    expect<unknown>(recovered.log.lastPosition).toEqual({ term: 1, index: 42 });
  });

  it("FileLogStore: a compaction to a position the log lacks drops every entry, and a reopen agrees", () => {
    const dir = freshDir();
    const { store } = open(dir, { segmentBytes: 256 });
    store.saveHardState({ term: Term.of(1), votedFor: null });
    store.append(newTerm(LogPosition.ZERO, 1, "a", "b", "c"));
    store.sync();
    store.saveHardState({ term: Term.of(5), votedFor: null });
    store.compact({ position: LogPosition.of(4, 3), config: config("z") }); // Term 4 at 3: not this log's entry.
    store.append(commands(LogPosition.of(4, 3), "after"));
    expect<unknown>(store.sync()).toEqual({ term: 4, index: 4 });
    store.close();
    const recovered = reopen(dir, { segmentBytes: 256 });
    expect<unknown>(recovered.log.snapshotPosition).toEqual({ term: 4, index: 3 });
    expect(plainEntries(recovered.log.entries)).toEqual([[4, 4, "command", "after"]]);
  });

  it("FileLogStore.compact({ replaceLog: true }) drops the entries after the snapshot too", () => {
    const dir = freshDir();
    const { store } = open(dir);
    store.saveHardState({ term: Term.of(1), votedFor: null });
    store.append(newTerm(LogPosition.ZERO, 1, "a", "b", "c"));
    store.sync();
    store.compact({ position: LogPosition.of(1, 2), config: config() }, { replaceLog: true });
    expect<unknown>(store.sync()).toEqual({ term: 1, index: 2 });
    store.close();
    const recovered = reopen(dir);
    expect<unknown>(recovered.log.snapshotPosition).toEqual({ term: 1, index: 2 });
    expect(recovered.log.entries.length).toBe(0);
  });

  it("FileLogStore reopens when deleted segments leave entries below the first checkpoint to a later snapshot", () => {
    const dir = freshDir();
    const options = { segmentBytes: 150 };
    const { store } = open(dir, options);
    store.saveHardState({ term: Term.of(1), votedFor: null });
    store.append(newTerm(LogPosition.ZERO, 1));
    let last = store.sync();
    for (let i = 0; i < 20; i++) {
      store.append(commands(last, `entry-${i}`.padEnd(60, "-")));
      last = store.sync();
    }
    store.compact({ position: LogPosition.of(1, 5), config: config() });
    store.sync();
    store.compact({ position: LogPosition.of(1, 15), config: config() });
    store.sync();
    store.close();
    // The first remaining segment was started before any of these compactions: its checkpoint says
    // "snapshot at 0, last entry at L > 0", and entries 1..L lived in segments that are gone now.
    const first = firstCheckpoint(segmentFiles(dir)[0]);
    expect(first.snapshot.position.index).toBeLessThan(5);
    expect(first.last.index).toBeGreaterThan(first.snapshot.position.index);
    const recovered = reopen(dir, options);
    expect<unknown>(recovered.log.snapshotPosition).toEqual({ term: 1, index: 15 });
    expect<unknown>(recovered.log.lastPosition).toEqual({ term: 1, index: 21 });
    expect(recovered.log.entries.getEntry(16)).toEqual({ kind: "command", data: "entry-14".padEnd(60, "-") });
  });

  it("FileLogStore asserts that appends attach, compactions advance and hard state never goes back", () => {
    const dir = freshDir();
    const { store } = open(dir);
    store.saveHardState({ term: Term.of(2), votedFor: NodeId.of("a") });
    store.append(newTerm(LogPosition.ZERO, 2, "x"));
    store.sync();
    expect(() => store.append(commands(LogPosition.of(1, 2), "wrong term"))).toThrow(RaftInvariantError);
    expect(() => store.append(commands(LogPosition.of(2, 5), "gap"))).toThrow(RaftInvariantError);
    expect(() => store.saveHardState({ term: Term.of(1), votedFor: null })).toThrow(RaftInvariantError);
    expect(() => store.saveHardState({ term: Term.of(2), votedFor: NodeId.of("b") })).toThrow(RaftInvariantError);
    store.compact({ position: LogPosition.of(2, 1), config: config() });
    expect(() => store.compact({ position: LogPosition.of(2, 1), config: config() })).toThrow(RaftInvariantError);
    expect(() => store.append(commands(LogPosition.ZERO, "below the snapshot"))).toThrow(RaftInvariantError);
    store.saveHardState({ term: Term.of(3), votedFor: null });
    store.sync();
    store.close();
    expect<unknown>(reopen(dir).hardState).toEqual({ term: 3, votedFor: null });
  });
});
