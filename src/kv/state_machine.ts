/**
 * The replicated key-value state machine. The runtime feeds it every committed log entry in index
 * order: command entries through {@link KvStateMachine.apply}, term and configuration entries through
 * {@link KvStateMachine.noteIndex}. Applying is deterministic: the same entries give the same state,
 * the same results and byte-identical snapshots on every node.
 */
import type { DeleteCommand, KvCommand, PutCommand } from "../../schemas/kv_command.ts";
import { assert } from "./assert.ts";
import { decodeCommand } from "./command.ts";
import { fingerprintOf, IdempotencyTable } from "./idempotency.ts";
import { decodeSnapshot, encodeSnapshot, type SnapshotError } from "./snapshot.ts";
import { SortedKeys } from "./sorted_keys.ts";
import type { ApplyResult, KvEntry, KvListing, RememberedResult } from "./types.ts";

/** Compare-and-set expectations shared by put and delete. */
type Expectations = Pick<PutCommand, "expectValue" | "expectRevision">;

/** A key-value map with etcd-style revisions and a replicated address book. */
export class KvStateMachine {
  /** Invariant: holds exactly the keys of `#keys`. */
  #entries = new Map<string, KvEntry>();
  #keys = new SortedKeys();
  /** Invariant: every entry's revision is <= appliedIndex. */
  #appliedIndex = 0;
  /** Recent idempotency keys and their first results; every record's index is <= appliedIndex. */
  #idempotency = new IdempotencyTable();

  /**
   * Restores a state machine from {@link KvStateMachine.snapshot} bytes. A corrupt, truncated or
   * unknown snapshot is refused as a whole with a message saying why; nothing is partially restored.
   */
  static restore(bytes: Uint8Array): KvStateMachine | SnapshotError {
    const decoded = decodeSnapshot(bytes);
    if (!decoded.ok) return { reason: decoded.reason, error: decoded.error };
    const { state } = decoded;
    const machine = new KvStateMachine();
    machine.#appliedIndex = state.appliedIndex;
    for (const e of state.entries) machine.#entries.set(e.key, e);
    machine.#keys = SortedKeys.fromSorted(state.entries.map((e) => e.key));
    machine.#idempotency = IdempotencyTable.from(state.idempotency);
    return machine;
  }

  /** Index of the last entry applied or noted; 0 before the first. */
  get appliedIndex(): number {
    return this.#appliedIndex;
  }

  /** Number of keys. */
  get size(): number {
    return this.#entries.size;
  }

  /** Number of idempotency keys remembered. */
  get idempotencyKeys(): number {
    return this.#idempotency.size;
  }

  /**
   * Applies the command entry at `index`. Indexes must strictly increase across `apply` and
   * `noteIndex` calls (they need not be contiguous); anything else throws `KvInvariantError`.
   * An undecodable payload is applied as a no-op with an `invalid_command` result. A command with
   * an idempotency key seen within the window answers the first command's result (with `replayOf`)
   * when it asks for the same, `idempotency_key_reused` when it does not, and changes nothing.
   */
  apply(index: number, payload: string | Uint8Array): ApplyResult {
    this.#advanceTo(index);
    this.#idempotency.expire(index);
    const decoded = decodeCommand(payload);
    if (!decoded.ok) return decoded;
    const command = decoded.command;
    if (command.op === "noop" || command.idempotencyKey === undefined) return this.#applyCommand(index, command);
    const key = command.idempotencyKey;
    const fingerprint = fingerprintOf(command);
    const seen = this.#idempotency.lookup(key);
    if (seen !== undefined) {
      if (seen.fingerprint !== fingerprint)
        return { ok: false, code: "idempotency_key_reused", firstIndex: seen.index };
      return { ...seen.result, replayOf: seen.index };
    }
    const result = command.op === "put" ? this.#put(index, command) : this.#delete(index, command);
    this.#idempotency.remember({ key, index, fingerprint, result });
    return result;
  }

  /**
   * Records that the non-command entry (term or configuration) at `index` was applied, so that
   * {@link KvStateMachine.appliedIndex} covers it. Same ordering rule as {@link KvStateMachine.apply}.
   */
  noteIndex(index: number): void {
    this.#advanceTo(index);
  }

  /** The entry of `key`, or null if absent. */
  get(key: string): KvEntry | null {
    return this.#entries.get(key) ?? null;
  }

  /**
   * Entries whose key starts with `prefix`, in ascending UTF-16 code unit order (JavaScript's string
   * `<`; it differs from UTF-8 byte order only for characters above U+FFFF against U+E000..U+FFFF),
   * at most `limit` of them (a non-negative integer; anything else throws), and only keys after
   * `after` when given (a page cursor: the last key of the previous page). Costs O(log n + limit).
   */
  list(prefix: string, limit: number, after?: string): KvListing {
    assert(Number.isSafeInteger(limit) && limit >= 0, `list limit must be a non-negative integer, got ${limit}`);
    const items: KvEntry[] = [];
    let more = false;
    const start = after !== undefined && after > prefix ? after : prefix;
    this.#keys.scan(start, (key) => {
      if (key === after) return true; // The cursor itself was on the previous page.
      if (!key.startsWith(prefix)) return false;
      if (items.length === limit) {
        more = true;
        return false;
      }
      items.push(this.#entries.get(key) as KvEntry);
      return true;
    });
    return { items, more };
  }

  /** Serialises the whole state (see `snapshot.ts` for the format). */
  snapshot(): Uint8Array {
    const entries = this.#keys.toArray().map((key) => this.#entries.get(key) as KvEntry);
    return encodeSnapshot({ appliedIndex: this.#appliedIndex, entries, idempotency: this.#idempotency.records() });
  }

  /** Asserts that `index` follows the applied index, then moves the applied index to it. */
  #advanceTo(index: number): void {
    assert(Number.isSafeInteger(index) && index > 0, () => `a log index must be a positive integer, got ${index}`);
    assert(
      index > this.#appliedIndex,
      `index ${index} applied after index ${this.#appliedIndex}; indexes must increase`,
    );
    this.#appliedIndex = index;
  }

  #applyCommand(index: number, command: KvCommand): ApplyResult {
    switch (command.op) {
      case "put":
        return this.#put(index, command);
      case "delete":
        return this.#delete(index, command);
      case "noop":
        return { ok: true, revision: index, prev: null };
    }
  }

  #put(index: number, command: PutCommand): RememberedResult {
    const prev = this.#entries.get(command.key) ?? null;
    // Compare-and-set: refuse without changing anything.
    if (!expectationsHold(prev, command)) return { ok: false, code: "compare_failed", current: prev };
    const entry: KvEntry = Object.freeze({
      key: command.key,
      value: command.value,
      revision: index,
      createRevision: prev === null ? index : prev.createRevision,
      version: prev === null ? 1 : prev.version + 1,
    });
    this.#entries.set(command.key, entry);
    if (prev === null)
      assert(this.#keys.insert(command.key), () => `new key ${command.key} was already in the key index`);
    return { ok: true, revision: index, prev };
  }

  #delete(index: number, command: DeleteCommand): RememberedResult {
    const prev = this.#entries.get(command.key) ?? null;
    // Compare-and-set: refuse without changing anything.
    if (!expectationsHold(prev, command)) return { ok: false, code: "compare_failed", current: prev };
    // Deleting a missing key succeeds and changes nothing.
    if (prev === null) return { ok: true, revision: 0, prev: null };
    this.#entries.delete(command.key);
    assert(this.#keys.delete(command.key), () => `deleted key ${command.key} was missing from the key index`);
    return { ok: true, revision: index, prev };
  }
}

/**
 * Whether the compare-and-set expectations hold for the current entry `current` (null if absent).
 * `expectRevision: 0` means the key must not exist; any expectation on a value needs the key to exist.
 */
function expectationsHold(current: KvEntry | null, expect: Expectations): boolean {
  if (expect.expectRevision !== undefined) {
    const revision = current?.revision ?? 0;
    if (revision !== expect.expectRevision) return false;
  }
  if (expect.expectValue !== undefined) {
    if (current === null || current.value !== expect.expectValue) return false;
  }
  return true;
}
