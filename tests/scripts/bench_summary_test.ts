import { describe, expect, it } from "bun:test";
import type { PhaseResult } from "../../scripts/bench/phase_result.ts";
import { formatSpread, markdownTable, reportText } from "../../scripts/bench/report_text.ts";
import { summarize } from "../../scripts/bench/summary.ts";
import type { SystemRun } from "../../scripts/bench/system_run.ts";

/** A phase result whose figures are all `scale` times a base (1 run = 1000/s, 1 ms, 100 µs/op). */
function phaseOf(id: string, scale: number): PhaseResult {
  const [op, target, inFlight] = id.split("-");
  return {
    id,
    op: op as PhaseResult["op"],
    target: target as PhaseResult["target"],
    inFlight: Number(inFlight),
    leader: 0,
    sent: 1000,
    ok: 1000,
    failed: 0,
    firstFailure: null,
    seconds: 1,
    perSecond: 1000 * scale,
    p50Ms: 1 / scale,
    p99Ms: 2 / scale,
    nodeCpuUsPerOp: 100 / scale,
    nodeCpuMs: [1, 1, 1],
    generatorCpuUsPerOp: 10,
    leaderSyncsPerSecond: 50,
    allSyncsPerSecond: 150,
    writesPerLeaderSync: op === "write" ? 20 : Number.NaN,
    leaderEntriesPerSync: 20,
    leaderEntriesPerEntrySync: 20,
    followerEntriesPerEntrySync: 20,
  };
}

const IDS = ["write-leader-1", "write-leader-256", "write-spread-256", "read-leader-256", "read-spread-256"];

function runOf(system: string, run: number, scale: number): SystemRun {
  return {
    system,
    version: `${system} 1.0`,
    run,
    startupSeconds: 1,
    phases: IDS.map((id) => phaseOf(id, scale)),
    rssKibEnd: [102_400, 102_400, 102_400],
    rssKibMax: [102_400, 102_400, 102_400],
  };
}

describe("the benchmark's summary", () => {
  it("summarize() takes medians and ranges over runs and checks the targets against etcd and the floor", () => {
    const runs = [
      runOf("ours-bun", 1, 4),
      runOf("etcd", 1, 1),
      runOf("ours-bun", 2, 2),
      runOf("etcd", 2, 1),
      runOf("ours-bun", 3, 3),
      runOf("etcd", 3, 1),
    ];
    const floors = [1, 2, 3].map((run) => ({ run, fdatasyncP50Ms: 0.1 * run, httpP50Ms: { bun: 0.05 } }));
    const summary = summarize(runs, floors);
    expect(summary.systems.map((s) => [s.system, s.runs])).toEqual([
      ["ours-bun", 3],
      ["etcd", 3],
    ]);
    expect(summary.systems[0].phases["write-leader-256"].perSecond).toEqual({
      median: 3000,
      min: 2000,
      max: 4000,
      n: 3,
    });
    expect(summary.systems[0].rssMiB).toEqual({ median: 100, min: 100, max: 100, n: 9 });
    expect(summary.floor.floorMs.bun.median).toBeCloseTo(0.25, 10);
    const byName = new Map(summary.targets.map((t) => [t.name, t]));
    const throughput = byName.get("ours-bun: writes/s at 256 in flight to the leader, ours/etcd");
    expect(throughput).toMatchObject({ value: 3, op: ">=", limit: 3, met: true });
    const cpu = byName.get("ours-bun: CPU per write at 256 spread, ours/etcd");
    expect(cpu?.value).toBeCloseTo(1 / 3, 10);
    // Sequential write p50 at scale 3 is 1/3 ms against a floor of 0.25 ms.
    const floor = byName.get("ours-bun: sequential write p50 / floor");
    expect(floor?.value).toBeCloseTo(4 / 3, 10);
    expect(floor?.met).toBe(true);
  });

  it("summarize() leaves the ratios to etcd unmeasured without etcd, and checks Deno against Bun", () => {
    const runs = [runOf("ours-bun", 1, 2), runOf("ours-deno", 1, 1)];
    const summary = summarize(runs, [{ run: 1, fdatasyncP50Ms: 0.2, httpP50Ms: { bun: 0.05, deno: 0.1 } }]);
    const etcdTargets = summary.targets.filter((t) => t.name.includes("ours/etcd"));
    expect(etcdTargets.length).toBe(12);
    expect(etcdTargets.every((t) => t.met === null)).toBe(true);
    const deno = summary.targets.find((t) => t.name.startsWith("Deno within 1.5x"));
    expect(deno?.value).toBe(2);
    expect(deno?.met).toBe(false);
  });

  it("reportText() prints every phase's throughput with the ratio column, and the targets", () => {
    const summary = summarize(
      [runOf("ours-bun", 1, 2), runOf("etcd", 1, 1)],
      [{ run: 1, fdatasyncP50Ms: 0.2, httpP50Ms: { bun: 0.05 } }],
    );
    const text = reportText(summary, IDS);
    expect(text).toContain("| phase            | ours-bun | etcd  | ours-bun/etcd |");
    expect(text).toContain("| write-leader-256 | 2,000    | 1,000 | 2.00×         |");
    expect(text).toContain("writes/s at 256 in flight to the leader, ours/etcd: 2.00 (target >= 3.00): NOT met");
  });

  it("formatSpread() and markdownTable() format medians with their range in padded columns", () => {
    expect(formatSpread({ median: 1234.5, min: 1000, max: 2000, n: 3 }, 0)).toBe("1,235 (1,000–2,000)");
    expect(formatSpread({ median: 1.5, min: 1.5, max: 1.5, n: 1 }, 2)).toBe("1.50");
    expect(formatSpread({ median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 }, 2)).toBe("–");
    expect(markdownTable(["a", "bb"], [["ccc", "d"]])).toBe("| a   | bb |\n| --- | -- |\n| ccc | d  |");
  });
});
