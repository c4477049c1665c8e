// scripts/bench_core.ts: the harness commits and checks every command, the reference's source is
// checked before it is built, and without a reference the benchmark says so and still reports.
import { describe, expect, it } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCoreMode } from "../../scripts/bench/core_cluster.ts";
import { buildReference, checkRaftbareSource } from "../../scripts/bench/core_reference.ts";
import { REPO_ROOT } from "../helpers/process_cluster.ts";
import { slowIt } from "../helpers/slow_test.ts";

function fakeCrate(manifest: string): string {
  const dir = mkdtempSync(join(tmpdir(), "bench-core-test-"));
  writeFileSync(join(dir, "Cargo.toml"), manifest);
  mkdirSync(join(dir, "src"));
  return dir;
}

describe("bench_core", () => {
  it("runCoreMode() commits every command one at a time and in batches, and reports a positive cost", () => {
    // The harness throws unless every node stored every command and the leader committed them.
    expect(runCoreMode(2_000, 1)).toBeGreaterThan(0);
    expect(runCoreMode(25_000, 1000)).toBeGreaterThan(0); // Past one compaction (every 10,000 entries).
    expect(runCoreMode(3_000, 100, { preVote: true, checkQuorum: true, maxInflightMessages: 4 })).toBeGreaterThan(0);
  });

  it("checkRaftbareSource() accepts raftbare 0.1.1 only", () => {
    const good = fakeCrate('[package]\nname = "raftbare"\nversion = "0.1.1"\n');
    const newer = fakeCrate('[package]\nname = "raftbare"\nversion = "0.4.0"\n');
    const other = fakeCrate('[package]\nname = "noraft"\nversion = "0.1.1"\n');
    try {
      expect(checkRaftbareSource(good)).toBeNull();
      expect(checkRaftbareSource(newer)).toContain("0.4.0, not 0.1.1");
      expect(checkRaftbareSource(other)).toContain("not the raftbare crate");
      expect(checkRaftbareSource(join(good, "missing"))).toContain("no Cargo.toml");
      const build = buildReference(newer);
      expect(build.ok).toBe(false);
    } finally {
      for (const dir of [good, newer, other]) rmSync(dir, { recursive: true, force: true });
    }
  });

  slowIt(
    "without a buildable reference the benchmark says why and compares with the documented figures",
    async () => {
      const script = join(REPO_ROOT, "scripts", "bench_core.ts");
      const bun = join(REPO_ROOT, "node_modules", ".bin", "bun");
      const missing = join(tmpdir(), "no-such-raftbare-checkout");
      const args = [script, "--commands", "2000", "--runs", "1", "--batch", "100", "--raftbare-src", missing];
      const run = spawnSync(bun, args, { encoding: "utf8", cwd: REPO_ROOT });
      expect(run.stderr).toBe("");
      expect(run.status).toBe(0);
      expect(run.stdout).toContain(`reference NOT built: ${missing} has no Cargo.toml`);
      expect(run.stdout).toContain("(a) one command at a time");
      expect(run.stdout).toContain("(b) batches of 100");
      expect(run.stdout).toContain("0.84 µs/command (documented, NOT measured in this run)");
      expect(run.stdout).toMatch(/ours {18}\d+\.\d{3} µs\/command .* \d+\.\d\d× raftbare; target ≤ 1\.5×/);
    },
    { timeoutMs: 120_000 },
  );
});
