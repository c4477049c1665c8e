/** Shared helpers for the storage tests: temp dirs, entry builders, fault-injecting file systems. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  ClusterConfig,
  LogEntries,
  type LogEntry,
  type LogPosition,
  NodeId,
  Term,
} from "../../packages/core/src/mod.ts";
import { type FileSystem, nodeFileSystem } from "../../src/storage/mod.ts";

/** A seeded PRNG (the shared test helper, under the name the storage tests use). */
export { seededRandom as prng } from "../helpers/seeded_random.ts";

/** A fresh directory under the OS temp dir; remove it with {@link removeDir}. */
export function tempDir(label = "storage"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `raftbare-${label}-`));
}

/** Removes a directory tree made by {@link tempDir}. */
export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** A segment of string commands after `prev`. */
export function commands(prev: LogPosition, ...data: string[]): LogEntries {
  return LogEntries.from(
    prev,
    data.map((d) => ({ kind: "command", data: d }) as LogEntry),
  );
}

/** A segment starting a new term `term` after `prev`, then string commands. */
export function newTerm(prev: LogPosition, term: number, ...data: string[]): LogEntries {
  const segment = new LogEntries(prev);
  segment.push({ kind: "term", term: Term.of(term) });
  for (const d of data) segment.push({ kind: "command", data: d });
  return segment;
}

/** A configuration of voters named by strings. */
export function config(...voters: string[]): ClusterConfig {
  return new ClusterConfig({ voters: voters.map((v) => NodeId.of(v)) });
}

/** Captures log lines instead of printing them. */
export function captureLog(): { lines: string[]; log: (message: string) => void } {
  const lines: string[] = [];
  return { lines, log: (message) => lines.push(message) };
}

/** Thrown by {@link throwingFatal} so tests observe fail-stop without dying. */
export class FatalCalled extends Error {
  /** The fatal message. */
  readonly fatalMessage: string;

  constructor(message: string) {
    super(`fatal: ${message}`);
    this.fatalMessage = message;
  }
}

/** A fatal handler that throws {@link FatalCalled}. */
export function throwingFatal(message: string): never {
  throw new FatalCalled(message);
}

/** An errno-style error. */
export function errno(code: string): Error {
  return Object.assign(new Error(`${code}: injected`), { code });
}

/** Counts calls and lets a test arm failures on a real file system. */
export interface FaultyFs extends FileSystem {
  /** Calls so far, by operation. */
  readonly calls: Record<string, number>;
  /** Fail the next write: write `partial` bytes first (default 0), then throw `code`. */
  failNextWrite(code: string, partial?: number): void;
  /** Make every write fail with `code` until cleared with null. */
  failWrites(code: string | null): void;
  /** Fail the next fdatasync/fsync (blocking or off the event loop) with EIO. */
  failNextFlush(): void;
  /** Fail the next ftruncate with EIO. */
  failNextTruncate(): void;
}

/** A {@link FileSystem} over `node:fs` that counts calls and injects the failures a test arms. */
export function faultyFs(): FaultyFs {
  const calls: Record<string, number> = {};
  const count = (op: string) => {
    calls[op] = (calls[op] ?? 0) + 1;
  };
  let nextWrite: { code: string; partial: number } | null = null;
  let allWrites: string | null = null;
  let flushFault = false;
  let truncateFault = false;
  const base = nodeFileSystem;
  return {
    ...base,
    calls,
    write(fd, bytes) {
      count("write");
      if (allWrites !== null) throw errno(allWrites);
      if (nextWrite === null) return base.write(fd, bytes);
      const fault = nextWrite;
      nextWrite = null;
      if (fault.partial > 0) base.write(fd, bytes.subarray(0, Math.min(fault.partial, bytes.length)));
      throw errno(fault.code);
    },
    fdatasync(fd) {
      count("fdatasync");
      if (flushFault) {
        flushFault = false;
        throw errno("EIO");
      }
      base.fdatasync(fd);
    },
    fsync(fd) {
      count("fsync");
      if (flushFault) {
        flushFault = false;
        throw errno("EIO");
      }
      base.fsync(fd);
    },
    fsyncDir(dir) {
      count("fsyncDir");
      base.fsyncDir(dir);
    },
    fdatasyncAsync(fd, done) {
      count("fdatasyncAsync");
      if (flushFault) {
        flushFault = false;
        queueMicrotask(() => done(errno("EIO")));
        return;
      }
      base.fdatasyncAsync(fd, done);
    },
    fsyncDirAsync(dir, done) {
      count("fsyncDirAsync");
      base.fsyncDirAsync(dir, done);
    },
    ftruncate(fd, length) {
      count("ftruncate");
      if (truncateFault) {
        truncateFault = false;
        throw errno("EIO");
      }
      base.ftruncate(fd, length);
    },
    failNextWrite(code, partial = 0) {
      nextWrite = { code, partial };
    },
    failWrites(code) {
      allWrites = code;
    },
    failNextFlush() {
      flushFault = true;
    },
    failNextTruncate() {
      truncateFault = true;
    },
  };
}

/**
 * Real files whose flushes are no-ops: for tests of the format and recovery logic that do many
 * syncs and do not test durability itself (it keeps them fast on a busy disk).
 */
export const noFlushFs: FileSystem = {
  ...nodeFileSystem,
  fdatasync: () => {},
  fsync: () => {},
  fsyncDir: () => {},
  fdatasyncAsync: (_fd, done) => queueMicrotask(() => done(null)),
  fsyncDirAsync: (_dir, done) => queueMicrotask(() => done(null)),
};

/** The plain data of a log's entries, for comparisons in `toEqual`. */
export function plainEntries(segment: LogEntries): unknown[] {
  const out: unknown[] = [];
  for (const [position, entry] of segment.withPositions()) {
    const data = entry.kind === "command" ? (typeof entry.data === "string" ? entry.data : [...entry.data]) : undefined;
    const detail = entry.kind === "config" ? entry.config.toJSON() : entry.kind === "term" ? entry.term : data;
    out.push([position.term, position.index, entry.kind, detail]);
  }
  return out;
}

/** The segment files in `dir`, sorted. */
export function segmentFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith("segment-"))
    .sort()
    .map((f) => path.join(dir, f));
}
