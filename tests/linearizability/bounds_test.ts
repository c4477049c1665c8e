import { describe, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import { appendModel } from "./append_model.ts";
import { checkOperations } from "./check.ts";
import { kvModel } from "./kv_model.ts";
import { parseJepsenLog } from "./parse_jepsen.ts";
import { parseKvEdn } from "./parse_kv_edn.ts";

const DATA = new URL("../data/linearizability/", import.meta.url);
const bigOk = parseKvEdn(readFileSync(new URL("kv/c50-ok.txt", DATA), "utf8"));
const bigBad = parseKvEdn(readFileSync(new URL("kv/c50-bad.txt", DATA), "utf8"));
/** A linearizable etcd log whose search takes over a million steps. */
const hardEtcd = parseJepsenLog(readFileSync(new URL("etcd-jepsen/etcd_002.log", DATA), "utf8"));

describe("checker bounds", () => {
  it("checkOperations() answers unknown, not ok, when the step budget runs out", () => {
    const result = checkOperations(appendModel, bigOk, { maxSteps: 1000 });
    expect(result.verdict).toBe("unknown");
    expect(result.steps).toBe(1000);
    expect(result.failure?.result).toMatchObject({ verdict: "unknown", bound: "steps" });
    // The budget is shared: once spent, every later key is undecided as well.
    expect(result.undecided.length).toBe(result.keys);
  });

  it("checkOperations() answers unknown at the state and memory bounds", () => {
    const states = checkOperations(kvModel, hardEtcd, { maxStates: 100 });
    expect(states.verdict).toBe("unknown");
    expect(states.failure?.result).toMatchObject({ verdict: "unknown", bound: "states", states: 100 });
    const memory = checkOperations(kvModel, hardEtcd, { maxCacheBytes: 64 * 1024 });
    expect(memory.failure?.result).toMatchObject({ verdict: "unknown", bound: "memory" });
  });

  it("checkOperations() answers unknown at a deadline already past", () => {
    const result = checkOperations(kvModel, hardEtcd, { deadline: performance.now() - 1 });
    expect(result.failure?.result).toMatchObject({ verdict: "unknown", bound: "deadline", steps: 0 });
  });

  it("checkOperations() never passes a violating history at a bound", () => {
    for (const maxSteps of [1, 10, 100, 1000, 10_000]) {
      expect(checkOperations(appendModel, bigBad, { maxSteps }).verdict).not.toBe("ok");
    }
    for (const maxStates of [1, 10, 100]) {
      expect(checkOperations(appendModel, bigBad, { maxStates }).verdict).not.toBe("ok");
    }
  });

  it("checkOperations() reaches the same verdict with any budget large enough", () => {
    const exact = checkOperations(kvModel, hardEtcd);
    expect(exact.verdict).toBe("ok");
    expect(checkOperations(kvModel, hardEtcd, { maxSteps: exact.steps }).verdict).toBe("ok");
    expect(checkOperations(kvModel, hardEtcd, { maxSteps: exact.steps - 1 }).verdict).toBe("unknown");
  });
});
