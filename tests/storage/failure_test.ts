import { afterAll, afterEach, describe, expect, it, spyOn } from "bun:test";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { LogPosition, type LogPosition as Position, Term } from "../../packages/core/src/mod.ts";
import {
  exitProcess,
  FATAL_EXIT_CODE,
  FileLogStore,
  type FileLogStoreOptions,
  StorageError,
} from "../../src/storage/mod.ts";
import {
  captureLog,
  commands,
  FatalCalled,
  faultyFs,
  newTerm,
  plainEntries,
  removeDir,
  segmentFiles,
  tempDir,
  throwingFatal,
} from "./storage_helpers.ts";

/** Mounts a 64 KiB tmpfs (possible when running as root); returns its directory or null. */
function tryMountTmpfs(): string | null {
  const dir = tempDir("enospc");
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir], { stdio: "pipe" });
    return dir;
  } catch {
    removeDir(dir);
    return null;
  }
}

const tmpfs = tryMountTmpfs();
console.log(
  tmpfs === null
    ? "storage ENOSPC test: tmpfs mount unavailable, using an injected ENOSPC"
    : `storage ENOSPC test: using a real 64 KiB tmpfs at ${tmpfs}`,
);

const dirs: string[] = [];
function freshDir(): string {
  const dir = tempDir("failure");
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});
afterAll(() => {
  if (tmpfs === null) return;
  execFileSync("umount", [tmpfs], { stdio: "pipe" });
  removeDir(tmpfs);
});

function started(dir: string, options: FileLogStoreOptions) {
  const { store } = FileLogStore.open(dir, { log: () => {}, ...options });
  store.saveHardState({ term: Term.of(1), votedFor: null });
  store.append(newTerm(LogPosition.ZERO, 1));
  return { store, last: store.sync() };
}

function syncError(sync: () => unknown): StorageError {
  try {
    sync();
  } catch (error) {
    expect(error).toBeInstanceOf(StorageError);
    return error as StorageError;
  }
  throw new Error("sync() succeeded");
}

function reopenCommands(dir: string, options: FileLogStoreOptions = {}) {
  const capture = captureLog();
  const { store, recovered } = FileLogStore.open(dir, { log: capture.log, ...options });
  store.close();
  const data = plainEntries(recovered.log.entries).filter((e) => (e as unknown[])[2] === "command");
  return { recovered, data: data.map((e) => (e as unknown[])[3]), lines: capture.lines };
}

/** Fills the disk until sync() fails; returns the error and the last acknowledged position. */
function fillUntilFull(
  store: FileLogStore,
  last: Position,
  fail?: () => void,
): { error: StorageError; last: Position } {
  const payload = "x".repeat(1000);
  for (let i = 0; i < 10_000; i++) {
    store.append(commands(last, payload));
    if (fail !== undefined && i === 5) fail();
    try {
      last = store.sync();
    } catch (error) {
      expect(error).toBeInstanceOf(StorageError);
      return { error: error as StorageError, last };
    }
  }
  throw new Error("the disk never filled up");
}

const fullDiskName =
  tmpfs === null
    ? "FileLogStore.sync() on a full disk (injected ENOSPC; no tmpfs mount here) reports no_space, acknowledges nothing, and reopens at the last durable state"
    : "FileLogStore.sync() on a full disk (a real 64 KiB tmpfs) reports no_space, acknowledges nothing, and reopens at the last durable state";

describe("FileLogStore failures", () => {
  it(fullDiskName, () => {
    const fsys = faultyFs();
    const root = tmpfs ?? freshDir();
    const filler = path.join(root, "filler");
    fs.writeFileSync(filler, new Uint8Array(8192));
    const dir = path.join(root, "log");
    const { store, last: first } = started(dir, { fs: fsys });
    const { error, last } = fillUntilFull(store, first, tmpfs === null ? () => fsys.failWrites("ENOSPC") : undefined);
    expect(error.code).toBe("no_space");
    expect(error.message).toContain("full");
    expect(store.durablePosition).toEqual(last);
    expect(store.hasPending).toBe(false);
    const file = segmentFiles(dir)[0];
    const durableSize = fs.statSync(file).size;
    store.append(commands(last, "y".repeat(4000)));
    expect(syncError(() => store.sync()).code).toBe("no_space"); // Still full, still refused, still usable.
    expect(fs.statSync(file).size).toBe(durableSize); // The partial write was rolled back.
    fs.rmSync(filler);
    fsys.failWrites(null);
    store.append(commands(last, "after space was freed"));
    const after = store.sync();
    expect<unknown>(after.index).toBe(last.index + 1);
    store.close();
    const reopened = reopenCommands(dir);
    expect(reopened.recovered.report.tornTail).toBeNull();
    expect(reopened.recovered.log.lastPosition).toEqual(after);
    expect(reopened.data[reopened.data.length - 1]).toBe("after space was freed");
    removeDir(dir);
  });

  it("FileLogStore.sync() rolls back a short write that ends in ENOSPC or EIO", () => {
    const dir = freshDir();
    const fsys = faultyFs();
    const { store, last } = started(dir, { fs: fsys });
    store.append(commands(last, "durable"));
    const durable = store.sync();
    for (const [code, expected] of [
      ["ENOSPC", "no_space"],
      ["EDQUOT", "no_space"],
      ["EIO", "write_failed"],
    ] as const) {
      store.append(commands(durable, "never acknowledged"));
      fsys.failNextWrite(code, 10);
      const error = syncError(() => store.sync());
      expect(error.code).toBe(expected);
      expect(error.file).toBe(segmentFiles(dir)[0]);
      expect(store.durablePosition).toEqual(durable);
    }
    store.close();
    const reopened = reopenCommands(dir);
    expect(reopened.recovered.report.tornTail).toBeNull();
    expect(reopened.data).toEqual(["durable"]);
  });

  it("FileLogStore becomes unusable when it cannot roll back a failed write; reopening cuts the partial record", () => {
    const dir = freshDir();
    const fsys = faultyFs();
    const { store, last } = started(dir, { fs: fsys });
    store.append(commands(last, "never acknowledged"));
    fsys.failNextWrite("EIO", 10);
    fsys.failNextTruncate();
    expect(syncError(() => store.sync()).code).toBe("write_failed");
    const unusable = syncError(() => store.append(commands(last, "more")));
    expect(unusable.code).toBe("unusable");
    store.close();
    const reopened = reopenCommands(dir);
    expect(reopened.recovered.report.tornTail?.droppedBytes).toBe(10);
    expect(reopened.recovered.log.lastPosition).toEqual(last);
  });

  it("FileLogStore removes a new segment whose first write fails, and rotates again later", () => {
    const dir = freshDir();
    const fsys = faultyFs();
    const { store, last } = started(dir, { fs: fsys, segmentBytes: 1 }); // Every sync starts a segment.
    const before = segmentFiles(dir);
    store.append(commands(last, "goes to a new segment"));
    fsys.failNextWrite("ENOSPC");
    expect(syncError(() => store.sync()).code).toBe("no_space");
    expect(segmentFiles(dir)).toEqual(before);
    store.append(commands(last, "second try"));
    store.sync();
    expect(segmentFiles(dir).length).toBe(before.length + 1);
    store.close();
    expect(reopenCommands(dir).data).toEqual(["second try"]);
  });

  it("FileLogStore fails stop when fdatasync fails, and refuses every later call", () => {
    const dir = freshDir();
    const fsys = faultyFs();
    const { store, last } = started(dir, { fs: fsys, onFatal: throwingFatal });
    store.append(commands(last, "unknown fate"));
    fsys.failNextFlush();
    let fatal: FatalCalled | undefined;
    try {
      store.sync();
    } catch (error) {
      fatal = error as FatalCalled;
    }
    expect(fatal).toBeInstanceOf(FatalCalled);
    expect(fatal?.fatalMessage).toContain(`fdatasync of the log segment ${segmentFiles(dir)[0]} failed`);
    expect(syncError(() => store.sync()).code).toBe("unusable");
    expect(() => store.append(commands(last, "x"))).toThrow(StorageError);
    store.close();
  });

  it("exitProcess() prints a clear FATAL message and exits with status 70", () => {
    const exit = spyOn(process, "exit").mockImplementation(((code?: number) => {
      throw new Error(`exit ${code}`);
    }) as typeof process.exit);
    const printed = spyOn(console, "error").mockImplementation(() => {});
    try {
      expect(() => exitProcess("fdatasync of the log segment /x failed", new Error("EIO: i/o error"))).toThrow(
        "exit 70",
      );
      expect(exit).toHaveBeenCalledWith(FATAL_EXIT_CODE);
      const message = String(printed.mock.calls[0][0]);
      expect(message).toContain("FATAL: fdatasync of the log segment /x failed (EIO: i/o error)");
      expect(message).toContain("restart the node");
    } finally {
      exit.mockRestore();
      printed.mockRestore();
    }
  });
});
