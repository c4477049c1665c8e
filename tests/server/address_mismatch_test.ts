import { afterEach, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createNodeApp } from "../../src/node_app.ts";
import { loadConfig } from "../../src/server/config.ts";
import { runtimeServing } from "../helpers/served_node.ts";
import { waitFor } from "../helpers/wait_for.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Builds node n1 on `dataDir`, advertising `url`, with its log lines collected in `lines`. */
async function nodeAt(dataDir: string, url: string, lines: string[]) {
  const argv = ["--id", "n1", "--advertise-url", url, "--data-dir", dataDir, "--cluster-token", "cluster-token-1"];
  const loaded = loadConfig([...argv, "--insecure-no-auth", "true", "--log-format", "json"], {});
  if (!loaded.ok) throw new Error(loaded.errors.join("; "));
  const { host } = await runtimeServing();
  return createNodeApp(loaded.config, { ...host, writeLog: (line) => lines.push(line) });
}

const mismatches = (lines: readonly string[]) =>
  lines.map((l) => JSON.parse(l)).filter((l: { event?: string }) => l.event === "address_mismatch");

describe("a node whose stored configuration has it at another URL", () => {
  it("warns at start with both URLs, and says nothing when they agree", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "raftbare-address-"));
    dirs.push(dataDir);
    const first: string[] = [];
    const founded = await nodeAt(dataDir, "http://127.0.0.1:7101", first);
    founded.start();
    const booted = await founded.service.bootstrap([{ id: "n1", url: "http://127.0.0.1:7101" }]);
    expect(booted.ok).toBe(true);
    await waitFor(() => founded.service.isLeader() || undefined, { what: "n1 to lead", timeoutMs: 20_000 });
    founded.stop();
    expect(mismatches(first)).toEqual([]);

    const same: string[] = [];
    (await nodeAt(dataDir, "http://127.0.0.1:7101", same)).stop();
    expect(mismatches(same)).toEqual([]);
    expect(same.length).toBeGreaterThan(0); // It did log (its storage recovery, at least).

    const moved: string[] = [];
    (await nodeAt(dataDir, "http://127.0.0.1:7202", moved)).stop();
    const [warning, ...more] = mismatches(moved);
    expect(more).toEqual([]);
    expect(warning).toMatchObject({
      level: "warn",
      stored: "http://127.0.0.1:7101",
      advertised: "http://127.0.0.1:7202",
    });
    expect(warning.message).toContain("--advertise-url");
  });
});
