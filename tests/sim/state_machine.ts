/**
 * The replicated state machine of the simulation: it records the sequence of command payloads it
 * applied, which is exactly what state-machine safety is about.
 */
import type { LogEntry } from "../../src/core/mod.ts";
import type { Snapshot } from "./sim_storage.ts";

/** Applies committed entries in index order and remembers every command payload. */
export class StateMachine {
  /** The command payloads applied so far, in order. */
  readonly applied: string[];
  #lastApplied: number;

  /** A state machine holding the state of `snapshot`. */
  constructor(snapshot: Snapshot) {
    this.applied = snapshot.applied.slice();
    this.#lastApplied = snapshot.position.index;
  }

  /** The index of the last applied entry. */
  get lastApplied(): number {
    return this.#lastApplied;
  }

  /**
   * Applies `entry`, which must sit at the next index. Returns the payload if it was a command
   * (term and config entries change nothing but the applied index).
   */
  apply(index: number, entry: LogEntry): string | undefined {
    if (index !== this.#lastApplied + 1) throw new Error(`Cannot apply index ${index} after ${this.#lastApplied}`);
    this.#lastApplied = index;
    if (entry.kind !== "command") return undefined;
    const payload = typeof entry.data === "string" ? entry.data : new TextDecoder().decode(entry.data);
    this.applied.push(payload);
    return payload;
  }
}
