/**
 * The idempotency table of the key-value state machine (client sessions, Raft thesis §6.3): for each
 * idempotency key seen recently, the log index of the first command that carried it, a fingerprint
 * of that command and its result. A later command with the same key answers that result and changes
 * nothing, so a client may retry a write whose outcome it does not know.
 *
 * Everything here is a function of the log alone, so every node holds the same table at the same
 * index and snapshots stay byte-identical: a key is forgotten once the log has moved
 * {@link IDEMPOTENCY_WINDOW} entries past its first command (never by wall clock), and the oldest
 * keys are forgotten first when the remembered results exceed {@link IDEMPOTENCY_BUDGET}.
 */
import { type DeleteCommand, IDEMPOTENCY_WINDOW, type PutCommand } from "../../schemas/kv_command.ts";
import { crc32 } from "../checksum/crc32.ts";
import { assert } from "./assert.ts";
import type { KvEntry, RememberedResult } from "./types.ts";

export { IDEMPOTENCY_WINDOW };

/**
 * Bound on the remembered keys and results, in UTF-16 code units (keys, fingerprints and the entries
 * in the results); about 64 MiB of text, and at most {@link IDEMPOTENCY_WINDOW} keys.
 */
export const IDEMPOTENCY_BUDGET = 32 * 1024 * 1024;

/** What the table remembers of one key. */
export interface IdempotencyRecord {
  /** The idempotency key. */
  readonly key: string;
  /** Log index of the first command with this key. */
  readonly index: number;
  /** {@link fingerprintOf} that command. */
  readonly fingerprint: string;
  /** What that command answered. */
  readonly result: RememberedResult;
}

/** The idempotency table; records are kept in log order. */
export class IdempotencyTable {
  /** Insertion order is log order (indexes strictly increase). */
  readonly #records = new Map<string, IdempotencyRecord>();
  /** Invariant: the sum of {@link costOf} over the records. */
  #cost = 0;
  #lastIndex = 0;

  /** A table holding `records` (in log order, keys unique); throws `KvInvariantError` otherwise. */
  static from(records: readonly IdempotencyRecord[]): IdempotencyTable {
    const table = new IdempotencyTable();
    for (const record of records) table.remember(record);
    return table;
  }

  /** Number of keys remembered. */
  get size(): number {
    return this.#records.size;
  }

  /** The record of `key`, if remembered. */
  lookup(key: string): IdempotencyRecord | undefined {
    return this.#records.get(key);
  }

  /**
   * Remembers a command's result; its index must exceed every remembered one and its key must be
   * new. Then forgets the oldest keys while the table is over its budget.
   */
  remember(record: IdempotencyRecord): void {
    assert(record.index > this.#lastIndex, () => `idempotency record at ${record.index} after ${this.#lastIndex}`);
    assert(!this.#records.has(record.key), () => `idempotency key ${JSON.stringify(record.key)} remembered twice`);
    this.#records.set(record.key, record);
    this.#lastIndex = record.index;
    this.#cost += costOf(record);
    this.#forgetWhile((oldest) => this.#cost > IDEMPOTENCY_BUDGET && oldest !== record);
  }

  /** Forgets every key whose first command lies {@link IDEMPOTENCY_WINDOW} or more entries before `index`. */
  expire(index: number): void {
    this.#forgetWhile((oldest) => oldest.index <= index - IDEMPOTENCY_WINDOW);
  }

  /** Every record, in log order. */
  records(): IdempotencyRecord[] {
    return [...this.#records.values()];
  }

  /** Forgets the oldest records while `condition` holds for the oldest. */
  #forgetWhile(condition: (oldest: IdempotencyRecord) => boolean): void {
    for (const record of this.#records.values()) {
      if (!condition(record)) return;
      this.#records.delete(record.key);
      this.#cost -= costOf(record);
    }
  }
}

/**
 * A fingerprint of what a command asks for (op, key, value and expectations; not its ids): two
 * commands with the same fingerprint are the same request. Two independent 32-bit hashes of the
 * request and its length, so an accidental match is vanishingly unlikely.
 */
export function fingerprintOf(command: PutCommand | DeleteCommand): string {
  const request = JSON.stringify([
    command.op,
    command.key,
    command.op === "put" ? command.value : null,
    command.expectValue ?? null,
    command.expectRevision ?? null,
  ]);
  const crc = crc32(new TextEncoder().encode(request));
  return `${request.length.toString(36)}.${hex32(crc)}.${hex32(fnv1a(request))}`;
}

/** FNV-1a over the UTF-16 code units of `s`. */
function fnv1a(s: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    hash ^= s.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function hex32(n: number): string {
  return n.toString(16).padStart(8, "0");
}

/** What one record counts against the budget: its strings and the entries in its result. */
function costOf(record: IdempotencyRecord): number {
  const entry = record.result.ok ? record.result.prev : record.result.current;
  return record.key.length + record.fingerprint.length + entryCost(entry) + 64;
}

function entryCost(entry: KvEntry | null): number {
  return entry === null ? 0 : entry.key.length + entry.value.length;
}
