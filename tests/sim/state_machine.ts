/**
 * The replicated state machine of the simulation: it records the sequence of command payloads it
 * applied, which is exactly what state-machine safety is about. Its snapshot is that sequence, one
 * payload per line (payloads never contain a newline).
 */
import type { LogEntry } from "../../src/core/mod.ts";
import type { Snapshot } from "../../src/storage/mod.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Applies committed entries in index order and remembers every command payload. */
export class StateMachine {
  /** The command payloads applied so far, in order. */
  readonly applied: string[];
  #lastApplied: number;

  /** A state machine that applied `applied` up to index `lastApplied`. */
  constructor(lastApplied = 0, applied: string[] = []) {
    this.applied = applied;
    this.#lastApplied = lastApplied;
  }

  /** The state stored in `snapshot`, or the empty state if there is none. */
  static restore(snapshot: Snapshot | null): StateMachine {
    if (snapshot === null) return new StateMachine();
    const text = decoder.decode(snapshot.data);
    return new StateMachine(snapshot.meta.position.index, text === "" ? [] : text.split("\n"));
  }

  /** The index of the last applied entry. */
  get lastApplied(): number {
    return this.#lastApplied;
  }

  /** The state as snapshot data. */
  toBytes(): Uint8Array {
    return encoder.encode(this.applied.join("\n"));
  }

  /**
   * Applies `entry`, which must sit at the next index. Returns the payload if it was a command
   * (term and config entries change nothing but the applied index).
   */
  apply(index: number, entry: LogEntry): string | undefined {
    if (index !== this.#lastApplied + 1) throw new Error(`Cannot apply index ${index} after ${this.#lastApplied}`);
    this.#lastApplied = index;
    if (entry.kind !== "command") return undefined;
    const payload = typeof entry.data === "string" ? entry.data : decoder.decode(entry.data);
    this.applied.push(payload);
    return payload;
  }
}
