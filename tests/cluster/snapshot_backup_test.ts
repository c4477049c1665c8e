/**
 * Snapshots and backups with real processes: a three-node cluster takes a snapshot on its leader
 * (`POST /v1/snapshot`), the snapshot is downloaded (`GET /v1/snapshot`) and restored into a new
 * single-node cluster (`src/restore.ts`), which serves every acknowledged key. Damaged backups and
 * an occupied data directory are refused by the restore command.
 */
import { afterAll, describe, expect } from "bun:test";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  SNAPSHOT_INDEX_HEADER,
  SNAPSHOT_SHA256_HEADER,
  SNAPSHOT_SIZE_HEADER,
  SNAPSHOT_TERM_HEADER,
} from "../../schemas/api_snapshot.ts";
import { bearerHeaders, describeAnswer, httpJson, useBearerToken } from "../helpers/http_json.ts";
import { ClusterNode, freePorts, ProcessCluster, REPO_ROOT } from "../helpers/process_cluster.ts";
import { waitFor } from "../helpers/wait_for.ts";
import { clusterIt, STOP_TIMEOUT_MS, startAndBootstrap } from "./cluster_scenarios.ts";

/** Keys written before the snapshot. */
const KEYS = 60;

/** The outcome of one run of the restore command. */
interface RestoreRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `bun src/restore.ts args…` from the repository root (bounded); never rejects. */
function runRestore(args: readonly string[]): Promise<RestoreRun> {
  const bin = join(REPO_ROOT, "node_modules", ".bin", "bun");
  return new Promise((resolve) => {
    execFile(bin, ["src/restore.ts", ...args], { cwd: REPO_ROOT, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

describe("snapshots and backups across processes", () => {
  const cluster = new ProcessCluster({ runtimes: ["bun", "bun", "bun"] });
  const work = mkdtempSync(join(tmpdir(), "raftbare-backup-"));
  let restored: ClusterNode | null = null;
  afterAll(async () => {
    await restored?.signal("SIGTERM");
    if (restored !== null) rmSync(restored.dataDir, { recursive: true, force: true });
    await cluster.stop();
    rmSync(work, { recursive: true, force: true });
  }, STOP_TIMEOUT_MS);

  clusterIt(
    cluster,
    "a snapshot downloaded from the leader restores into a new one-node cluster that serves every key",
    async () => {
      const leader = await startAndBootstrap(cluster);
      const acked = new Map<string, string>();
      for (let i = 0; i < KEYS; i++) {
        const put = await httpJson("PUT", `${leader.url}/v1/kv/key-${i}`, { body: { value: `value-${i}` } });
        if (put.status !== 200) throw new Error(`PUT key-${i}: ${describeAnswer(put)}`);
        acked.set(`key-${i}`, `value-${i}`);
      }
      const lastWrite = (await leader.status()).appliedIndex;

      const taken = await httpJson("POST", `${leader.url}/v1/snapshot`);
      expect(taken.status).toBe(200);
      expect(Object.keys(taken.body).sort()).toEqual(["bytes", "index", "term"]);
      expect(taken.body.index).toBeGreaterThanOrEqual(lastWrite);
      expect((await leader.status()).snapshotIndex).toBe(taken.body.index);

      const noToken = await fetch(`${leader.url}/v1/snapshot`, { signal: AbortSignal.timeout(20_000) });
      expect([noToken.status, ((await noToken.json()) as { error: { code: string } }).error.code]).toEqual([
        401,
        "unauthorized",
      ]);
      const headers = bearerHeaders(leader.url);
      const res = await fetch(`${leader.url}/v1/snapshot`, { headers, signal: AbortSignal.timeout(20_000) });
      const body = new Uint8Array(await res.arrayBuffer());
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/octet-stream");
      expect(body.length).toBe(taken.body.bytes);
      expect(res.headers.get(SNAPSHOT_SIZE_HEADER)).toBe(String(body.length));
      // Bun's server streams the body chunked; where a length is sent, it is the body's.
      expect(res.headers.get("content-length") ?? String(body.length)).toBe(String(body.length));
      expect(res.headers.get(SNAPSHOT_INDEX_HEADER)).toBe(String(taken.body.index));
      expect(res.headers.get(SNAPSHOT_TERM_HEADER)).toBe(String(taken.body.term));
      expect(res.headers.get(SNAPSHOT_SHA256_HEADER)).toBe(createHash("sha256").update(body).digest("hex"));
      const backup = join(work, "backup.snap");
      writeFileSync(backup, body);

      // Damaged copies are refused with a message naming the file; nothing is written.
      const torn = join(work, "torn.snap");
      writeFileSync(torn, body.subarray(0, body.length - 100));
      const flipped = body.slice();
      flipped[Math.floor(body.length / 2)] ^= 0x20;
      const damaged = join(work, "damaged.snap");
      writeFileSync(damaged, flipped);
      const [port] = await freePorts(1);
      const dataDir = mkdtempSync(join(tmpdir(), "raftbare-restored-"));
      const common = ["--id", "r1", "--listen", `127.0.0.1:${port}`, "--data-dir", dataDir];
      for (const file of [torn, damaged]) {
        const run = await runRestore(["--backup", file, ...common]);
        expect(run.code).toBe(1);
        expect(run.stderr).toContain(`cannot restore ${file}: the backup ${file} is corrupt at byte`);
        expect(run.stderr).toContain("the checksum does not match");
      }
      expect(readdirSync(dataDir)).toEqual([]);

      const run = await runRestore(["--backup", backup, ...common]);
      if (run.code !== 0) throw new Error(`restore failed (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
      expect(run.stdout).toContain(`${KEYS} keys at index ${taken.body.index}, term ${taken.body.term}`);
      const again = await runRestore(["--backup", backup, ...common]);
      expect(again.code).toBe(2);
      expect(again.stderr).toContain(`the data directory ${dataDir} already holds`);

      // The restored node: new tokens, its own id and URL, no --bootstrap.
      const restoredAdminToken = "a-new-admin-token-for-r1";
      const node = new ClusterNode("r1", "bun", port, dataDir);
      restored = node;
      node.spawn([
        "--id",
        "r1",
        "--listen",
        `127.0.0.1:${port}`,
        "--data-dir",
        dataDir,
        "--cluster-token",
        "a-new-cluster-token",
        "--admin-token",
        restoredAdminToken,
      ]);
      useBearerToken(node.url, restoredAdminToken);
      await node.waitLive(30_000);
      const status = await waitFor(
        async () => {
          const s = await node.status();
          return s.role === "leader" ? s : undefined;
        },
        { timeoutMs: 20_000, what: "the restored node to lead its cluster" },
      ).catch((error) => {
        console.error(node.output);
        throw error;
      });
      expect(status.members).toEqual([{ id: "r1", url: node.url, role: "voter" }]);
      expect(status.term).toBeGreaterThan(taken.body.term);
      expect(status.snapshotIndex).toBe(taken.body.index);
      for (const [key, value] of acked) {
        const read = await httpJson("GET", `${node.url}/v1/kv/${key}`);
        expect([key, read.status, read.body.value]).toEqual([key, 200, value]);
      }
      const listed = await httpJson("GET", `${node.url}/v1/kv?prefix=key-&limit=1000`);
      expect(listed.body.items.length).toBe(KEYS);
      const put = await httpJson("PUT", `${node.url}/v1/kv/after-restore`, { body: { value: "yes" } });
      expect(put.status).toBe(200);
      expect(put.body.index).toBeGreaterThan(taken.body.index);
    },
  );
});
