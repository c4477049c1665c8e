import { describe, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import { appendModel } from "./append_model.ts";
import { checkOperations } from "./check.ts";
import { describeCheck } from "./describe.ts";
import type { FaultEvent } from "./history.ts";
import { GET, ok, put, unknown } from "./kv_history.ts";
import { kvModel } from "./kv_model.ts";
import { parseKvEdn } from "./parse_kv_edn.ts";

/** A stale read on n3 while n3 is cut off, on a clock starting at 1000. */
const staleRead = [
  ok(1, put("a"), [1000, 1010], null, { node: "n1" }),
  ok(2, put("b"), [1020, 1030], null, { node: "n2" }),
  ok(3, GET, [1040, 1050], "a", { node: "n3" }),
  unknown(4, put("c"), 1055, { node: "n1" }),
  ok(5, GET, [1000, 1001], null, { key: "other" }),
];
const faults: FaultEvent[] = [
  { at: 1015, until: 1045, kind: "partition", nodes: ["n3"], detail: "{n3} | {n1 n2}" },
  { at: 9000, kind: "crash", nodes: ["n2"] },
];

describe("describeCheck()", () => {
  it("describeCheck() shows the failing key's operations with clients, nodes, times and outcomes", () => {
    const report = describeCheck(kvModel, checkOperations(kvModel, staleRead), { faults });
    expect(report).toContain('NOT linearizable (kv model): key "x", 4 operation(s)');
    expect(report).toContain("times from t0 = 1000");
    const rows = report.split("\n").filter((line) => /^ {2}#\d+ {2,}/.test(line));
    expect(rows.length).toBe(4);
    expect(rows[0]).toMatch(/^ {2}#0 +1 +n1 +put "a" +0 +10 +ok +1 +\[=*\]$/);
    expect(rows[1]).toMatch(/^ {2}#1 +2 +n2 +put "b" +20 +30 +ok +2 /);
    expect(rows[2]).toMatch(/^ {2}#2 +3 +n3 +get → "a" +40 +50 +ok +next\? /);
    expect(rows[3]).toMatch(/^ {2}#3 +4 +n1 +put "c" +55 +∞ +unknown +- +\[=*>$/);
    expect(report).not.toContain('"other"');
  });

  it("describeCheck() says where the search got stuck and why", () => {
    const report = describeCheck(kvModel, checkOperations(kvModel, staleRead));
    expect(report).toContain("A longest linearizable prefix found has 2 of 4 operations");
    expect(report).toContain('After it the state is "b"');
    expect(report).toContain('#2 client 3 on n3: get → "a" (the model refuses it here)');
  });

  it("describeCheck() lists the faults around the failing key's operations and only those", () => {
    const report = describeCheck(kvModel, checkOperations(kvModel, staleRead), { faults });
    expect(report).toContain("Faults around them (1 of 2 in the run");
    expect(report).toMatch(/ {2}15 +45 +partition +n3 +\{n3\} \| \{n1 n2\}/);
    expect(report).not.toContain("crash");
    expect(describeCheck(kvModel, checkOperations(kvModel, staleRead))).toContain("Faults around them: none (of 0");
  });

  it("describeCheck() cuts a long history to a window around the stuck point", () => {
    const writes = Array.from({ length: 100 }, (_, i) => ok(1, put(`v${i}`), [10 * i, 10 * i + 1], null));
    const history = [...writes, ok(2, GET, [2000, 2001], "v3")];
    const report = describeCheck(kvModel, checkOperations(kvModel, history), { maxOperations: 10 });
    expect(report).toContain("10 of 101 shown");
    expect(report).toContain("#100");
    expect(report).not.toContain("#0 ");
  });

  it("describeCheck() reports a pass in one line and a bound with its name", () => {
    const pass = describeCheck(kvModel, checkOperations(kvModel, staleRead.slice(0, 2)));
    expect(pass).toBe("linearizable: 1 key(s) checked against the kv model in 2 steps");
    const data = readFileSync(new URL("../data/linearizability/kv/c50-ok.txt", import.meta.url), "utf8");
    const cut = describeCheck(appendModel, checkOperations(appendModel, parseKvEdn(data), { maxSteps: 50 }));
    expect(cut).toMatch(/^UNKNOWN \(append model, the steps bound was reached\): key "\d+"/);
  });
});
