import { describe, expect, it } from "bun:test";
import { loadConfig } from "../../src/server/config.ts";

const REQUIRED = ["--id", "n1", "--cluster-token", "s3cret-token"];

describe("loadConfig() --exit-with-parent", () => {
  it("loadConfig() defaults --exit-with-parent to false", () => {
    const loaded = loadConfig(REQUIRED, {});
    expect(loaded.ok && loaded.config.exitWithParent).toBe(false);
  });

  it("loadConfig() reads --exit-with-parent from the flag and from RAFT_EXIT_WITH_PARENT; the flag wins", () => {
    const fromFlag = loadConfig([...REQUIRED, "--exit-with-parent", "true"], {});
    const fromEnv = loadConfig(REQUIRED, { RAFT_EXIT_WITH_PARENT: "true" });
    const flagOverEnv = loadConfig([...REQUIRED, "--exit-with-parent=false"], { RAFT_EXIT_WITH_PARENT: "true" });
    expect(fromFlag.ok && fromFlag.config.exitWithParent).toBe(true);
    expect(fromEnv.ok && fromEnv.config.exitWithParent).toBe(true);
    expect(flagOverEnv.ok && flagOverEnv.config.exitWithParent).toBe(false);
  });

  it("loadConfig() rejects a value of --exit-with-parent other than true or false, naming the flag and variable", () => {
    const loaded = loadConfig([...REQUIRED, "--exit-with-parent", "yes"], {});
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.errors.join("\n")).toContain("--exit-with-parent (RAFT_EXIT_WITH_PARENT)");
  });
});
