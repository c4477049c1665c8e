import { describe, expect, it } from "bun:test";
import { type FileSystem, stalledFileSystem, waitWhileStalled } from "../../src/storage/mod.ts";

/** A stall that lasts for `looks` looks at it, then ends. */
function stallFor(looks: number): { isStalled: () => boolean; looked: () => number } {
  let n = 0;
  return { isStalled: () => n++ < looks, looked: () => n };
}

/** A file system that records the calls that reach it. */
function recording(): { fs: FileSystem; calls: string[] } {
  const calls: string[] = [];
  const no = () => {
    throw new Error("not used here");
  };
  const fs: FileSystem = {
    mkdir: no,
    readdir: no,
    open: no,
    close: no,
    read: no,
    ftruncate: no,
    size: no,
    readFile: no,
    rename: no,
    unlink: no,
    write: (_fd, bytes) => {
      calls.push("write");
      return bytes.length;
    },
    fdatasync: () => calls.push("fdatasync") && undefined,
    fsync: () => calls.push("fsync") && undefined,
    fsyncDir: () => calls.push("fsyncDir") && undefined,
    fdatasyncAsync: (_fd, done) => {
      calls.push("fdatasyncAsync");
      queueMicrotask(() => done(null));
    },
    fsyncDirAsync: (_dir, done) => {
      calls.push("fsyncDirAsync");
      queueMicrotask(() => done(null));
    },
  };
  return { fs, calls };
}

describe("stalledFileSystem", () => {
  it("waitWhileStalled returns at once when there is no stall", () => {
    const stall = stallFor(0);
    expect(waitWhileStalled(stall.isStalled, "fsync", { sliceMs: 1 })).toBe(0);
    expect(stall.looked()).toBe(1);
  });

  it("stalledFileSystem with a flush stall lets writes through at once and holds flushes", () => {
    const base = recording();
    const looks: string[] = [];
    const fsys = stalledFileSystem(
      base.fs,
      (kind) => {
        looks.push(kind);
        return kind === "flush" && looks.length < 4;
      },
      { sliceMs: 1 },
    );
    fsys.write(3, new Uint8Array(1));
    expect(base.calls).toEqual(["write"]);
    fsys.fdatasync(3);
    expect(looks).toEqual(["write", "flush", "flush", "flush"]); // Two looks found the flush stalled, the third found it over.
    expect(base.calls).toEqual(["write", "fdatasync"]);
  });

  it("stalledFileSystem holds a flush until the stall ends, then lets it through", () => {
    const base = recording();
    const stall = stallFor(4);
    const stalls: string[] = [];
    const fsys = stalledFileSystem(base.fs, stall.isStalled, { sliceMs: 1, onStall: (op) => stalls.push(op) });
    fsys.fdatasync(3);
    expect(stall.looked()).toBe(5); // Four looks found the stall, the fifth found it over.
    expect(base.calls).toEqual(["fdatasync"]);
    expect(stalls).toEqual(["fdatasync"]);
    fsys.write(3, new Uint8Array(2));
    fsys.fsync(3);
    fsys.fsyncDir("/");
    expect(base.calls).toEqual(["fdatasync", "write", "fsync", "fsyncDir"]);
  });

  it("stalledFileSystem is bounded: a stall longer than maxMs lets the call through and says so", () => {
    const base = recording();
    const gaveUp: string[] = [];
    const fsys = stalledFileSystem(base.fs, () => true, {
      maxMs: 30,
      sliceMs: 5,
      onGiveUp: (op) => gaveUp.push(op),
    });
    fsys.fsync(3);
    expect(gaveUp).toEqual(["fsync"]);
    expect(base.calls).toEqual(["fsync"]);
  });

  it("stalledFileSystem holds a flush off the event loop without blocking it, then lets it through", async () => {
    const base = recording();
    let stalled = true;
    const stalls: string[] = [];
    const fsys = stalledFileSystem(base.fs, (kind) => kind === "flush" && stalled, {
      sliceMs: 1,
      onStall: (op) => stalls.push(op),
    });
    const ended: Array<Error | null> = [];
    fsys.fdatasyncAsync(3, (error) => ended.push(error));
    expect(stalls).toEqual(["fdatasync"]);
    // The thread is free: timers run while the flush waits, and it does not reach the disk.
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setTimeout(resolve, 2));
    expect(base.calls).toEqual([]);
    expect(ended).toEqual([]);
    stalled = false;
    const deadline = Date.now() + 10_000;
    while (ended.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
    expect(ended).toEqual([null]);
    expect(base.calls).toEqual(["fdatasyncAsync"]);
  });

  it("stalledFileSystem lets a flush off the event loop through at once when there is no stall", async () => {
    const base = recording();
    const fsys = stalledFileSystem(base.fs, () => false, { sliceMs: 1 });
    const ended = await new Promise<Error | null>((resolve) => fsys.fsyncDirAsync("/", resolve));
    expect(ended).toBe(null);
    expect(base.calls).toEqual(["fsyncDirAsync"]);
  });
});
