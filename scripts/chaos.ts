/**
 * The fault run: real node processes on 127.0.0.1, one TCP relay per directed link, clients issuing
 * get/put/cas/delete of unique values through random nodes, faults on a seeded schedule, then heal
 * and check (see README, "Fault run"). Prints the seed first and `chaos summary: {…}` last; exits 1
 * with the seed and the fault log on any failure, 2 on a bad command line, 130 on SIGINT.
 *
 * Usage: bun scripts/chaos.ts [--nodes 3|5] [--runtime bun|deno|mixed] [--faults name,…|mixed]
 *        [--duration S] [--seed N] [--out DIR]   (--help for all options)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import process from "node:process";
import { deriveSeed, Prng } from "../tests/sim/prng.ts";
import { ClientPool } from "./chaos/clients.ts";
import { ChaosCluster } from "./chaos/cluster.ts";
import { type FaultName, needsStorageHook } from "./chaos/fault_names.ts";
import type { FaultContext } from "./chaos/faults.ts";
import {
  checkHistory,
  compareNodes,
  healEverything,
  readEverything,
  waitForStableLeader,
} from "./chaos/final_checks.ts";
import { HistoryFile } from "./chaos/history_file.ts";
import { type ChaosOptions, parseChaosArgs, USAGE } from "./chaos/options.ts";
import { fmt, runSchedule } from "./chaos/schedule.ts";

/** How long a node waits on a write or a linearizable read (ms). */
const NODE_REQUEST_TIMEOUT_MS = 3000;
/** How long a client waits: the node's bound, a follower's forwarding margin, and slack. */
const CLIENT_TIMEOUT_MS = NODE_REQUEST_TIMEOUT_MS + 1000 + 2000;
/** How long the healed nodes may take to reach the same applied index. */
const CONVERGE_WITHIN_MS = 60_000;

/** The summary printed last (and written to summary.json). */
interface Summary {
  ok: boolean;
  seed: number;
  nodes: number;
  runtime: string;
  faults: readonly string[];
  /** True iff the nodes ran with the storage fault hook (power loss at every kill). */
  storageHook: boolean;
  durationS: number;
  operations: number;
  outcomes: Record<string, Record<string, number>>;
  keys: number;
  faultsInjected: number;
  faultsSkipped: number;
  leader: string | null;
  leaderAfterHealMs: number | null;
  finalReads: number;
  stateIndex: number;
  stateKeys: number;
  linearizable: string;
  problems: string[];
  out: string;
}

function reproduce(o: ChaosOptions): string {
  return `bun scripts/chaos.ts --nodes ${o.nodes} --runtime ${o.runtime} --faults ${o.faults.join(",")} --duration ${o.durationS} --seed ${o.seed} --clients ${o.clients} --ops-per-key ${o.opsPerKey} --max-unknown-per-key ${o.maxUnknownPerKey}`;
}

async function run(o: ChaosOptions, cluster: ChaosCluster, log: (line: string) => void): Promise<Summary> {
  const out = resolve(o.out);
  const history = new HistoryFile(join(out, "history.jsonl"));
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const summary: Summary = {
    ...{ ok: false, seed: o.seed, nodes: o.nodes, runtime: o.runtime, faults: o.faults, durationS: o.durationS },
    storageHook: cluster.storageHook,
    ...{
      operations: 0,
      outcomes: {},
      keys: 0,
      faultsInjected: 0,
      faultsSkipped: 0,
      leader: null,
      leaderAfterHealMs: null,
    },
    ...{ finalReads: 0, stateIndex: 0, stateKeys: 0, linearizable: "not checked", problems: [], out },
  };
  try {
    await cluster.start();
    log(
      `${fmt(now())} cluster up: ${cluster.ids.map((id) => `${id} ${cluster.node(id).runtime} ${cluster.node(id).url}`).join(", ")}`,
    );
    const env = {
      targets: () => upTargets(cluster),
      now,
      record: (op: Parameters<HistoryFile["addOperation"]>[0]) => history.addOperation(op),
      full: () => history.full,
    };
    const pool = new ClientPool(env, {
      clients: o.clients,
      opsPerKey: o.opsPerKey,
      maxUnknownPerKey: o.maxUnknownPerKey,
      seed: deriveSeed(o.seed, "clients"),
      timeoutMs: CLIENT_TIMEOUT_MS,
    });
    const random = new Prng(deriveSeed(o.seed, "schedule"));
    const ctx: FaultContext = { cluster, random, electionTimeoutMs: o.electionTimeoutMs };
    pool.start();
    const schedule = await runSchedule(ctx, {
      names: o.faults as FaultName[],
      durationMs: o.durationS * 1000,
      now,
      record: (event) => history.addFault(event),
      log,
    });
    await pool.stop();
    summary.problems.push(...schedule.problems);
    Object.assign(summary, {
      faultsInjected: schedule.injected,
      faultsSkipped: schedule.skipped,
      outcomes: pool.counts,
    });
    log(`${fmt(now())} clients stopped after ${history.operations.length} operations; healing`);
    await finish(o, cluster, history, pool.keys, now, summary, log);
  } finally {
    history.flush();
  }
  return summary;
}

/** Heal, leader, final reads, checks; fills `summary`. */
async function finish(
  o: ChaosOptions,
  cluster: ChaosCluster,
  history: HistoryFile,
  keys: readonly string[],
  now: () => number,
  summary: Summary,
  log: (line: string) => void,
): Promise<void> {
  const healStart = now();
  for (const step of await healEverything(cluster, new Prng(deriveSeed(o.seed, "heal"))))
    log(`${fmt(now())} heal: ${step}`);
  const leader = await waitForStableLeader(cluster, o.leaderWithinMs);
  if (leader === undefined) {
    summary.problems.push(`no leader every node agrees on within ${o.leaderWithinMs} ms of healing`);
    return;
  }
  Object.assign(summary, { leader, leaderAfterHealMs: Math.round(now() - healStart), keys: keys.length });
  log(`${fmt(now())} leader ${leader}; reading ${keys.length} keys through ${cluster.ids.length} nodes`);
  const reads = await readEverything(cluster, keys, {
    timeoutMs: CLIENT_TIMEOUT_MS,
    now,
    record: (op) => history.addOperation(op),
  });
  summary.finalReads = reads.reads;
  summary.problems.push(...reads.problems);
  const state = await compareNodes(cluster, CONVERGE_WITHIN_MS);
  Object.assign(summary, { stateIndex: state.index, stateKeys: state.keys });
  summary.problems.push(...state.problems);
  log(`${fmt(now())} checking ${history.operations.length} operations`);
  const verdict = checkHistory(history.operations, history.faults, reads.finals);
  summary.linearizable = verdict.linearizable;
  summary.operations = history.operations.length;
  summary.problems.push(...verdict.problems);
  log(verdict.report.split("\n")[0]);
}

/** The nodes clients may talk to: voters whose process runs (a paused one included: clients cannot tell). */
function upTargets(cluster: ChaosCluster): Array<{ id: string; url: string }> {
  return [...cluster.voters]
    .sort()
    .filter((id) => cluster.node(id).running)
    .map((id) => ({ id, url: cluster.node(id).url }));
}

async function main(): Promise<number> {
  const parsed = parseChaosArgs(process.argv.slice(2), Math.floor(Math.random() * 2 ** 32));
  if (parsed.kind === "help") {
    console.log(USAGE);
    return 0;
  }
  if (parsed.kind === "invalid") {
    console.error(`${parsed.message}\n\n${USAGE}`);
    return 2;
  }
  const o = parsed.options;
  console.log(`chaos seed ${o.seed}`);
  console.log(`options: ${JSON.stringify(o)}`);
  mkdirSync(o.out, { recursive: true });
  const faultLog: string[] = [];
  const log = (line: string) => {
    faultLog.push(line);
    console.log(line);
  };
  const storageHook = needsStorageHook(o.faults);
  const cluster = new ChaosCluster({ ...o, requestTimeoutMs: NODE_REQUEST_TIMEOUT_MS, storageHook });
  if (storageHook) console.log("storage fault hook: on for every node (unflushed writes are lost at every kill)");
  let interrupted = false;
  process.on("SIGINT", () => {
    if (interrupted) return;
    interrupted = true;
    console.error("SIGINT: stopping the nodes and relays");
    void cluster.stop().finally(() => process.exit(130));
  });
  let summary: Summary | undefined;
  try {
    summary = await run(o, cluster, log);
  } catch (error) {
    log(`the run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  } finally {
    writeFileSync(join(o.out, "nodes.log"), cluster.processes.logs());
    writeFileSync(join(o.out, "faults.log"), `${faultLog.join("\n")}\n`);
    await cluster.stop();
  }
  const ok = summary !== undefined && summary.problems.length === 0;
  if (summary !== undefined) {
    summary.ok = ok;
    writeFileSync(join(o.out, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
  }
  if (!ok) {
    console.log(`\nFAILED (seed ${o.seed}); reproduce with: ${reproduce(o)}`);
    for (const problem of summary?.problems ?? ["the run did not finish"]) console.log(`problem: ${problem}`);
    console.log(`fault log:\n  ${faultLog.join("\n  ")}`);
  }
  console.log(`history, fault log, node output and summary in ${resolve(o.out)}`);
  console.log(`chaos summary: ${JSON.stringify(summary ?? { ok: false, seed: o.seed })}`);
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`chaos failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
