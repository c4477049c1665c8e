import { afterEach, describe, expect, it } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { LogEntry, LogPosition, Term } from "../../packages/core/src/mod.ts";
import { crc32, FileLogStore, type FileLogStoreOptions, StorageError, segmentName } from "../../src/storage/mod.ts";
import { RecordWriter } from "../../src/storage/record_codec.ts";
import { captureLog, commands, newTerm, plainEntries, removeDir, segmentFiles, tempDir } from "./storage_helpers.ts";

const dirs: string[] = [];
function freshDir(): string {
  const dir = tempDir("recovery");
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

/** Writes batches of string commands, one sync each; returns the segment length after each batch. */
function writeBatches(dir: string, batches: string[][], options: FileLogStoreOptions = {}): number[] {
  const { store } = FileLogStore.open(dir, { log: () => {}, ...options });
  store.saveHardState({ term: Term.of(1), votedFor: null });
  store.append(newTerm(LogPosition.ZERO, 1));
  let last = store.sync();
  const sizes: number[] = [];
  for (const batch of batches) {
    store.append(commands(last, ...batch));
    last = store.sync();
    sizes.push(fs.statSync(store.segmentFiles[store.segmentFiles.length - 1]).size);
  }
  store.close();
  return sizes;
}

function openCapturing(dir: string, options: FileLogStoreOptions = {}) {
  const capture = captureLog();
  const opened = FileLogStore.open(dir, { log: capture.log, ...options });
  opened.store.close();
  return { ...opened.recovered, lines: capture.lines };
}

function openError(dir: string, options: FileLogStoreOptions = {}): StorageError {
  try {
    FileLogStore.open(dir, { log: () => {}, ...options }).store.close();
  } catch (error) {
    expect(error).toBeInstanceOf(StorageError);
    return error as StorageError;
  }
  throw new Error("open() succeeded on a corrupt log");
}

function commandsOf(recovered: { log: { entries: Parameters<typeof plainEntries>[0] } }): unknown[] {
  return plainEntries(recovered.log.entries)
    .filter((e) => (e as unknown[])[2] === "command")
    .map((e) => (e as unknown[])[3]);
}

describe("FileLogStore recovery", () => {
  it("FileLogStore.open() discards a torn tail record, for every byte offset inside the last record", () => {
    const dir = freshDir();
    const [, before, after] = writeBatches(dir, [["a", "b"], ["c"], ["the last record, cut at every byte"]]);
    const file = segmentFiles(dir)[0];
    const original = fs.readFileSync(file);
    for (let cut = before; cut < after; cut++) {
      fs.writeFileSync(file, original.subarray(0, cut));
      const recovered = openCapturing(dir);
      expect(commandsOf(recovered)).toEqual(["a", "b", "c"]);
      if (cut === before) {
        expect(recovered.report.tornTail).toBeNull(); // Cut exactly between records: nothing torn.
        continue;
      }
      expect(recovered.report.tornTail).toEqual({ file, offset: before, droppedBytes: cut - before });
      expect(recovered.lines.join("\n")).toContain(`cut a torn write off ${file} at byte ${before}`);
    }
  });

  it("FileLogStore.open() cuts a zero-filled or garbage tail and keeps working afterwards", () => {
    const dir = freshDir();
    const [end] = writeBatches(dir, [["a", "b"]]);
    const file = segmentFiles(dir)[0];
    for (const tail of [new Uint8Array(4096), new Uint8Array(777).map((_, i) => (i * 97 + 13) & 0xff)]) {
      const size = fs.statSync(file).size;
      fs.appendFileSync(file, tail);
      const recovered = openCapturing(dir);
      expect(recovered.report.tornTail).toEqual({ file, offset: size, droppedBytes: tail.length });
      expect(commandsOf(recovered)).toEqual(["a", "b"]);
    }
    const { store, recovered } = FileLogStore.open(dir, { log: () => {} });
    store.append(commands(recovered.log.lastPosition, "c"));
    store.sync();
    store.close();
    const again = openCapturing(dir);
    expect(again.report.tornTail).toBeNull();
    expect(commandsOf(again)).toEqual(["a", "b", "c"]);
    expect(end).toBeGreaterThan(0);
  });

  it("FileLogStore.open() removes a new segment torn before its first record", () => {
    const dir = freshDir();
    writeBatches(dir, [["a"]]);
    const torn = path.join(dir, segmentName(2));
    fs.writeFileSync(torn, new Uint8Array([0x52, 0x42, 0x4c]));
    const recovered = openCapturing(dir);
    expect(fs.existsSync(torn)).toBe(false);
    expect(recovered.report.tornTail).toEqual({ file: torn, offset: 0, droppedBytes: 3 });
    expect(recovered.lines.join("\n")).toContain(`removed ${torn}`);
    expect(commandsOf(recovered)).toEqual(["a"]);
  });

  it("FileLogStore.open() refuses a flipped bit inside an earlier record, naming the file and offset", () => {
    const dir = freshDir();
    const [start, end] = writeBatches(dir, [["a"], ["the damaged record"], ["c"]]);
    const file = segmentFiles(dir)[0];
    const original = fs.readFileSync(file);
    for (let at = start; at < end; at++) {
      const damaged = Uint8Array.from(original);
      damaged[at] ^= 1 << (at % 8);
      fs.writeFileSync(file, damaged);
      const error = openError(dir);
      expect(error.code).toBe("corrupt");
      expect(error.file).toBe(file);
      expect(error.offset).toBe(start);
      expect(error.message).toContain(`${file} is corrupt at byte ${start}`);
      expect(error.message).toContain("repair");
    }
  });

  it("FileLogStore.open({ repair: true }) truncates at a corrupt record and says what it dropped", () => {
    const dir = freshDir();
    const [start, , , end] = writeBatches(dir, [["a"], ["bad"], ["c"], ["d"]]);
    const file = segmentFiles(dir)[0];
    const damaged = Uint8Array.from(fs.readFileSync(file));
    damaged[start + 12] ^= 0x40;
    fs.writeFileSync(file, damaged);
    const recovered = openCapturing(dir, { repair: true });
    expect(recovered.report.repaired).toEqual({
      file,
      offset: start,
      reason: expect.stringContaining("checksum") as unknown as string,
      droppedBytes: end - start,
      droppedFiles: [],
    });
    expect(recovered.lines.join("\n")).toContain(`REPAIR truncated the log at ${file} byte ${start}`);
    expect(commandsOf(recovered)).toEqual(["a"]);
    expect(openCapturing(dir).report.repaired).toBeNull(); // The repaired log opens normally.
  });

  it("FileLogStore.open() refuses damage at the end of a segment that is not the last; repair drops later segments", () => {
    const dir = freshDir();
    const batches = Array.from({ length: 12 }, (_, i) => [`entry-${i}`.padEnd(40, ".")]);
    writeBatches(dir, batches, { segmentBytes: 200 });
    const files = segmentFiles(dir);
    expect(files.length).toBeGreaterThan(2);
    const size = fs.statSync(files[1]).size;
    fs.truncateSync(files[1], size - 3);
    const error = openError(dir);
    expect(error.file).toBe(files[1]);
    expect(error.message).toContain("not the last");
    const recovered = openCapturing(dir, { repair: true, segmentBytes: 200 });
    expect(recovered.report.repaired?.droppedFiles).toEqual(files.slice(2));
    expect(segmentFiles(dir)).toEqual(files.slice(0, 2));
  });

  it("FileLogStore.open() refuses a missing middle segment", () => {
    const dir = freshDir();
    writeBatches(
      dir,
      Array.from({ length: 12 }, (_, i) => [`entry-${i}`.padEnd(40, ".")]),
      { segmentBytes: 200 },
    );
    const files = segmentFiles(dir);
    fs.rmSync(files[1]);
    const error = openError(dir);
    expect(error.code).toBe("corrupt");
    expect(error.file).toBe(files[2]);
    expect(error.message).toContain(`${files[1]}) is missing`);
  });

  it("FileLogStore.open() refuses a record whose checksum holds but whose index is impossible, even at the very end", () => {
    const dir = freshDir();
    const [end] = writeBatches(dir, [["a", "b"]]);
    const writer = new RecordWriter(1024);
    writer.entry(1, 99, LogEntry.command("leaves a gap"));
    fs.appendFileSync(segmentFiles(dir)[0], writer.bytes());
    const error = openError(dir);
    expect(error.code).toBe("corrupt");
    expect(error.offset).toBe(end);
    expect(error.message).toContain("entry 99 leaves a gap after 3");
  });

  it("FileLogStore.open() refuses a segment written by an unknown format version", () => {
    const dir = freshDir();
    writeBatches(dir, [["a"]]);
    const file = segmentFiles(dir)[0];
    const bytes = Uint8Array.from(fs.readFileSync(file));
    bytes[4] = 2;
    new DataView(bytes.buffer).setUint32(16, crc32(bytes, 0, 16), true);
    fs.writeFileSync(file, bytes);
    const error = openError(dir);
    expect(error.code).toBe("unsupported_version");
    expect(error.message).toContain("format version 2");
  });

  it("FileLogStore.open() reports a directory it cannot create as a StorageError", () => {
    const dir = freshDir();
    const blocker = path.join(dir, "not-a-directory");
    fs.writeFileSync(blocker, "x");
    const error = openError(path.join(blocker, "log"));
    expect(error.code).toBe("write_failed");
    expect(error.message).toContain(`create the log directory ${path.join(blocker, "log")}`);
  });

  it("FileLogStore.open() refuses a first segment whose header is damaged when records follow it", () => {
    const dir = freshDir();
    writeBatches(dir, [["a"]]);
    const file = segmentFiles(dir)[0];
    const bytes = Uint8Array.from(fs.readFileSync(file));
    bytes[9] ^= 1;
    fs.writeFileSync(file, bytes);
    expect(openError(dir).offset).toBe(0);
    expect(openError(dir, { repair: true }).message).toContain("repair would leave no usable segment");
  });
});
