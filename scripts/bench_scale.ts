/**
 * Scale benchmark: writes a million distinct keys to a fresh node (or 3-node cluster), then restarts
 * the first node with SIGTERM and again with kill -9. Reports writes/s per quarter of the keys, the
 * longest event-loop stall inside the node, RSS before and after the restarts, and the time from
 * restart until a linearizable read answers; checks them against the targets.
 *
 * Usage: bun scripts/bench_scale.ts [--keys 1000000] [--nodes 1|3] [--runtime bun|deno] (see --help)
 */
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import process from "node:process";
import { describeAnswer, httpJson } from "../tests/helpers/http_json.ts";
import { type ClusterNode, ProcessCluster } from "../tests/helpers/process_cluster.ts";
import { runLoad } from "./bench/load.ts";
import { sumOfSamples } from "./bench/metric_samples.ts";
import { writtenValue } from "./bench/phases.ts";
import { rssKibOf } from "./bench/proc_stat.ts";
import { endProgress, progress } from "./bench/progress.ts";
import { parseScaleArgs, SCALE_USAGE, type ScaleOptions } from "./bench/scale_options.ts";
import { jsonRequest } from "./bench/system.ts";

/** Loads per quarter: a progress line after each. */
const SLICES_PER_QUARTER = 10;
/** How long a restarted node may take to answer a read before the benchmark gives up. */
const RESTART_DEADLINE_MS = 120_000;
/** Targets of the issue. */
const TARGETS = { lastQuarterRatio: 0.8, restartSeconds: 2, rssOverRaw: 3 };

/** What one restart measured. */
interface RestartResult {
  readonly how: "SIGTERM" | "SIGKILL";
  /** From spawning the process until a linearizable read of the last key answered. */
  readonly secondsToRead: number;
  readonly rssBytesAfter: number | null;
}

/** Key number `i`, in key order of writing. */
function keyOf(i: number): string {
  return `scale-${String(i).padStart(9, "0")}`;
}

async function metricsOf(node: ClusterNode): Promise<string> {
  const answer = await httpJson("GET", `${node.url}/metrics`);
  if (answer.status !== 200) throw new Error(`GET /metrics: ${describeAnswer(answer)}`);
  return answer.text;
}

function rssBytes(node: ClusterNode): number | null {
  const kib = node.pid === undefined ? undefined : rssKibOf(node.pid);
  return kib === undefined ? null : kib * 1024;
}

/** Writes every key; returns writes/s of each quarter. */
async function writeKeys(o: ScaleOptions, cluster: ProcessCluster, leader: ClusterNode): Promise<number[]> {
  const auth = `authorization: Bearer ${cluster.adminToken}\r\n`;
  const quarter = o.keys / 4;
  const slice = Math.ceil(quarter / SLICES_PER_QUARTER);
  const deadline = performance.now() + o.maxSeconds * 1000;
  const rates: number[] = [];
  let written = 0;
  for (let q = 0; q < 4; q++) {
    let ok = 0;
    let seconds = 0;
    const end = Math.round((q + 1) * quarter);
    while (written < end) {
      const left = (deadline - performance.now()) / 1000;
      if (left <= 0) throw new Error(`the writes did not finish within --max-seconds ${o.maxSeconds}`);
      const base = written;
      const count = Math.min(slice, end - written);
      const result = await runLoad({
        inFlight: o.inFlight,
        maxRequests: count,
        maxSeconds: left,
        ports: [leader.port],
        portIndex: () => 0,
        request: (i) =>
          jsonRequest(
            "PUT",
            `/v1/kv/${keyOf(base + i)}`,
            auth,
            JSON.stringify({ value: writtenValue(base + i, o.valueBytes) }),
          ),
      });
      if (result.failed > 0 || result.ok !== count) {
        throw new Error(`${result.failed} writes failed, ${result.ok}/${count} answered: ${result.firstFailure}`);
      }
      written += count;
      ok += result.ok;
      seconds += result.seconds;
      progress(`written ${written}/${o.keys} keys; this slice ${Math.round(result.ok / result.seconds)} puts/s`);
    }
    rates.push(ok / seconds);
  }
  endProgress();
  return rates;
}

/** Stops `node` with `how`, starts it again, and times it until a linearizable read of `key` answers `value`. */
async function restartAndRead(
  cluster: ProcessCluster,
  node: ClusterNode,
  how: "SIGTERM" | "SIGKILL",
  key: string,
  value: string,
  keepData?: string,
): Promise<RestartResult> {
  progress(`restarting ${node.id} after ${how}`);
  if (!(await node.signal(how, 60_000))) throw new Error(`${node.id} did not exit after ${how}`);
  if (keepData !== undefined) {
    cpSync(node.dataDir, keepData, { recursive: true });
    console.log(`${node.id}'s data after the writes (stopped with ${how}) copied to ${keepData}`);
  }
  const start = performance.now();
  await cluster.restart(node);
  for (let last = "no answer yet"; ; await new Promise((r) => setTimeout(r, 10))) {
    if (performance.now() - start > RESTART_DEADLINE_MS) throw new Error(`no read after restart: ${last}`);
    try {
      const answer = await httpJson("GET", `${node.url}/v1/kv/${key}`, { timeoutMs: 5000 });
      if (answer.status === 200 && answer.body.value === value) break;
      last = describeAnswer(answer);
    } catch (error) {
      last = String(error); // Still starting, or busy: ask again.
    }
  }
  const secondsToRead = (performance.now() - start) / 1000;
  endProgress();
  return { how, secondsToRead, rssBytesAfter: rssBytes(node) };
}

function mib(bytes: number | null): string {
  return bytes === null ? "?" : `${(bytes / 1048576).toFixed(0)} MiB`;
}

function verdict(ok: boolean): string {
  return ok ? "met" : "NOT met";
}

async function main(): Promise<void> {
  const line = parseScaleArgs(process.argv.slice(2), new Date());
  if (line.kind === "help") {
    console.log(SCALE_USAGE);
    return;
  }
  if (line.kind === "invalid") {
    console.error(`${line.message}\n\n${SCALE_USAGE}`);
    process.exit(2);
  }
  const o = line.options;
  const cluster = new ProcessCluster({
    runtimes: Array.from({ length: o.nodes }, () => o.runtime),
    electionTimeoutMs: 1000,
    heartbeatMs: 100,
    logLevel: "warn",
    requestTimeoutMs: 30_000,
    startTimeoutMs: RESTART_DEADLINE_MS,
  });
  try {
    progress(`starting ${o.nodes} ${o.runtime} node(s)`);
    await cluster.start();
    await cluster.bootstrap();
    const leader = await cluster.waitForLeader();
    await cluster.waitForMembers();
    const rates = await writeKeys(o, cluster, leader);
    console.log(`puts/s per quarter: ${rates.map((r) => Math.round(r)).join(", ")}`);
    const before = await metricsOf(leader);
    const stallSeconds = sumOfSamples(before, "raft_event_loop_stall_max_seconds");
    const rssBefore = rssBytes(leader);
    const lastKey = keyOf(o.keys - 1);
    const lastValue = writtenValue(o.keys - 1, o.valueBytes);
    const target = cluster.nodes[0];
    const restarts = [
      await restartAndRead(cluster, target, "SIGTERM", lastKey, lastValue, o.keepData),
      await restartAndRead(cluster, target, "SIGKILL", lastKey, lastValue),
    ];
    const raw = o.keys * (keyOf(0).length + o.valueBytes);
    const ratio = rates[3] / rates[0];
    const rssAfter = Math.max(...restarts.map((r) => r.rssBytesAfter ?? Number.POSITIVE_INFINITY));
    const checks = {
      lastQuarter: ratio >= TARGETS.lastQuarterRatio,
      restart: restarts.every((r) => r.secondsToRead <= TARGETS.restartSeconds),
      rssBefore: rssBefore !== null && rssBefore < TARGETS.rssOverRaw * raw,
      rssAfter: rssAfter < TARGETS.rssOverRaw * raw,
    };
    console.log(
      `${o.keys} keys, ${o.valueBytes}-byte values, ${o.inFlight} in flight, ${o.nodes} ${o.runtime} node(s)`,
    );
    console.log(
      `last/first quarter: ${ratio.toFixed(2)} (target >= ${TARGETS.lastQuarterRatio}): ${verdict(checks.lastQuarter)}`,
    );
    console.log(`longest event-loop stall in the node: ${(stallSeconds * 1000).toFixed(0)} ms`);
    console.log(
      `raw data ${mib(raw)}; RSS before restart ${mib(rssBefore)}: ${verdict(checks.rssBefore)} (< ${TARGETS.rssOverRaw}x)`,
    );
    for (const r of restarts) {
      console.log(
        `after ${r.how}: a linearizable read in ${r.secondsToRead.toFixed(2)} s, RSS ${mib(r.rssBytesAfter)}`,
      );
    }
    console.log(
      `restart within ${TARGETS.restartSeconds} s: ${verdict(checks.restart)}; RSS after: ${verdict(checks.rssAfter)}`,
    );
    const result = { options: o, ratesPerQuarter: rates, stallSeconds, rawBytes: raw, rssBefore, restarts, checks };
    mkdirSync(dirname(o.out), { recursive: true });
    writeFileSync(o.out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`result: ${o.out}`);
  } catch (error) {
    cluster.printLogs("the scale benchmark failed");
    throw error;
  } finally {
    await cluster.stop();
  }
}

await main();
