/**
 * The fault schedule: one fault at a time, each picked by the seeded generator from the selected
 * names, held for a random while and healed, with a quiet gap between faults. It ends with every
 * fault healed.
 */

import { delay } from "../../tests/helpers/wait_for.ts";
import type { FaultEvent } from "../../tests/linearizability/mod.ts";
import type { FaultName } from "./fault_names.ts";
import { type ActiveFault, FAULTS, type FaultContext } from "./faults.ts";

/** Settings of {@link runSchedule}. */
export interface ScheduleOptions {
  /** The faults to pick from. */
  readonly names: readonly FaultName[];
  /** The schedule ends this many ms after `now()` first reads. */
  readonly durationMs: number;
  /** Milliseconds since the run started. */
  now(): number;
  /** Records a fault once healed. */
  record(event: FaultEvent): void;
  /** Prints one line of the fault log. */
  log(line: string): void;
}

/** Quiet time between two faults (ms). */
const GAP_MS: readonly [number, number] = [1000, 3000];
/**
 * How long a fault is held (ms); a pause or a stalled disk (which stops the process just as well)
 * is held at least {@link PAUSE_HOLD_FACTOR} election timeouts.
 */
const HOLD_MS: readonly [number, number] = [1500, 5000];
const PAUSE_HOLD_FACTOR = 2.5;
/** Longest single sleep, so the schedule notices its end promptly. */
const SLEEP_STEP_MS = 100;

/** What the schedule did: faults injected, skipped, and problems (a heal that failed). */
export interface ScheduleResult {
  readonly injected: number;
  readonly skipped: number;
  readonly problems: readonly string[];
}

/** Sleeps `ms`, or until `until` (a `now()` value) has passed. */
async function sleepUntil(now: () => number, ms: number, until: number): Promise<void> {
  const end = Math.min(now() + ms, until);
  while (now() < end) await delay(Math.min(SLEEP_STEP_MS, Math.max(1, end - now())));
}

/** Runs faults until the duration is over; every fault it started is healed when it returns. */
export async function runSchedule(ctx: FaultContext, options: ScheduleOptions): Promise<ScheduleResult> {
  const end = options.now() + options.durationMs;
  const problems: string[] = [];
  let injected = 0;
  let skipped = 0;
  while (options.now() < end) {
    await sleepUntil(options.now, ctx.random.int(GAP_MS[0], GAP_MS[1]), end);
    if (options.now() >= end) break;
    const name = ctx.random.pick(options.names);
    const at = options.now();
    let active: ActiveFault | undefined;
    try {
      active = await FAULTS[name].start(ctx);
    } catch (error) {
      problems.push(`${name} failed to start: ${messageOf(error)}`);
      options.log(`${fmt(at)} ${name}: failed to start: ${messageOf(error)}`);
      continue;
    }
    if (active === undefined) {
      skipped += 1;
      options.log(`${fmt(at)} ${name}: skipped (no target now)`);
      continue;
    }
    injected += 1;
    options.log(`${fmt(at)} ${name}: ${active.detail}`);
    if (FAULTS[name].instant !== true) await sleepUntil(options.now, holdFor(ctx, name), Number.POSITIVE_INFINITY);
    const healed = await healSafely(active);
    if (!healed.ok) problems.push(`${name}: heal failed: ${healed.text}`);
    const until = options.now();
    options.log(`${fmt(until)} ${name}: healed: ${healed.text}`);
    options.record({ at, until, kind: name, nodes: active.nodes, detail: `${active.detail}; healed: ${healed.text}` });
  }
  return { injected, skipped, problems };
}

/** How long to hold fault `name` (a hold is never cut short by the end of the schedule). */
function holdFor(ctx: FaultContext, name: FaultName): number {
  const hold = ctx.random.int(HOLD_MS[0], HOLD_MS[1]);
  const isPause = name === "pause-leader" || name === "pause-random" || name === "disk-stall";
  return isPause ? Math.max(hold, Math.ceil(PAUSE_HOLD_FACTOR * ctx.electionTimeoutMs)) : hold;
}

async function healSafely(active: ActiveFault): Promise<{ ok: boolean; text: string }> {
  try {
    return { ok: true, text: await active.heal() };
  } catch (error) {
    return { ok: false, text: messageOf(error) };
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A time of the run as seconds with one decimal, e.g. `t=12.3s`. */
export function fmt(ms: number): string {
  return `t=${(ms / 1000).toFixed(1)}s`;
}
