/** The README's "Snapshots and backup" commands: the restore and start lines parse as the commands read them. */
import { describe, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { RESTORE_KEYS, RestoreConfigSchema } from "../../schemas/restore_config.ts";
import { loadConfig, loadSettings } from "../../src/server/config.ts";
import { REPO_ROOT } from "../helpers/process_cluster.ts";

/** The lines of the README between the backup markers. */
function backupLines(): string[] {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const start = readme.indexOf("<!-- backup:start -->");
  const end = readme.indexOf("<!-- backup:end -->");
  if (start < 0 || end < start) throw new Error("the README has no backup markers");
  return readme
    .slice(start, end)
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("<!--") && !l.startsWith("```"));
}

/** The words after `marker` in `line`. */
function argsAfter(line: string, marker: string): string[] {
  return line
    .slice(line.indexOf(marker) + marker.length)
    .trim()
    .split(/\s+/);
}

describe("the README's snapshots and backup commands", () => {
  it("download from and snapshot on /v1/snapshot, restore with flags the restore command takes, and start the restored node", () => {
    const [tokenLine, post, get, restore, start] = backupLines();
    expect(tokenLine).toBe('TOKEN="$(cat data/admin-token)"');
    expect(post).toBe('curl -s -H "authorization: Bearer $TOKEN" -X POST http://127.0.0.1:7001/v1/snapshot');
    expect(get).toMatch(/^curl -s .*-o backup\.snap http:\/\/127\.0\.0\.1:7001\/v1\/snapshot$/);
    const restoreArgs = argsAfter(restore, "npm run restore --");
    const loaded = loadSettings(RestoreConfigSchema, RESTORE_KEYS, restoreArgs, {});
    expect(loaded).toEqual({
      ok: true,
      config: {
        backup: "backup.snap",
        id: "r1",
        listen: "127.0.0.1:7101",
        advertiseUrl: "http://127.0.0.1:7101",
        dataDir: "data/r1",
      },
    });
    const scripts = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")).scripts;
    expect(scripts.restore).toBe("bun src/restore.ts");
    const env = Object.fromEntries([...start.matchAll(/(RAFT_[A-Z_]+)=(\S+) /g)].map((m) => [m[1], m[2]]));
    expect(Object.keys(env).sort()).toEqual(["RAFT_ADMIN_TOKEN", "RAFT_CLUSTER_TOKEN"]);
    const node = loadConfig(argsAfter(start, "npx bun src/main.ts"), env);
    expect(node.ok).toBe(true);
    if (!node.ok || !loaded.ok) return;
    expect([node.config.id, node.config.advertiseUrl, node.config.dataDir, node.config.bootstrap]).toEqual([
      loaded.config.id,
      loaded.config.advertiseUrl,
      loaded.config.dataDir,
      undefined,
    ]);
  });
});
