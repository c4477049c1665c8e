/**
 * How many cases each fuzz property runs: a small number by default (CI), `FUZZ_RUNS` for a soak
 * (`FUZZ_RUNS=10000 bun test tests/fuzz/`), and `FUZZ_SEED` (with `FUZZ_PATH`) to replay the
 * failure fast-check printed.
 */
import process from "node:process";
import type fc from "fast-check";

/** The value of an environment variable, on Bun and Deno alike. */
function env(name: string): string | undefined {
  return process.env[name];
}

/** A positive integer from the environment variable `name`, or `fallback`; throws on anything else. */
function positiveInt(name: string, fallback: number): number {
  const text = env(name);
  if (text === undefined || text === "") return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got '${text}'`);
  return n;
}

/** True when `FUZZ_RUNS` asks for more than the CI default (a soak). */
export function isSoak(): boolean {
  return env("FUZZ_RUNS") !== undefined && env("FUZZ_RUNS") !== "";
}

/**
 * The fast-check parameters of a property that runs `ciRuns` cases in CI: `FUZZ_RUNS` replaces
 * the count, `FUZZ_SEED` and `FUZZ_PATH` replay a reported failure. fast-check prints the seed
 * and path of every failure.
 */
export function fuzzParameters(ciRuns: number): fc.Parameters<unknown> {
  const seedText = env("FUZZ_SEED");
  const params: fc.Parameters<unknown> = { numRuns: positiveInt("FUZZ_RUNS", ciRuns) };
  if (seedText !== undefined && seedText !== "") {
    const seed = Number(seedText);
    if (!Number.isSafeInteger(seed)) throw new Error(`FUZZ_SEED must be an integer, got '${seedText}'`);
    params.seed = seed;
    const path = env("FUZZ_PATH");
    if (path !== undefined && path !== "") params.path = path;
  }
  return params;
}

/** A test deadline in milliseconds for `runs` cases at a generous `msPerRun`, at least `minimumMs`. */
export function fuzzTimeoutMs(runs: number, msPerRun: number, minimumMs = 120_000): number {
  return Math.max(minimumMs, runs * msPerRun);
}

/** The number of cases a property runs with `ciRuns` as CI default (for deadlines and reports). */
export function fuzzRuns(ciRuns: number): number {
  return positiveInt("FUZZ_RUNS", ciRuns);
}
