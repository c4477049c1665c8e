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
import { SnapshotEncoder } from "./snapshot_encoder.ts";
import { type FrozenKeys, SortedKeys } from "./sorted_keys.ts";
import type { ApplyResult, KvEntry, KvListing, RememberedResult } from "./types.ts";

/** Entries serialised per {@link KvSnapshotJob.step}. */
export const SNAPSHOT_STEP_ENTRIES = 4096;
/** Bytes of the finished snapshot copied into its buffer per step, per entry of the step's budget. */
const ASSEMBLE_BYTES_PER_ENTRY = 2048;

/**
 * A snapshot of the state at one applied index, written in slices while commands keep applying
 * (see {@link KvStateMachine.beginSnapshot}). Call {@link KvSnapshotJob.step} until it answers
 * true, then read {@link KvSnapshotJob.data}; or {@link KvSnapshotJob.cancel} it.
 */
export interface KvSnapshotJob {
  /** The applied index the snapshot holds the state of. */
  readonly appliedIndex: number;
  /** Serialises up to `entries` more keys; true once the snapshot is complete. */
  step(entries?: number): boolean;
  /** The snapshot bytes (as {@link KvStateMachine.snapshot} at `appliedIndex`); only once complete. */
  readonly data: Uint8Array;
  /** Stops the job and releases its view of the state; `data` is then unavailable. */
  cancel(): void;
}

/**
 * What an open snapshot job needs from the machine: for each key changed since the job began, its
 * entry as it was then (null: absent then). First change wins, so later ones do not overwrite it.
 */
interface OpenView {
  readonly keys: FrozenKeys;
  readonly before: Map<string, KvEntry | null>;
}

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
  /** The view of the open snapshot job, if any. */
  #view: OpenView | null = null;

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

  /**
   * Starts a snapshot of the state as it is now, to be serialised in slices by the job's `step`
   * while this machine keeps applying commands: the job sees the keys through a copy-on-write view
   * and the entries changed since through their first earlier value, so the bytes are exactly
   * {@link KvStateMachine.snapshot} at this applied index. One job at a time.
   */
  beginSnapshot(): KvSnapshotJob {
    assert(this.#view === null, "one snapshot job at a time");
    const view: OpenView = { keys: this.#keys.freeze(), before: new Map() };
    this.#view = view;
    const appliedIndex = this.#appliedIndex;
    const encoder = new SnapshotEncoder(appliedIndex, this.#idempotency.records());
    const entries = this.#entries;
    let chunk = 0;
    let offset = 0;
    let data: Uint8Array | null = null;
    let cancelled = false;
    /** Releases the view (the keys are all encoded, or the job is cancelled). */
    const close = () => {
      if (this.#view !== view) return;
      this.#view = null;
      this.#keys.thaw();
    };
    const entryAt = (key: string): KvEntry => {
      const entry = view.before.has(key) ? view.before.get(key) : entries.get(key);
      assert(
        entry !== undefined && entry !== null,
        () => `key ${JSON.stringify(key)} of the snapshot view has no entry`,
      );
      return entry;
    };
    return {
      appliedIndex,
      step: (max = SNAPSHOT_STEP_ENTRIES) => {
        if (data !== null) return true;
        assert(!cancelled, "a cancelled snapshot job was stepped");
        const batch: KvEntry[] = [];
        const chunks = view.keys.chunks;
        while (batch.length < max && chunk < chunks.length) {
          const keys = chunks[chunk];
          const end = Math.min(keys.length, offset + max - batch.length);
          for (let i = offset; i < end; i++) batch.push(entryAt(keys[i]));
          offset = end;
          if (offset === keys.length) {
            chunk += 1;
            offset = 0;
          }
        }
        encoder.add(batch);
        if (chunk < chunks.length) return false;
        close(); // Every key is encoded: the view is no longer needed.
        data = encoder.assemble(max * ASSEMBLE_BYTES_PER_ENTRY);
        return data !== null;
      },
      get data(): Uint8Array {
        assert(data !== null, "the snapshot job is not complete");
        return data;
      },
      cancel: () => {
        close();
        cancelled = true;
        data = null;
      },
    };
  }

  /** Notes the entry of `key` before its first change while a snapshot job is open. */
  #beforeChange(key: string, current: KvEntry | null): void {
    const view = this.#view;
    if (view !== null && !view.before.has(key)) view.before.set(key, current);
  }

  /** Asserts that `index` follows the applied index, then moves the applied index to it. */
  #advanceTo(index: number): void {
    assert(Number.isSafeInteger(index) && index > 0, () => `a log index must be a positive integer, got ${index}`);
    assert(
      index > this.#appliedIndex,
      () => `index ${index} applied after index ${this.#appliedIndex}; indexes must increase`,
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
    this.#beforeChange(command.key, prev);
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
    this.#beforeChange(command.key, prev);
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
