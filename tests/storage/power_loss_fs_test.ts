import { afterEach, describe, expect, it } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { LogPosition, Term } from "../../packages/core/src/mod.ts";
import {
  FileLogStore,
  FileSnapshotStore,
  type FileSystem,
  nodeFileSystem,
  powerLossFileSystem,
} from "../../src/storage/mod.ts";
import { captureLog, commands, config, newTerm, plainEntries, removeDir, tempDir } from "./storage_helpers.ts";

const dirs: string[] = [];
function freshDir(): string {
  const dir = tempDir("powerloss");
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const bytesOf = (s: string) => new TextEncoder().encode(s);

/** Thrown by {@link dyingAtFlush} to stand for the process dying (kill -9) at a flush. */
class Died extends Error {}

/** `fsys`, except that once `arm()` was called the next flush (fdatasync or fsync) "kills the process" instead. */
function dyingAtFlush(fsys: FileSystem): FileSystem & { arm(): void } {
  let armed = false;
  const die = () => {
    if (armed) throw new Died("killed at a flush");
  };
  return {
    ...fsys,
    arm: () => {
      armed = true;
    },
    fdatasync: (fd) => {
      die();
      fsys.fdatasync(fd);
    },
    fsync: (fd) => {
      die();
      fsys.fsync(fd);
    },
  };
}

/** A fatal handler that lets the "kill" through. */
function rethrowCause(_message: string, cause: unknown): never {
  throw cause;
}

/** The command payloads a plain (fault-free) open of `dir` recovers, and its report. */
function recoverPlain(dir: string) {
  const capture = captureLog();
  const { store, recovered } = FileLogStore.open(dir, { log: capture.log });
  store.close();
  const data = plainEntries(recovered.log.entries)
    .filter((e) => (e as unknown[])[2] === "command")
    .map((e) => (e as unknown[])[3]);
  return { data, report: recovered.report, lines: capture.lines };
}

describe("powerLossFileSystem", () => {
  it("powerLossFileSystem keeps unflushed writes in memory: the disk holds only what was flushed", () => {
    const file = path.join(freshDir(), "f");
    const lossy = powerLossFileSystem(nodeFileSystem);
    const fd = lossy.open(file, "wx");
    lossy.write(fd, bytesOf("flushed "));
    lossy.fdatasync(fd);
    lossy.write(fd, bytesOf("pending"));
    expect(fs.readFileSync(file, "utf8")).toBe("flushed "); // What a kill -9 now would leave.
    expect(lossy.size(fd)).toBe(15); // The process itself sees its writes.
    expect(text(lossy.readFile(file))).toBe("flushed pending");
    const reader = lossy.open(file, "r");
    const into = new Uint8Array(10);
    expect(lossy.read(reader, into, 10, 4)).toBe(10);
    expect(text(into)).toBe("hed pendin");
    lossy.close(reader);
    lossy.close(fd);
    expect(fs.readFileSync(file, "utf8")).toBe("flushed "); // Closing does not flush.
    const again = lossy.open(file, "a");
    lossy.fsync(again);
    lossy.close(again);
    expect(fs.readFileSync(file, "utf8")).toBe("flushed pending");
  });

  it("powerLossFileSystem with torn on leaves a prefix of the unflushed bytes on disk, cut inside the last write", () => {
    const file = path.join(freshDir(), "f");
    const lossy = powerLossFileSystem(nodeFileSystem, { torn: () => true });
    const fd = lossy.open(file, "wx");
    lossy.write(fd, bytesOf("synced|"));
    lossy.fdatasync(fd);
    lossy.write(fd, bytesOf("first|"));
    lossy.write(fd, bytesOf("lastwrite"));
    const disk = fs.readFileSync(file, "utf8");
    expect(disk).toBe("synced|first|last"); // Everything before the last write, and half of it.
    expect(text(lossy.readFile(file))).toBe("synced|first|lastwrite");
    lossy.fdatasync(fd);
    expect(fs.readFileSync(file, "utf8")).toBe("synced|first|lastwrite");
    lossy.close(fd);
  });

  it("powerLossFileSystem ftruncate shortens the unflushed part and the disk alike", () => {
    const file = path.join(freshDir(), "f");
    const lossy = powerLossFileSystem(nodeFileSystem, { torn: () => true });
    const fd = lossy.open(file, "wx");
    lossy.write(fd, bytesOf("0123"));
    lossy.fdatasync(fd);
    lossy.write(fd, bytesOf("456789"));
    expect(fs.readFileSync(file, "utf8")).toBe("0123456");
    lossy.ftruncate(fd, 5);
    expect(lossy.size(fd)).toBe(5);
    expect(fs.readFileSync(file, "utf8")).toBe("01234");
    lossy.ftruncate(fd, 2);
    expect(lossy.size(fd)).toBe(2);
    expect(fs.readFileSync(file, "utf8")).toBe("01");
    lossy.close(fd);
  });

  it("FileLogStore on powerLossFileSystem: a kill between the write and its fdatasync loses that batch only", () => {
    const dir = freshDir();
    const fsys = dyingAtFlush(powerLossFileSystem(nodeFileSystem));
    const { store } = FileLogStore.open(dir, { fs: fsys, log: () => {}, onFatal: rethrowCause });
    store.saveHardState({ term: Term.of(1), votedFor: null });
    store.append(newTerm(LogPosition.ZERO, 1, "a"));
    const acked = store.sync();
    store.append(commands(acked, "b"));
    fsys.arm();
    expect(() => store.sync()).toThrow(Died);
    const after = recoverPlain(dir);
    expect(after.data).toEqual(["a"]);
    expect(after.report.tornTail).toBeNull(); // Nothing of "b" reached the disk.
  });

  it("FileLogStore on powerLossFileSystem with torn on: the kill leaves a torn tail that the next open cuts off", () => {
    const dir = freshDir();
    let torn = false;
    const fsys = dyingAtFlush(powerLossFileSystem(nodeFileSystem, { torn: () => torn }));
    const { store } = FileLogStore.open(dir, { fs: fsys, log: () => {}, onFatal: rethrowCause });
    store.saveHardState({ term: Term.of(1), votedFor: null });
    store.append(newTerm(LogPosition.ZERO, 1, "a"));
    const acked = store.sync();
    torn = true;
    store.append(commands(acked, "b".repeat(100)));
    fsys.arm();
    expect(() => store.sync()).toThrow(Died);
    const after = recoverPlain(dir);
    expect(after.data).toEqual(["a"]);
    expect(after.report.tornTail).not.toBeNull();
    expect(after.lines.join("\n")).toContain("cut a torn write");
  });

  it("FileSnapshotStore on powerLossFileSystem: a saved snapshot is on disk (it is fsynced before the rename)", () => {
    const dir = freshDir();
    const lossy = powerLossFileSystem(nodeFileSystem);
    const store = FileSnapshotStore.open(dir, { fs: lossy });
    const meta = { position: LogPosition.of(Term.of(1), 5), config: config("n1") };
    store.save(meta, bytesOf("state"));
    const plain = FileSnapshotStore.open(dir);
    const latest = plain.latest();
    expect(latest?.meta.position).toEqual(meta.position);
    expect(text(latest?.data ?? new Uint8Array())).toBe("state");
  });
});
