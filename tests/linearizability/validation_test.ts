/**
 * The checker is trusted only if it gives the expected verdict on every history of Porcupine's
 * test data (tests/data/linearizability/README.md): 102 Jepsen etcd logs and 6 multi-key kv files.
 * The bounds are in steps and states, so the verdicts do not depend on the machine's speed.
 */
import { describe, expect, it } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { appendModel } from "./append_model.ts";
import { type CheckResult, checkOperations } from "./check.ts";
import { kvModel } from "./kv_model.ts";
import { mapModel, onOneKey } from "./map_model.ts";
import { parseJepsenLog } from "./parse_jepsen.ts";
import { parseKvEdn } from "./parse_kv_edn.ts";

const DATA = new URL("../data/linearizability/", import.meta.url);
const ETCD = new URL("etcd-jepsen/", DATA);
const KV = new URL("kv/", DATA);

/** Bounds far above what any file needs (the hardest takes a few million steps), deterministic. */
const BOUNDS = { maxSteps: 50_000_000, maxStates: 5_000_000 };

/** EXPECTED.txt as file name → verdict. */
function expectedVerdicts(): Map<string, string> {
  const text = readFileSync(new URL("EXPECTED.txt", ETCD), "utf8");
  const pairs = text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line): [string, string] => {
      const [file, verdict] = line.trim().split(/\s+/);
      return [file, verdict];
    });
  return new Map(pairs);
}

/** The verdict in EXPECTED.txt's words. */
function verdictOf(result: CheckResult<unknown, unknown>): string {
  if (result.verdict === "ok") return "linearizable";
  return result.verdict === "violation" ? "not-linearizable" : `unknown (${result.failure?.result.verdict})`;
}

const expected = expectedVerdicts();
const etcdFiles = readdirSync(ETCD)
  .filter((f) => f.endsWith(".log"))
  .sort();
const kvFiles = readdirSync(KV)
  .filter((f) => f.endsWith(".txt"))
  .sort();

describe("linearizability validation: Jepsen etcd logs", () => {
  it("the data set is complete: 103 logs, 102 verdicts, and etcd_095.log is empty", () => {
    expect(etcdFiles.length).toBe(103);
    expect(expected.size).toBe(102);
    expect(etcdFiles.filter((f) => !expected.has(f))).toEqual(["etcd_095.log"]);
    expect(parseJepsenLog(readFileSync(new URL("etcd_095.log", ETCD), "utf8"))).toEqual([]);
  });

  for (const [file, want] of etcdFiles.flatMap((f) => (expected.has(f) ? [[f, String(expected.get(f))]] : []))) {
    it(`checkOperations() finds ${file} ${want}`, () => {
      const operations = parseJepsenLog(readFileSync(new URL(file, ETCD), "utf8"));
      expect(operations.length).toBeGreaterThan(0);
      const result = checkOperations(kvModel, operations, BOUNDS);
      expect({ file, verdict: verdictOf(result) }).toEqual({ file, verdict: want });
    });
  }
});

describe("linearizability validation: kv histories", () => {
  it("the data set is complete: c01, c10 and c50, each ok and bad", () => {
    expect(kvFiles).toEqual(["c01-bad.txt", "c01-ok.txt", "c10-bad.txt", "c10-ok.txt", "c50-bad.txt", "c50-ok.txt"]);
  });

  for (const file of kvFiles) {
    const want = file.endsWith("-ok.txt") ? "linearizable" : "not-linearizable";
    it(`checkOperations() finds ${file} ${want}, key by key`, () => {
      const operations = parseKvEdn(readFileSync(new URL(file, KV), "utf8"));
      const result = checkOperations(appendModel, operations, BOUNDS);
      expect({ file, verdict: verdictOf(result) }).toEqual({ file, verdict: want });
      expect(result.keys).toBeGreaterThan(1);
    });
  }

  // Without partitioning the search space is the product of the keys'; c50 is out of reach then
  // (as for Porcupine), c01 and c10 take a few million steps.
  for (const file of kvFiles.filter((f) => !f.startsWith("c50"))) {
    const want = file.endsWith("-ok.txt") ? "linearizable" : "not-linearizable";
    it(`checkOperations() finds ${file} ${want} as one map too (partitioning changes no verdict)`, () => {
      const operations = onOneKey(parseKvEdn(readFileSync(new URL(file, KV), "utf8")));
      const result = checkOperations(mapModel(appendModel), operations, BOUNDS);
      expect({ file, verdict: verdictOf(result) }).toEqual({ file, verdict: want });
      expect(result.keys).toBe(1);
    });
  }
});
