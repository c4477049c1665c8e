// The core's JSR package: `deno publish --dry-run` (offline) type-checks it, finds no slow types in
// its public API and lists exactly its TypeScript sources, README, LICENSE and deno.json.
import { describe, expect } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { runProcess } from "../../scripts/pack/run_process.ts";
import { REPO_ROOT } from "../helpers/process_cluster.ts";
import { slowIt } from "../helpers/slow_test.ts";

const CORE_DIR = join(REPO_ROOT, "packages", "core");

/** The package-relative paths `deno publish --dry-run` says it would publish. */
function publishedFiles(output: string): string[] {
  const prefix = `file://${CORE_DIR}/`;
  return output
    .split("\n")
    .map((line) => line.trim().split(" ")[0])
    .filter((word) => word.startsWith(prefix))
    .map((word) => word.slice(prefix.length))
    .sort();
}

describe("the core's JSR package", () => {
  slowIt(
    "deno publish --dry-run accepts @raftbare-ts/core and would publish its sources only",
    async () => {
      const deno = join(REPO_ROOT, "node_modules", ".bin", "deno");
      const run = await runProcess(deno, ["publish", "--dry-run", "--allow-dirty"], {
        cwd: CORE_DIR,
        timeoutMs: 120_000,
        env: { NO_COLOR: "1" },
      });
      const output = `${run.stdout}\n${run.stderr}`;
      expect({ status: run.status, problems: output.match(/^\s*(error|warning)\b.*$/gm) }).toEqual({
        status: 0,
        problems: null,
      });
      expect(output).toContain("Simulating publish of @raftbare-ts/core@0.1.0");
      expect(output).toContain("Dry run complete");
      const sources = readdirSync(join(CORE_DIR, "src"))
        .filter((name) => name.endsWith(".ts"))
        .map((name) => `src/${name}`);
      expect(publishedFiles(output)).toEqual(["LICENSE", "README.md", "deno.json", ...sources].sort());
    },
    { timeoutMs: 150_000 },
  );
});
