/**
 * The deterministic Raft simulator.
 *
 * Usage: bun scripts/sim.ts --seed S [--nodes N] [--steps K] [--verbose] [MODES]
 *        bun scripts/sim.ts --seeds A..B [--nodes N] [--steps K] [MODES]
 * MODES: [--filter core|lease] [--heal-load] [--pre-vote on|off] [--check-quorum on|off] [--flaky]
 *        [--scenario stable-leader [--cut partition|flaky]]
 *
 * --filter lease lets some disruptive RequestVoteCalls through that the core's predicate (the
 * default filter, as the node runtime uses it) would drop; --heal-load keeps clients proposing
 * after healing; --pre-vote and --check-quorum turn the nodes' options on (both off by default);
 * --flaky adds flaky nodes to the chaos (see tests/sim/options.ts). --scenario stable-leader runs
 * the stability scenario instead of the random chaos: one follower of a healthy cluster is cut off
 * (--cut) for many election timeouts and healed; with pre-vote and check-quorum on, the leader and
 * its term must not change (see tests/sim/stable_leader.ts).
 *
 * Every option of a run is derived from its seed and printed first; the same seed gives the same
 * run, byte for byte. A failure prints the command that replays it. Exits 1 if any run failed.
 */
import { runSimulation, type SimResult } from "../tests/sim/run.ts";

interface Cli {
  readonly seeds: readonly [number, number];
  readonly nodes: number;
  readonly steps: number;
  readonly verbose: boolean;
  readonly filter: "core" | "lease";
  readonly healLoad: boolean;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly flaky: boolean;
  readonly scenario: "stable-leader" | undefined;
  readonly cut: "partition" | "flaky";
}

const USAGE =
  "usage: sim.ts (--seed S | --seeds A..B) [--nodes 3|5] [--steps K] [--filter core|lease] [--heal-load]\n" +
  "              [--pre-vote on|off] [--check-quorum on|off] [--flaky] [--scenario stable-leader [--cut partition|flaky]]\n" +
  "              [--verbose]";

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function integer(text: string | undefined, what: string): number {
  const n = Number(text);
  if (text === undefined || !Number.isSafeInteger(n) || n < 0)
    fail(`${what} must be a non-negative integer, got ${text}`);
  return n;
}

function parseSeeds(text: string | undefined): readonly [number, number] {
  const m = /^(\d+)\.\.(\d+)$/.exec(text ?? "");
  if (m === null) fail(`--seeds takes a range A..B, got ${text}`);
  const range: [number, number] = [integer(m[1], "--seeds start"), integer(m[2], "--seeds end")];
  if (range[0] > range[1]) fail(`--seeds range is empty: ${text}`);
  return range;
}

function parseFilter(text: string | undefined): "core" | "lease" {
  if (text !== "core" && text !== "lease") fail(`--filter is core or lease, got ${text}`);
  return text;
}

function parseOnOff(text: string | undefined, what: string): boolean {
  if (text !== "on" && text !== "off") fail(`${what} is on or off, got ${text}`);
  return text === "on";
}

function parseScenario(text: string | undefined): "stable-leader" {
  if (text !== "stable-leader") fail(`--scenario is stable-leader, got ${text}`);
  return text;
}

function parseCut(text: string | undefined): "partition" | "flaky" {
  if (text !== "partition" && text !== "flaky") fail(`--cut is partition or flaky, got ${text}`);
  return text;
}

function parseArgs(argv: readonly string[]): Cli {
  let seeds: readonly [number, number] | undefined;
  let nodes = 3;
  let steps = 10_000;
  let verbose = false;
  let filter: "core" | "lease" = "core";
  let healLoad = false;
  let preVote = false;
  let checkQuorum = false;
  let flaky = false;
  let scenario: "stable-leader" | undefined;
  let cut: "partition" | "flaky" | undefined;
  for (let k = 0; k < argv.length; k++) {
    const flag = argv[k];
    const [name, inline] = flag.includes("=") ? flag.split("=", 2) : [flag, undefined];
    const value = (): string | undefined => inline ?? argv[++k];
    if (name === "--seed") {
      const s = integer(value(), "--seed");
      seeds = [s, s];
    } else if (name === "--seeds") seeds = parseSeeds(value());
    else if (name === "--nodes") nodes = integer(value(), "--nodes");
    else if (name === "--steps") steps = integer(value(), "--steps");
    else if (name === "--verbose") verbose = true;
    else if (name === "--filter") filter = parseFilter(value());
    else if (name === "--heal-load") healLoad = true;
    else if (name === "--pre-vote") preVote = parseOnOff(value(), "--pre-vote");
    else if (name === "--check-quorum") checkQuorum = parseOnOff(value(), "--check-quorum");
    else if (name === "--flaky") flaky = true;
    else if (name === "--scenario") scenario = parseScenario(value());
    else if (name === "--cut") cut = parseCut(value());
    else fail(`unknown argument ${flag}`);
  }
  if (seeds === undefined) fail("give --seed or --seeds");
  if (nodes !== 3 && nodes !== 5) fail(`--nodes must be 3 or 5, got ${nodes}`);
  if (cut !== undefined && scenario === undefined) fail("--cut needs --scenario stable-leader");
  return {
    seeds,
    nodes,
    steps,
    verbose,
    filter,
    healLoad,
    preVote,
    checkQuorum,
    flaky,
    scenario,
    cut: cut ?? "partition",
  };
}

/** Elections over several seeds: totals, the mean per seed, the most in one seed, the highest term. */
class ElectionTotals {
  #seeds = 0;
  #total = 0;
  #max = 0;
  #maxTerm = 0;

  add(result: SimResult): void {
    this.#seeds++;
    this.#total += result.elections;
    this.#max = Math.max(this.#max, result.elections);
    this.#maxTerm = Math.max(this.#maxTerm, result.maxTerm);
  }

  toString(): string {
    const mean = this.#seeds === 0 ? 0 : this.#total / this.#seeds;
    return `elections: total=${this.#total}, mean=${mean.toFixed(1)} per seed, max=${this.#max}; max-term=${this.#maxTerm}`;
  }
}

/** Over several stable-leader runs: in how many the leader or its term moved after the cut. */
class StabilityTotals {
  #runs = 0;
  #moved = 0;

  add(result: SimResult): void {
    if (result.stableLeader === undefined) return;
    this.#runs++;
    if (result.stableLeader.firstChange !== undefined) this.#moved++;
  }

  toString(cli: Cli): string {
    const modes = `pre-vote=${cli.preVote ? "on" : "off"}, check-quorum=${cli.checkQuorum ? "on" : "off"}, cut=${cli.cut}`;
    return `stable-leader: the leader or its term changed in ${this.#moved} of ${this.#runs} runs (${modes})`;
  }
}

async function main(): Promise<void> {
  const cli = parseArgs(process.argv.slice(2));
  const single = cli.seeds[0] === cli.seeds[1];
  const totals = new ElectionTotals();
  const stability = new StabilityTotals();
  let failed = 0;
  for (let seed = cli.seeds[0]; seed <= cli.seeds[1]; seed++) {
    const result = await runSimulation(
      {
        seed,
        nodes: cli.nodes,
        steps: cli.steps,
        filter: cli.filter,
        healLoad: cli.healLoad,
        preVote: cli.preVote,
        checkQuorum: cli.checkQuorum,
        flaky: cli.flaky,
        ...(cli.scenario === undefined ? {} : { scenario: cli.scenario, cut: cli.cut }),
      },
      cli.verbose ? (line) => console.log(line) : undefined,
    );
    totals.add(result);
    stability.add(result);
    if (!result.ok) failed++;
    if (single || !result.ok) for (const line of result.report.slice(cli.verbose ? 1 : 0)) console.log(line);
  }
  if (!single) {
    console.log(
      `${cli.seeds[1] - cli.seeds[0] + 1 - failed} passed, ${failed} failed (seeds ${cli.seeds[0]}..${cli.seeds[1]}, nodes=${cli.nodes}, steps=${cli.steps})`,
    );
    console.log(totals.toString());
    if (cli.scenario !== undefined) console.log(stability.toString(cli));
  }
  process.exit(failed > 0 ? 1 : 0);
}

await main();
