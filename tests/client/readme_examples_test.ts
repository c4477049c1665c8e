/**
 * The READMEs show the client's examples verbatim: every `client-example` block equals its file
 * under client/examples/, the top README shows all of them and the commands that run them.
 */
import { describe, expect, it } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../helpers/process_cluster.ts";
import { clientCommands, exampleBlocks, repoText } from "./readme_blocks.ts";

describe("the client's README examples", () => {
  const files = readdirSync(join(REPO_ROOT, "client", "examples")).sort();

  it("shows every example file in README.md, verbatim", () => {
    const blocks = exampleBlocks(repoText("README.md"));
    expect(blocks.map((b) => b.file).sort()).toEqual(files);
    for (const block of blocks) expect(block.code).toBe(repoText(`client/examples/${block.file}`));
  });

  it("shows examples in client/README.md verbatim too", () => {
    const blocks = exampleBlocks(repoText("client/README.md"));
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) expect(block.code).toBe(repoText(`client/examples/${block.file}`));
  });

  it("has one command for every example (tests/client/runtimes_test.ts runs them)", () => {
    const commands = clientCommands();
    expect(commands[0]).toBe('export RAFT_TOKEN="$(cat data/admin-token)"');
    for (const file of files) {
      expect(commands.filter((c) => c.includes(`client/examples/${file}`)).length).toBe(1);
    }
  });
});
