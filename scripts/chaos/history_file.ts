/**
 * The fault run's history: every client operation and every fault, kept in memory for the checks
 * and appended to `history.jsonl` (one JSON object per line) as they complete. An unknown outcome's
 * return time, Infinity, is written as null.
 */
import { appendFileSync, writeFileSync } from "node:fs";
import type { FaultEvent, KvOperation } from "../../tests/linearizability/mod.ts";

/** Lines buffered before they are appended to the file. */
const FLUSH_EVERY_LINES = 200;
/** Most operations a run keeps (a run that would record more stops its clients early). */
export const MAX_OPERATIONS = 2_000_000;

/** One line of `history.jsonl`. */
export type HistoryLine =
  | ({ readonly type: "op" } & Omit<KvOperation, "return"> & { readonly return: number | null })
  | ({ readonly type: "fault" } & FaultEvent);

/** The run's operations and faults, mirrored to a JSON-lines file. */
export class HistoryFile {
  readonly path: string;
  readonly operations: KvOperation[] = [];
  readonly faults: FaultEvent[] = [];
  #buffer: string[] = [];

  /** A history written to `path` (truncated now). */
  constructor(path: string) {
    this.path = path;
    writeFileSync(path, "");
  }

  /** True once {@link MAX_OPERATIONS} operations were recorded. */
  get full(): boolean {
    return this.operations.length >= MAX_OPERATIONS;
  }

  /** Records a completed operation. */
  addOperation(op: KvOperation): void {
    if (this.full) throw new Error(`the history holds ${MAX_OPERATIONS} operations already`);
    this.operations.push(op);
    const ret = op.return === Number.POSITIVE_INFINITY ? null : op.return;
    this.#write({ type: "op", ...op, return: ret });
  }

  /** Records a fault (once it has ended, or at the end of the run if it never did). */
  addFault(fault: FaultEvent): void {
    this.faults.push(fault);
    this.#write({ type: "fault", ...fault });
  }

  /** Appends buffered lines to the file. */
  flush(): void {
    if (this.#buffer.length === 0) return;
    appendFileSync(this.path, this.#buffer.join(""));
    this.#buffer = [];
  }

  #write(line: HistoryLine): void {
    this.#buffer.push(`${JSON.stringify(line)}\n`);
    if (this.#buffer.length >= FLUSH_EVERY_LINES) this.flush();
  }
}

/** Parses a `history.jsonl` back into operations and faults (Infinity restored). */
export function readHistoryLines(text: string): { operations: KvOperation[]; faults: FaultEvent[] } {
  const operations: KvOperation[] = [];
  const faults: FaultEvent[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const parsed = JSON.parse(line) as HistoryLine;
    if (parsed.type === "fault") {
      const { type: _, ...fault } = parsed;
      faults.push(fault);
    } else {
      const { type: _, return: ret, ...rest } = parsed;
      operations.push({ ...rest, return: ret === null ? Number.POSITIVE_INFINITY : ret });
    }
  }
  return { operations, faults };
}
