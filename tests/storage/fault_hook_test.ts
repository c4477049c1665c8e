import { afterEach, describe, expect, it } from "bun:test";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  FAULT_CONTROL_FILES,
  STORAGE_FAULTS_ENV,
  type StorageFaultHook,
  storageFaultsFromEnv,
  storageFaultWarning,
} from "../../src/storage/mod.ts";
import { removeDir, tempDir } from "./storage_helpers.ts";

const dirs: string[] = [];
function freshDir(label: string): string {
  const dir = tempDir(label);
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

function hookOn(control: string): StorageFaultHook {
  const setting = storageFaultsFromEnv({ [STORAGE_FAULTS_ENV]: control }, () => {});
  if (setting.kind !== "on") throw new Error(`expected the hook on, got ${JSON.stringify(setting)}`);
  return setting.hook;
}

describe("storage fault hook", () => {
  it("storageFaultsFromEnv is off unless RAFT_TEST_STORAGE_FAULTS names an existing directory", () => {
    expect(storageFaultsFromEnv({}).kind).toBe("off");
    expect(storageFaultsFromEnv({ [STORAGE_FAULTS_ENV]: "" }).kind).toBe("off");
    const missing = path.join(freshDir("hook"), "missing");
    const invalid = storageFaultsFromEnv({ [STORAGE_FAULTS_ENV]: missing });
    expect(invalid.kind).toBe("invalid");
    expect(invalid.kind === "invalid" && invalid.message).toContain(missing);
    const hook = hookOn(freshDir("hook"));
    expect(storageFaultWarning(hook)).toContain("TEST HOOK is ON");
  });

  it("the hook's file system answers ENOSPC while <control>/full exists and loses unflushed bytes", () => {
    const control = freshDir("hook");
    const data = freshDir("hookdata");
    const { fs: fsys } = hookOn(control);
    const file = path.join(data, "f");
    const fd = fsys.open(file, "wx");
    fsys.write(fd, new TextEncoder().encode("kept"));
    fsys.fdatasync(fd);
    fsys.write(fd, new TextEncoder().encode("-unflushed"));
    expect(fs.readFileSync(file, "utf8")).toBe("kept");
    fs.writeFileSync(path.join(control, FAULT_CONTROL_FILES.full), "");
    expect(() => fsys.write(fd, new Uint8Array(1))).toThrow("ENOSPC");
    fs.rmSync(path.join(control, FAULT_CONTROL_FILES.full));
    fsys.write(fd, new TextEncoder().encode("!"));
    fsys.fdatasync(fd);
    fsys.close(fd);
    expect(fs.readFileSync(file, "utf8")).toBe("kept-unflushed!");
  });

  it("the hook's file system blocks a flush while <control>/stall exists, until another process removes it", () => {
    const control = freshDir("hook");
    const data = freshDir("hookdata");
    const { fs: fsys } = hookOn(control);
    const stall = path.join(control, FAULT_CONTROL_FILES.stall);
    const file = path.join(data, "f");
    const fd = fsys.open(file, "wx");
    fsys.write(fd, new TextEncoder().encode("x"));
    fs.writeFileSync(stall, "");
    // This thread blocks in the flush, so only another process can end the stall.
    const remover = spawn("sh", ["-c", `sleep 0.3; rm -f '${stall}'`], { stdio: "ignore" });
    fsys.fdatasync(fd);
    expect(fs.existsSync(stall)).toBe(false); // It returned only once the stall was over.
    expect(fs.readFileSync(file, "utf8")).toBe("x");
    fsys.close(fd);
    remover.unref();
  });
});
