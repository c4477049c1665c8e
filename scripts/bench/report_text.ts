/**
 * The benchmark's summary as Markdown tables: throughput and latency per phase with ratios
 * ours/etcd (and Deno/Bun), CPU and fsyncs of the write phases, the floor, memory, and the targets.
 */
import type { Spread } from "./stats.ts";
import { ratio } from "./stats.ts";
import { type BenchSummary, type Measure, medianOf, type SystemSummary } from "./summary.ts";

/** A number with `digits` decimals (thousands separated when there are none); "–" when missing. */
export function formatNumber(value: number, digits: number): string {
  if (!Number.isFinite(value)) return "–";
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** `median (min–max)`, or the median alone for a single run. */
export function formatSpread(s: Spread | undefined, digits: number): string {
  if (s === undefined || s.n === 0) return "–";
  const median = formatNumber(s.median, digits);
  return s.n === 1 ? median : `${median} (${formatNumber(s.min, digits)}–${formatNumber(s.max, digits)})`;
}

/** A ratio as `1.23×`. */
export function formatRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : "–";
}

/** A Markdown table with padded columns. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** Columns of ratios: each of ours against etcd, and Deno against Bun. */
function ratioColumns(systems: readonly SystemSummary[]): Array<{ label: string; a: SystemSummary; b: SystemSummary }> {
  const etcd = systems.find((s) => s.system === "etcd");
  const ours = systems.filter((s) => s.system.startsWith("ours-"));
  const columns = etcd === undefined ? [] : ours.map((a) => ({ label: `${a.system}/etcd`, a, b: etcd }));
  const bun = ours.find((s) => s.system === "ours-bun");
  const deno = ours.find((s) => s.system === "ours-deno");
  if (bun !== undefined && deno !== undefined) columns.push({ label: "deno/bun", a: deno, b: bun });
  return columns;
}

/** One table of `measure` for each of `phases`, for the systems `only` keeps (default all). */
function measureTable(
  summary: BenchSummary,
  measure: Measure,
  digits: number,
  phases: readonly string[],
  only: (s: SystemSummary) => boolean = () => true,
): string {
  const systems = summary.systems.filter(only);
  const columns = ratioColumns(systems);
  const header = ["phase", ...systems.map((s) => s.system), ...columns.map((c) => c.label)];
  const rows = phases.map((phase) => [
    phase,
    ...systems.map((s) => formatSpread(s.phases[phase]?.[measure], digits)),
    ...columns.map((c) => formatRatio(ratio(medianOf(c.a, phase, measure), medianOf(c.b, phase, measure)))),
  ]);
  return markdownTable(header, rows);
}

/** The floor and how close sequential writes come to it. */
function floorTable(summary: BenchSummary): string {
  const f = summary.floor;
  const rows = [["fdatasync of 128 bytes, p50 (ms)", formatSpread(f.fdatasyncP50Ms, 3)]];
  for (const [runtime, s] of Object.entries(f.httpP50Ms)) {
    rows.push([`HTTP keep-alive round trip to a trivial ${runtime} server, p50 (ms)`, formatSpread(s, 3)]);
    rows.push([`floor for ${runtime} = fdatasync + round trip (ms)`, formatSpread(f.floorMs[runtime], 3)]);
  }
  for (const s of summary.systems) {
    const p50 = medianOf(s, "write-leader-1", "p50Ms");
    // etcd against the round trip of the first runtime measured (the same client, the same loopback).
    const own = f.floorMs[s.system.replace(/^ours-/, "")] ?? Object.values(f.floorMs)[0];
    const floor = own?.median ?? Number.NaN;
    rows.push([
      `${s.system}: sequential write p50 (ms), and / floor`,
      `${formatNumber(p50, 3)} (${formatRatio(ratio(p50, floor))})`,
    ]);
  }
  return markdownTable(["floor, measured in the same run", "median (min–max)"], rows);
}

/** Memory, start-up and failures per system. */
function systemTable(summary: BenchSummary): string {
  const rows = summary.systems.map((s) => [
    `${s.system} (${s.version})`,
    formatSpread(s.rssMiB, 0),
    formatSpread(s.startupSeconds, 1),
    String(s.runs),
    String(s.failed),
  ]);
  return markdownTable(["system", "RSS per node after a run (MiB)", "start-up (s)", "runs", "failed requests"], rows);
}

/** The targets, one line each. */
function targetLines(summary: BenchSummary): string {
  return summary.targets
    .map((t) => {
      const verdict = t.met === null ? "not measured" : t.met ? "met" : "NOT met";
      return `- ${t.name}: ${formatNumber(t.value, 2)} (target ${t.op} ${formatNumber(t.limit, 2)}): ${verdict}`;
    })
    .join("\n");
}

const ours = (s: SystemSummary) => s.system.startsWith("ours-");

/** The whole summary as text. */
export function reportText(summary: BenchSummary, phases: readonly string[]): string {
  const writes = phases.filter((p) => p.startsWith("write-"));
  return [
    "Acknowledged requests per second (median over runs, min–max):",
    measureTable(summary, "perSecond", 0, phases),
    "\nLatency p50 (ms):",
    measureTable(summary, "p50Ms", 2, phases),
    "\nLatency p99 (ms):",
    measureTable(summary, "p99Ms", 2, phases),
    "\nCPU time of the 3 node processes per acknowledged request (µs):",
    measureTable(summary, "nodeCpuUsPerOp", 0, phases),
    "\nLoad generator CPU per request (µs; the same client for every system):",
    measureTable(summary, "generatorCpuUsPerOp", 0, phases),
    "\nLog fsyncs per second on the leader:",
    measureTable(summary, "leaderSyncsPerSecond", 0, writes),
    "\nAcknowledged writes per leader fsync:",
    measureTable(summary, "writesPerLeaderSync", 1, writes),
    "\nOurs: entries per log sync on the leader (syncs that carried entries):",
    measureTable(summary, "leaderEntriesPerEntrySync", 1, writes, ours),
    "\nOurs: entries per log sync on the followers (syncs that carried entries):",
    measureTable(summary, "followerEntriesPerEntrySync", 1, writes, ours),
    "",
    floorTable(summary),
    "",
    systemTable(summary),
    "\nTargets:",
    targetLines(summary),
  ].join("\n");
}
