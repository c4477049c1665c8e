import { describe, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { nodeSpecs, REPO_ROOT, tokenFiles } from "../../scripts/local_cluster/layout.ts";
import { restartCommand, shellQuote, spawnCommand } from "../../scripts/local_cluster/node_commands.ts";
import { parseCommandLine } from "../../scripts/local_cluster/options.ts";

describe("parseCommandLine()", () => {
  it("parseCommandLine() fills in the defaults", () => {
    expect(parseCommandLine([])).toEqual({
      kind: "run",
      options: { nodes: 3, basePort: 7001, dataDir: resolve("data"), runtime: "bun" },
    });
  });

  it("parseCommandLine() reads every flag, in both --name value and --name=value forms", () => {
    const line = parseCommandLine(["--nodes=5", "--base-port", "8001", "--data-dir", "/srv/raft", "--runtime=deno"]);
    expect(line).toEqual({ kind: "run", options: { nodes: 5, basePort: 8001, dataDir: "/srv/raft", runtime: "deno" } });
  });

  it("parseCommandLine() answers help for --help and -h, whatever else is given", () => {
    expect(parseCommandLine(["--help"])).toEqual({ kind: "help" });
    expect(parseCommandLine(["--nodes", "2", "-h"])).toEqual({ kind: "help" });
  });

  it("parseCommandLine() rejects unknown flags, positionals, missing and bad values, naming what is wrong", () => {
    const cases: Array<[string[], string]> = [
      [["--bogus"], "--bogus"],
      [["stray"], "stray"],
      [["--nodes"], "--nodes"],
      [["--nodes", "0"], "--nodes"],
      [["--nodes", "10"], "--nodes"],
      [["--nodes", "2.5"], "--nodes"],
      [["--base-port", "80"], "--base-port"],
      [["--base-port", "65535", "--nodes", "3"], "--base-port"],
      [["--base-port", "0x1f41"], "--base-port"],
      [["--runtime", "node"], "--runtime"],
      [["--data-dir", ""], "--data-dir"],
    ];
    for (const [argv, named] of cases) {
      const line = parseCommandLine(argv);
      expect({ argv, kind: line.kind }).toEqual({ argv, kind: "invalid" });
      if (line.kind === "invalid") expect(line.message).toContain(named);
    }
  });
});

describe("the node commands of the local cluster", () => {
  const options = { nodes: 3, basePort: 7001, dataDir: join(REPO_ROOT, "data"), runtime: "bun" as const };
  const tokens = tokenFiles(join(REPO_ROOT, "data"));
  const n2 = nodeSpecs(options)[1];
  const FILES =
    "--cluster-token-file data/cluster-token --admin-token-file data/admin-token --read-token-file data/read-token";

  it("restartCommand() is the command the README shows, relative to the repository root", () => {
    const bun = restartCommand("bun", n2, tokens);
    expect(bun).toBe(`npx bun src/main.ts --id n2 --listen 127.0.0.1:7002 --data-dir data/n2 ${FILES}`);
    expect(readFileSync(join(REPO_ROOT, "README.md"), "utf8")).toContain(`\n${bun}\n`);
    expect(restartCommand("deno", n2, tokens)).toBe(
      `npx deno run --allow-all src/main.ts --id n2 --listen 127.0.0.1:7002 --data-dir data/n2 ${FILES}`,
    );
  });

  it("restartCommand() quotes a data directory outside the repository that needs quoting", () => {
    const odd = nodeSpecs({ ...options, dataDir: "/tmp/it's here" })[0];
    const q = "'/tmp/it'\\''s here";
    expect(restartCommand("bun", odd, tokenFiles("/tmp/it's here"))).toBe(
      `npx bun src/main.ts --id n1 --listen 127.0.0.1:7001 --data-dir ${q}/n1' --cluster-token-file ${q}/cluster-token' --admin-token-file ${q}/admin-token' --read-token-file ${q}/read-token'`,
    );
    expect(shellQuote("plain/path-1.2")).toBe("plain/path-1.2");
  });

  it("spawnCommand() passes --exit-with-parent true and the token files, never a token", () => {
    const command = spawnCommand("bun", n2, tokens);
    expect(command.args.join(" ")).toBe(
      `src/main.ts --id n2 --listen 127.0.0.1:7002 --data-dir ${n2.dataDir} --cluster-token-file ${tokens.cluster} --admin-token-file ${tokens.admin} --read-token-file ${tokens.read} --exit-with-parent true`,
    );
    expect(command.args.some((a) => a.startsWith("--") && a.endsWith("-token"))).toBe(false);
  });
});
