import { afterEach, describe, expect, it } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { ClusterConfig, LogPosition, NodeId } from "../../packages/core/src/mod.ts";
import { encodeCommand, KvStateMachine } from "../../src/kv/mod.ts";
import { restoreBackup } from "../../src/server/restore_backup.ts";
import { encodeSnapshotFile, openFileStorage } from "../../src/storage/mod.ts";
import { removeDir, tempDir } from "../storage/storage_helpers.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});
function fresh(): string {
  const dir = tempDir("restore");
  dirs.push(dir);
  return dir;
}

const OLD_CONFIG = new ClusterConfig({
  voters: ["a", "b", "c"].map((id) => NodeId.of(id)),
  addresses: { a: "http://10.0.0.1:7001", b: "http://10.0.0.2:7001", c: "http://10.0.0.3:7001" },
});
const SELF = { id: "r1", url: "http://127.0.0.1:7101" };

/** A backup file of a key-value state with `keys` keys written at indexes 1..keys, in term 4. */
function backupFile(dir: string, keys: number, indexOffset = 0): { file: string; bytes: Uint8Array } {
  const machine = new KvStateMachine();
  for (let i = 1; i <= keys; i++) {
    const encoded = encodeCommand({ op: "put", key: `k${i}`, value: `v${i}` });
    if (!encoded.ok) throw new Error(encoded.message);
    machine.apply(i, encoded.payload);
  }
  const position = LogPosition.of(4, keys + indexOffset);
  const bytes = encodeSnapshotFile({ position, config: OLD_CONFIG }, machine.snapshot());
  const file = path.join(dir, "backup.snap");
  fs.writeFileSync(file, bytes);
  return { file, bytes };
}

describe("restoreBackup()", () => {
  it("writes the backup's state at its position as a new cluster whose only member is the restored node", () => {
    const { file } = backupFile(fresh(), 25);
    const dataDir = path.join(fresh(), "new-node");
    const result = restoreBackup({ backup: file, self: SELF, dataDir });
    expect(result).toMatchObject({ ok: true, keys: 25, position: { index: 25, term: 4 } });
    if (!result.ok) return;
    expect(result.oldMembers).toContain("a=http://10.0.0.1:7001");
    const opened = openFileStorage(dataDir);
    try {
      expect(opened.recovered.hardState).toEqual({ term: 4 as never, votedFor: null });
      expect<unknown>(opened.recovered.snapshot.position).toEqual({ term: 4, index: 25 });
      expect<number>(opened.recovered.log.lastPosition.index).toBe(25);
      const config = opened.recovered.snapshot.config;
      expect(config.voters).toEqual([NodeId.of("r1")]);
      expect(config.uniqueNodes()).toEqual([NodeId.of("r1")]);
      expect(config.addressOf(NodeId.of("r1"))).toBe(SELF.url);
      const machine = KvStateMachine.restore(opened.snapshot?.data ?? new Uint8Array());
      if (!(machine instanceof KvStateMachine)) throw new Error(machine.error);
      expect(machine.appliedIndex).toBe(25);
      expect(machine.get("k17")?.value).toBe("v17");
    } finally {
      opened.log.close();
    }
  });

  it("refuses a data directory that holds anything, and writes nothing there", () => {
    const { file } = backupFile(fresh(), 3);
    const dataDir = fresh();
    fs.writeFileSync(path.join(dataDir, "segment-00000000000000000001.log"), "x");
    const result = restoreBackup({ backup: file, self: SELF, dataDir });
    expect(result).toMatchObject({ ok: false, reason: "refused" });
    if (result.ok) return;
    expect(result.message).toContain(`the data directory ${dataDir} already holds 1 entry (segment-`);
    expect(fs.readdirSync(dataDir)).toEqual(["segment-00000000000000000001.log"]);
  });

  it("refuses a truncated, a bit-flipped or an inconsistent backup with a message naming it, and writes nothing", () => {
    const dir = fresh();
    const { file, bytes } = backupFile(dir, 10);
    const dataDir = path.join(fresh(), "d");
    const cases: Array<[Uint8Array, RegExp]> = [
      [bytes.subarray(0, bytes.length - 7), /the checksum does not match .*incomplete or damaged/],
      [bytes.subarray(0, 20), /too short/],
      [new TextEncoder().encode("<html>not found</html>".repeat(3)), /not a snapshot/],
    ];
    const flipped = bytes.slice();
    flipped[60] ^= 1;
    cases.push([flipped, /the checksum does not match/]);
    for (const [content, why] of cases) {
      fs.writeFileSync(file, content);
      const result = restoreBackup({ backup: file, self: SELF, dataDir });
      expect(result).toMatchObject({ ok: false, reason: "bad_backup" });
      if (result.ok) continue;
      expect(result.message).toContain(`the backup ${file} is corrupt`);
      expect(result.message).toMatch(why);
    }
    const skewed = backupFile(dir, 10, 5).file;
    const result = restoreBackup({ backup: skewed, self: SELF, dataDir });
    expect(result).toMatchObject({ ok: false, reason: "bad_backup" });
    if (!result.ok) expect(result.message).toContain("its key-value state is at index 10, its snapshot at");
    expect(fs.existsSync(dataDir)).toBe(false);
  });
});
