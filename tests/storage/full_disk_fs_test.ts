import { afterEach, describe, expect, it } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { LogPosition, Term } from "../../packages/core/src/mod.ts";
import { FileLogStore, fullDiskFileSystem, nodeFileSystem, StorageError } from "../../src/storage/mod.ts";
import { commands, newTerm, plainEntries, removeDir, tempDir } from "./storage_helpers.ts";

const dirs: string[] = [];
function freshDir(): string {
  const dir = tempDir("fulldisk");
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

describe("fullDiskFileSystem", () => {
  it("fullDiskFileSystem throws ENOSPC as node:fs does while full, and writes again once space is back", () => {
    const file = path.join(freshDir(), "f");
    let full = false;
    const fsys = fullDiskFileSystem(nodeFileSystem, () => full);
    const fd = fsys.open(file, "wx");
    expect(fsys.write(fd, new TextEncoder().encode("ok"))).toBe(2);
    full = true;
    let thrown: unknown;
    try {
      fsys.write(fd, new TextEncoder().encode("lost"));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as { code?: string }).code).toBe("ENOSPC");
    expect((thrown as Error).message).toContain("no space left on device");
    fsys.fdatasync(fd); // Flushing what is there still works on a full disk.
    full = false;
    fsys.write(fd, new TextEncoder().encode("!"));
    fsys.close(fd);
    expect(fs.readFileSync(file, "utf8")).toBe("ok!");
  });

  it("FileLogStore on fullDiskFileSystem refuses a batch with no_space, stays usable, and keeps every acknowledged entry", () => {
    const dir = freshDir();
    let full = false;
    const { store } = FileLogStore.open(dir, { fs: fullDiskFileSystem(nodeFileSystem, () => full), log: () => {} });
    store.saveHardState({ term: Term.of(1), votedFor: null });
    store.append(newTerm(LogPosition.ZERO, 1, "a"));
    const acked = store.sync();
    full = true;
    store.append(commands(acked, "refused"));
    let error: unknown;
    try {
      store.sync();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe("no_space");
    expect(store.durablePosition).toEqual(acked);
    full = false;
    store.append(commands(acked, "b"));
    store.sync();
    store.close();
    const { store: reopened, recovered } = FileLogStore.open(dir, { log: () => {} });
    reopened.close();
    const data = plainEntries(recovered.log.entries)
      .filter((e) => (e as unknown[])[2] === "command")
      .map((e) => (e as unknown[])[3]);
    expect(data).toEqual(["a", "b"]);
    expect(recovered.report.tornTail).toBeNull();
  });
});
