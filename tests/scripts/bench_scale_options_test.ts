import { describe, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseScaleArgs, SCALE_USAGE } from "../../scripts/bench/scale_options.ts";
import { REPO_ROOT } from "../helpers/process_cluster.ts";

const NOW = new Date("2026-12-04T10:20:30.456Z");

describe("parseScaleArgs()", () => {
  it("fills in the defaults: a million keys of 100 bytes, 256 in flight, one Bun node", () => {
    expect(parseScaleArgs([], NOW)).toEqual({
      kind: "run",
      options: {
        keys: 1_000_000,
        inFlight: 256,
        valueBytes: 100,
        nodes: 1,
        maxSeconds: 900,
        runtime: "bun",
        out: ".tmp/bench_scale/2026-12-04T10-20-30-456Z.json",
      },
    });
  });

  it("reads every flag", () => {
    const argv = ["--keys=8000", "--in-flight", "16", "--value-bytes", "10", "--nodes", "3", "--max-seconds=60"];
    argv.push("--runtime", "deno", "--out", "r.json", "--keep-data", "kept");
    expect(parseScaleArgs(argv, NOW)).toEqual({
      kind: "run",
      options: {
        keys: 8000,
        inFlight: 16,
        valueBytes: 10,
        nodes: 3,
        maxSeconds: 60,
        runtime: "deno",
        out: "r.json",
        keepData: "kept",
      },
    });
  });

  it("answers help for --help and -h, and the help names every flag", () => {
    expect(parseScaleArgs(["--help"], NOW)).toEqual({ kind: "help" });
    expect(parseScaleArgs(["--keys", "5000", "-h"], NOW)).toEqual({ kind: "help" });
    for (const flag of ["--keys", "--in-flight", "--value-bytes", "--nodes", "--max-seconds", "--runtime", "--out"]) {
      expect(SCALE_USAGE).toContain(flag);
    }
    expect(SCALE_USAGE).toContain("--keep-data");
  });

  it("rejects unknown flags, positionals and bad values, naming the flag", () => {
    const cases: Array<[string[], string]> = [
      [["--bogus"], "--bogus"],
      [["stray"], "stray"],
      [["--keys", "100"], "--keys"],
      [["--in-flight", "0"], "--in-flight"],
      [["--nodes", "2"], "--nodes"],
      [["--max-seconds", "0"], "--max-seconds"],
      [["--runtime", "node"], "--runtime"],
      [["--value-bytes", "x"], "--value-bytes"],
    ];
    for (const [argv, named] of cases) {
      const line = parseScaleArgs(argv, NOW);
      expect({ argv, kind: line.kind }).toEqual({ argv, kind: "invalid" });
      if (line.kind === "invalid") expect(line.message).toContain(named);
    }
  });
});

describe("the README's scale benchmark commands", () => {
  it("every command of the README's scale section parses", () => {
    const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
    const start = readme.indexOf("### A million keys");
    expect(start).toBeGreaterThan(0);
    const section = readme.slice(start, readme.indexOf("\n## ", start));
    const commands = section.split("\n").filter((line) => line.startsWith("npx bun scripts/bench_scale.ts"));
    expect(commands.length).toBeGreaterThanOrEqual(2);
    for (const command of commands) {
      const line = parseScaleArgs(command.split(" ").slice(3), NOW);
      expect({ command, kind: line.kind }).toEqual({ command, kind: "run" });
    }
  });
});
