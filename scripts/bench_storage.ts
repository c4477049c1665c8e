/**
 * Storage benchmark. For batches of 1, 10 and 100 entries of 100 bytes it measures entries/s of
 * FileLogStore (append + one sync per batch, i.e. one write and one fdatasync) next to a raw loop
 * that writes the same payload bytes and calls fdatasync once per batch (the floor), alternating
 * the two in rounds so both see the same disk conditions. Then it times reopening a log of
 * 1,000,000 entries.
 *
 * Usage: bun scripts/bench_storage.ts [--seconds S] [--rounds R] [--reopen N] [--dir D]
 *
 * Targets: batch-100 throughput at least 50% of the raw floor's; reopen of 1M entries under 2 s.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { LogEntries, LogEntry, type LogPosition, Term } from "../packages/core/src/mod.ts";
import { FileLogStore } from "../src/storage/mod.ts";

const PAYLOAD_BYTES = 100;
const BATCHES = [1, 10, 100];

interface Args {
  seconds: number;
  rounds: number;
  reopen: number;
  dir: string;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { seconds: 1, rounds: 3, reopen: 1_000_000, dir: os.tmpdir() };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === "--seconds") args.seconds = Number(value);
    else if (flag === "--rounds") args.rounds = Number(value);
    else if (flag === "--reopen") args.reopen = Number(value);
    else if (flag === "--dir") args.dir = value;
    else throw new Error(`unknown flag ${flag}`);
  }
  return args;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Entries per second of a raw write + fdatasync loop writing `batch` payloads per iteration. */
function rawFloor(dir: string, batch: number, seconds: number): number {
  const file = path.join(dir, "raw.bin");
  const fd = fs.openSync(file, "a");
  const bytes = new Uint8Array(batch * PAYLOAD_BYTES).fill(7);
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    fs.writeSync(fd, bytes);
    fs.fdatasyncSync(fd);
    n += batch;
  }
  const elapsed = (performance.now() - start) / 1000;
  fs.closeSync(fd);
  fs.rmSync(file);
  return n / elapsed;
}

/** Entries per second of FileLogStore with one sync per batch of `batch` entries. */
function storeRate(dir: string, batch: number, seconds: number): number {
  const logDir = fs.mkdtempSync(path.join(dir, "log-"));
  const { store } = FileLogStore.open(logDir, { log: () => {} });
  store.saveHardState({ term: Term.of(1), votedFor: null });
  const payload = new Uint8Array(PAYLOAD_BYTES).fill(7);
  let last: LogPosition = store.sync();
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    const entries = new LogEntries(last);
    for (let k = 0; k < batch; k++) entries.push(LogEntry.command(payload));
    store.append(entries);
    last = store.sync();
    n += batch;
  }
  const elapsed = (performance.now() - start) / 1000;
  store.close();
  fs.rmSync(logDir, { recursive: true });
  return n / elapsed;
}

/** Writes `count` entries (in synced batches of 1000) and returns the directory. */
function buildLog(dir: string, count: number): string {
  const logDir = fs.mkdtempSync(path.join(dir, "reopen-"));
  const { store } = FileLogStore.open(logDir, { log: () => {} });
  store.saveHardState({ term: Term.of(1), votedFor: null });
  let last = store.sync();
  const payload = new Uint8Array(PAYLOAD_BYTES).fill(7);
  for (let done = 0; done < count; done += 1000) {
    const entries = new LogEntries(last);
    if (done === 0) entries.push(LogEntry.term(Term.of(1)));
    while (entries.length < Math.min(1000, count - done)) entries.push(LogEntry.command(payload));
    store.append(entries);
    last = store.sync();
  }
  store.close();
  return logDir;
}

function timeReopen(logDir: string, count: number): number {
  const start = performance.now();
  const { store, recovered } = FileLogStore.open(logDir, { log: () => {} });
  const ms = performance.now() - start;
  if (recovered.log.lastPosition.index !== count)
    throw new Error(`reopened ${recovered.log.lastPosition.index} entries`);
  store.close();
  return ms;
}

function runtimeName(): string {
  const g = globalThis as { Bun?: { version: string }; Deno?: { version: { deno: string } } };
  if (g.Bun !== undefined) return `bun ${g.Bun.version}`;
  if (g.Deno !== undefined) return `deno ${g.Deno.version.deno}`;
  return `node ${process.version}`;
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const dir = fs.mkdtempSync(path.join(args.dir, "bench-storage-"));
  console.log(
    `storage benchmark: ${runtimeName()}, ${args.rounds} rounds of ${args.seconds} s per case, in ${args.dir}`,
  );
  console.log("batch | raw write+fdatasync (entries/s) | FileLogStore (entries/s) | ratio");
  try {
    for (const batch of BATCHES) {
      const raw: number[] = [];
      const ours: number[] = [];
      for (let r = 0; r < args.rounds; r++) {
        raw.push(rawFloor(dir, batch, args.seconds));
        ours.push(storeRate(dir, batch, args.seconds));
      }
      const ratio = median(ours) / median(raw);
      console.log(
        `${String(batch).padStart(5)} | ${median(raw).toFixed(0).padStart(31)} | ${median(ours).toFixed(0).padStart(24)} | ${(ratio * 100).toFixed(0)}%`,
      );
    }
    const logDir = buildLog(dir, args.reopen);
    const times = [0, 1, 2].map(() => timeReopen(logDir, args.reopen));
    const bytes = fs.readdirSync(logDir).reduce((sum, f) => sum + fs.statSync(path.join(logDir, f)).size, 0);
    console.log(
      `reopen of ${args.reopen} entries (${(bytes / 1e6).toFixed(0)} MB): ${median(times).toFixed(0)} ms (median of 3; runs ${times.map((t) => t.toFixed(0)).join(", ")} ms)`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
