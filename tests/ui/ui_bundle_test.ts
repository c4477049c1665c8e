/**
 * The committed dashboard bundle (ui/dist/app.js) is what scripts/build_ui.ts makes from ui/src
 * now: the check runs the build script on Bun (also when the tests run on Deno) and compares.
 */
import { describe, expect } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../helpers/process_cluster.ts";
import { slowIt } from "../helpers/slow_test.ts";

const BUN = join(REPO_ROOT, "node_modules", ".bin", "bun");
const BUNDLE = join(REPO_ROOT, "ui", "dist", "app.js");
const TEST_TIMEOUT_MS = 60_000;

/** Runs `bun scripts/build_ui.ts ...args` from the repository root. */
function buildUi(...args: string[]): { code: number | null; out: string } {
  const run = spawnSync(BUN, ["scripts/build_ui.ts", ...args], { cwd: REPO_ROOT, encoding: "utf8", timeout: 50_000 });
  return { code: run.status, out: `${run.stdout}${run.stderr}` };
}

describe("the dashboard bundle", () => {
  slowIt(
    "ui/dist/app.js is committed as a fresh build of ui/src makes it (rebuild: npx bun scripts/build_ui.ts)",
    async () => {
      const check = buildUi("--check");
      expect({ code: check.code, out: check.out }).toEqual({ code: 0, out: expect.stringContaining("matches") });
    },
    { timeoutMs: TEST_TIMEOUT_MS },
  );

  slowIt(
    "two builds are byte for byte the same, and --check fails on a bundle that differs",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "raftbare-ui-build-"));
      try {
        const first = join(dir, "first.js");
        const second = join(dir, "second.js");
        expect(buildUi("--out", first).code).toBe(0);
        expect(buildUi("--out", second).code).toBe(0);
        const built = readFileSync(first, "utf8");
        expect(readFileSync(second, "utf8")).toBe(built);
        expect(built.startsWith("// The dashboard's code, bundled from ui/src")).toBe(true);
        expect(built).toBe(readFileSync(BUNDLE, "utf8"));

        writeFileSync(first, `${built}// edited by hand\n`);
        const stale = buildUi("--check", "--out", first);
        expect(stale.code).toBe(1);
        expect(stale.out).toContain("differs from a fresh build of ui/src");
        expect(stale.out).toContain("npx bun scripts/build_ui.ts");
        const missing = buildUi("--check", "--out", join(dir, "absent.js"));
        expect([missing.code, missing.out.includes("is missing")]).toEqual([1, true]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    { timeoutMs: TEST_TIMEOUT_MS },
  );
});
