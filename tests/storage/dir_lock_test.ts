import { afterEach, describe, expect, it } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { acquireDirLock, StorageError } from "../../src/storage/mod.ts";

const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "raft-lock-"));
  dirs.push(dir);
  return dir;
}

/** The id of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["--version"], { stdio: "ignore" });
  expect(child.pid).toBeGreaterThan(0);
  return child.pid as number;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("acquireDirLock()", () => {
  it("acquireDirLock() writes our pid and release() removes the lock file", () => {
    const dir = freshDir();
    const lock = acquireDirLock(dir);
    expect(readFileSync(lock.file, "utf8").trim()).toBe(String(process.pid));
    lock.release();
    expect(existsSync(lock.file)).toBe(false);
  });

  it("acquireDirLock() refuses a directory held by another live process, naming it", () => {
    const dir = freshDir();
    writeFileSync(join(dir, "LOCK"), `${process.ppid}\n`);
    let error: unknown;
    try {
      acquireDirLock(dir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe("locked");
    expect((error as StorageError).message).toContain(String(process.ppid));
    expect(readFileSync(join(dir, "LOCK"), "utf8").trim()).toBe(String(process.ppid));
  });

  it("acquireDirLock() takes over a lock left by a process that is gone", () => {
    const dir = freshDir();
    writeFileSync(join(dir, "LOCK"), `${deadPid()}\n`);
    const lock = acquireDirLock(dir);
    expect(readFileSync(lock.file, "utf8").trim()).toBe(String(process.pid));
    lock.release();
  });

  it("release() leaves a lock file that another process took over", () => {
    const dir = freshDir();
    const lock = acquireDirLock(dir);
    writeFileSync(lock.file, `${process.ppid}\n`);
    lock.release();
    expect(readFileSync(lock.file, "utf8").trim()).toBe(String(process.ppid));
  });
});
