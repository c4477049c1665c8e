import { describe, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseBenchArgs } from "../../scripts/bench/options.ts";
import { REPO_ROOT } from "../helpers/process_cluster.ts";

const NOW = new Date("2026-12-04T10:20:30.456Z");

describe("parseBenchArgs()", () => {
  it("parseBenchArgs() fills in the defaults, the result file named after the start time", () => {
    expect(parseBenchArgs([], NOW)).toEqual({
      kind: "run",
      options: {
        runs: 3,
        runtime: "bun",
        etcd: true,
        etcdBin: "etcd",
        requests: 20_000,
        seconds: 4,
        valueBytes: 100,
        keys: 1000,
        out: ".tmp/bench_service/2026-12-04T10-20-30-456Z.json",
      },
    });
  });

  it("parseBenchArgs() reads every flag, in both --name value and --name=value forms", () => {
    const argv = ["--runs=5", "--runtime", "both", "--no-etcd", "--etcd-bin", "/opt/etcd", "--requests=500"];
    argv.push("--seconds", "0.5", "--value-bytes", "16", "--keys=10", "--out", "r.json");
    expect(parseBenchArgs(argv, NOW)).toEqual({
      kind: "run",
      options: {
        runs: 5,
        runtime: "both",
        etcd: false,
        etcdBin: "/opt/etcd",
        requests: 500,
        seconds: 0.5,
        valueBytes: 16,
        keys: 10,
        out: "r.json",
      },
    });
  });

  it("parseBenchArgs() answers help for --help and -h", () => {
    expect(parseBenchArgs(["--help"], NOW)).toEqual({ kind: "help" });
    expect(parseBenchArgs(["--runs", "2", "-h"], NOW)).toEqual({ kind: "help" });
  });

  it("parseBenchArgs() rejects unknown flags, positionals and bad values, naming the flag", () => {
    const cases: Array<[string[], string]> = [
      [["--bogus"], "--bogus"],
      [["stray"], "stray"],
      [["--runs"], "--runs"],
      [["--runs", "0"], "--runs"],
      [["--runs", "1.5"], "--runs"],
      [["--runtime", "node"], "--runtime"],
      [["--requests", "5"], "--requests"],
      [["--seconds", "0"], "--seconds"],
      [["--value-bytes", "0"], "--value-bytes"],
      [["--keys", "x"], "--keys"],
      [["--out", ""], "--out"],
    ];
    for (const [argv, named] of cases) {
      const line = parseBenchArgs(argv, NOW);
      expect({ argv, kind: line.kind }).toEqual({ argv, kind: "invalid" });
      if (line.kind === "invalid") expect(line.message).toContain(named);
    }
  });
});

describe("the README's benchmark commands", () => {
  it("every command of the README's etcd benchmark section parses, and names the runs and runtimes it describes", () => {
    const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("### The service against etcd"), readme.indexOf("## Layout"));
    const commands = section.split("\n").filter((line) => line.startsWith("npx bun scripts/bench_service.ts"));
    expect(commands.length).toBe(3);
    const runtimes = commands.map((command) => {
      const line = parseBenchArgs(command.split(" ").slice(3), NOW);
      expect({ command, kind: line.kind }).toEqual({ command, kind: "run" });
      if (line.kind !== "run") return "";
      expect(line.options.runs).toBe(3);
      expect(line.options.etcd).toBe(true);
      return line.options.runtime;
    });
    expect(runtimes).toEqual(["bun", "deno", "both"]);
  });
});
