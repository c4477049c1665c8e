/**
 * The simulator in CI: a fixed list of seeds (3 and 5 nodes), plus one fresh random seed per run,
 * printed so a failure can be replayed. A failing seed's message includes the replay command.
 */
import { describe, expect, it } from "bun:test";
import { replayCommand, type SimArgs } from "./options.ts";
import { runSimulation } from "./run.ts";

/** Chaos steps per seed: enough for crashes, partitions and membership changes, quick in CI. */
const STEPS = 10_000;
/** Fixed seeds per cluster size. */
const SEEDS_PER_SIZE = 120;

function outcome(args: SimArgs): string {
  const result = runSimulation(args);
  return result.ok ? "ok" : result.report.join("\n");
}

/** A seed that differs on every run (from the platform's CSPRNG), unless SIM_SEED pins it. */
function freshSeed(): number {
  const pinned = typeof process !== "undefined" ? process.env.SIM_SEED : undefined;
  if (pinned !== undefined && pinned !== "") return Number(pinned);
  const words = new Uint32Array(1);
  crypto.getRandomValues(words);
  return words[0];
}

describe("simulation: fixed seeds", () => {
  for (const nodes of [3, 5]) {
    it(`${SEEDS_PER_SIZE} seeds with ${nodes} nodes keep every safety property and recover after healing`, () => {
      const failures: string[] = [];
      for (let seed = 1; seed <= SEEDS_PER_SIZE; seed++) {
        const report = outcome({ seed, nodes, steps: STEPS });
        if (report !== "ok") failures.push(report);
      }
      expect(failures.join("\n\n")).toBe("");
    });
  }
});

describe("simulation: a random seed", () => {
  it("a fresh random seed passes (replay a failure with the printed command)", () => {
    const seed = freshSeed();
    const nodes = seed % 2 === 0 ? 3 : 5;
    const args = { seed, nodes, steps: STEPS };
    console.log(`random simulation seed: ${seed} (replay: ${replayCommand(args)})`);
    expect(outcome(args)).toBe("ok");
  });
});

describe("simulation: determinism", () => {
  it("the same seed gives the same run, trace line for line", () => {
    const trace = (): string[] => {
      const lines: string[] = [];
      const result = runSimulation({ seed: 77, nodes: 5, steps: 2000 }, (line) => lines.push(line));
      lines.push(...result.report);
      return lines;
    };
    const first = trace();
    expect(first.length).toBeGreaterThan(1000);
    expect(trace()).toEqual(first);
  });
});
