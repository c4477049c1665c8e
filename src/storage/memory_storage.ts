/**
 * The in-memory twin of the file stores, for the simulator and tests. A {@link MemoryDisk} holds
 * what survives a crash; stores opened on it buffer records exactly like the file stores and make
 * them durable on `sync()`. Faults: a crash loses everything not yet synced, a write can fail
 * (nothing acknowledged, nothing persisted), and a flush can fail (fatal, with an optional prefix
 * of the batch persisted, as when the kernel wrote some pages before the error).
 */

import { createHash } from "node:crypto";
import {
  assert,
  ClusterConfig,
  type Generation,
  Log,
  LogEntries,
  type LogEntry,
  type LogIndex,
  LogPosition,
  type Term,
} from "../../packages/core/src/mod.ts";
import { StorageError } from "./errors.ts";
import { exitProcess, type FatalHandler, failStop } from "./fatal.ts";
import { type PendingOp, PendingOps } from "./pending_ops.ts";
import { encodeSnapshotFile } from "./snapshot_codec.ts";
import type {
  CompactOptions,
  HardState,
  LogStore,
  RecoveredState,
  Snapshot,
  SnapshotFileReader,
  SnapshotMeta,
  SnapshotStore,
} from "./types.ts";

/** The write-failure codes a {@link MemoryDisk} can inject. */
export type InjectedWriteFailure = "write_failed" | "no_space";

/** What survives a crash: the durable state, plus the faults armed for the next writes. */
export class MemoryDisk {
  /** True once a log store has been created on this disk. */
  exists = false;
  /** The durable hard state. */
  hardState: HardState = { term: 0 as Term, votedFor: null };
  /** The durable generation of the last open. */
  generation = 0 as Generation;
  /** The durable snapshot point. */
  snapshot: SnapshotMeta = { position: LogPosition.ZERO, config: ClusterConfig.EMPTY };
  /** The durable entries after the snapshot point. */
  entries: LogEntries = new LogEntries(LogPosition.ZERO);
  /** The durable snapshots, by index. */
  readonly snapshots = new Map<number, Snapshot>();
  /** Flushes performed (one per non-empty sync). */
  flushes = 0;
  #writeFault: InjectedWriteFailure | null = null;
  #syncFault: { keepRecords: number } | null = null;
  #epoch = 0;

  /** Makes the next write (a log sync or a snapshot save) fail with `code`; nothing of it persists. */
  failNextWrite(code: InjectedWriteFailure = "write_failed"): void {
    this.#writeFault = code;
  }

  /**
   * Makes the next log flush fail: the store calls its fatal handler. The first `keepRecords`
   * records of the batch persist (default 0), the rest are lost.
   */
  failNextSync(options: { keepRecords?: number } = {}): void {
    this.#syncFault = { keepRecords: options.keepRecords ?? 0 };
  }

  /** The process dies: every store open on this disk becomes unusable and its unsynced records are lost. */
  crash(): void {
    this.#epoch++;
  }

  /** The current crash epoch (stores remember the epoch they were opened in). */
  get epoch(): number {
    return this.#epoch;
  }

  /** Consumes an armed write fault. */
  takeWriteFault(): InjectedWriteFailure | null {
    const fault = this.#writeFault;
    this.#writeFault = null;
    return fault;
  }

  /** Consumes an armed flush fault. */
  takeSyncFault(): { keepRecords: number } | null {
    const fault = this.#syncFault;
    this.#syncFault = null;
    return fault;
  }
}

/** Options of {@link MemoryLogStore.open}. */
export interface MemoryLogStoreOptions {
  /** Called when an injected flush failure happens; must not return. Default: print and exit. */
  readonly onFatal?: FatalHandler;
}

/** The in-memory {@link LogStore} twin. */
export class MemoryLogStore implements LogStore {
  readonly #disk: MemoryDisk;
  readonly #epoch: number;
  readonly #onFatal: FatalHandler;
  readonly #pending: PendingOps;
  /** How many leading pending operations the sync in flight covers; -1 when none is in flight. */
  #inFlight = -1;
  #unusable: string | null = null;

  private constructor(disk: MemoryDisk, options: MemoryLogStoreOptions) {
    this.#disk = disk;
    this.#epoch = disk.epoch;
    this.#onFatal = options.onFatal ?? exitProcess;
    this.#pending = new PendingOps({
      termAt: (index) => disk.entries.getTerm(index),
      get lastIndex() {
        return disk.entries.lastIndex;
      },
      get snapshotIndex() {
        return disk.entries.prevIndex;
      },
      get hardState() {
        return disk.hardState;
      },
    });
  }

  /** Opens the log on `disk` (creating it), makes this run's generation durable, and returns the state. */
  static open(
    disk: MemoryDisk,
    options: MemoryLogStoreOptions = {},
  ): { store: MemoryLogStore; recovered: RecoveredState } {
    const isNew = !disk.exists;
    disk.crash(); // One process per disk: a store still open from an earlier run stops working.
    disk.exists = true;
    disk.generation = (isNew ? 0 : disk.generation + 1) as Generation;
    const store = new MemoryLogStore(disk, options);
    const recovered: RecoveredState = {
      isNew,
      hardState: disk.hardState,
      generation: disk.generation,
      snapshot: disk.snapshot,
      log: new Log(disk.snapshot.config, disk.entries.clone()),
      report: { segments: 0, records: 0, tornTail: null, repaired: null },
    };
    return { store, recovered };
  }

  /** The durable hard state. */
  get hardState(): HardState {
    return this.#disk.hardState;
  }

  /** This run's generation. */
  get generation(): Generation {
    return this.#disk.generation;
  }

  /** The durable snapshot point. */
  get snapshot(): SnapshotMeta {
    return this.#disk.snapshot;
  }

  /** The last durable position. */
  get durablePosition(): LogPosition {
    return this.#disk.entries.lastPosition;
  }

  /** True iff records are buffered and not yet synced (including those of a sync in flight). */
  get hasPending(): boolean {
    return !this.#pending.isEmpty;
  }

  /** Buffers `entries` (see {@link LogStore.append}). */
  append(entries: LogEntries): void {
    this.#checkUsable();
    const terms = this.#pending.checkAppend(entries);
    if (terms.length === 0 && entries.prevIndex === this.#pending.lastIndex) return;
    this.#pending.ops.push({
      kind: "entries",
      prev: entries.prevPosition,
      terms,
      items: entries.toArray(),
      offsets: null,
    });
  }

  /** Buffers a hard state (see {@link LogStore.saveHardState}). */
  saveHardState(state: HardState): void {
    this.#checkUsable();
    this.#pending.checkHardState(state);
    const current = this.#pending.hardState;
    if (state.term === current.term && state.votedFor === current.votedFor) return; // Already saved or buffered.
    const copy = { term: state.term, votedFor: state.votedFor };
    this.#pending.ops.push({ kind: "hard_state", state: copy, generation: this.#disk.generation });
  }

  /** Buffers a compaction (see {@link LogStore.compact}). */
  compact(snapshot: SnapshotMeta, options: CompactOptions = {}): void {
    this.#checkUsable();
    const reset = this.#pending.checkCompact(snapshot, options.replaceLog ?? false);
    this.#pending.ops.push({ kind: "snapshot", meta: snapshot, reset });
  }

  /** Makes the buffered records durable, or fails as armed on the disk (see {@link LogStore.sync}). */
  sync(): LogPosition {
    this.beginSync();
    return this.completeSync();
  }

  /** Syncs at once (the twin's flush takes no time) and calls `done` (see {@link LogStore.startSync}). */
  startSync(done: (error: unknown) => void): void {
    this.sync();
    done(null);
  }

  /** True iff a sync was begun and not completed. */
  get syncInFlight(): boolean {
    return this.#inFlight >= 0;
  }

  /**
   * Starts a sync covering every record buffered so far, for simulations where a flush takes time:
   * records buffered afterwards belong to the next sync, and a crash before {@link completeSync}
   * loses the whole batch. At most one sync is in flight.
   */
  beginSync(): void {
    this.#checkUsable();
    assert(this.#inFlight < 0, "one sync at a time: complete the sync in flight first");
    this.#inFlight = this.#pending.ops.length;
  }

  /** Completes the sync in flight (see {@link beginSync}); returns the last durable position. */
  completeSync(): LogPosition {
    this.#checkUsable();
    assert(this.#inFlight >= 0, "completeSync() needs a sync in flight");
    const ops = this.#pending.ops.splice(0, this.#inFlight);
    this.#inFlight = -1;
    if (ops.length === 0) return this.durablePosition;
    const writeFault = this.#disk.takeWriteFault();
    if (writeFault !== null) {
      this.#pending.clear(); // Later records may chain onto the failed ones: discard them too, as the file store does.
      throw injectedWriteError(writeFault);
    }
    const syncFault = this.#disk.takeSyncFault();
    if (syncFault !== null) {
      applyOps(this.#disk, ops, syncFault.keepRecords);
      this.#unusable = "an injected flush failure stopped it";
      failStop(this.#onFatal, "fdatasync of the in-memory log failed (injected)", new Error("EIO (injected)"));
    }
    applyOps(this.#disk, ops, Number.POSITIVE_INFINITY);
    this.#disk.flushes++;
    return this.durablePosition;
  }

  /** The durable entries after `after` (see {@link LogStore.read}). */
  read(after: LogIndex, maxEntries = Number.POSITIVE_INFINITY): LogEntries {
    this.#checkUsable();
    const entries = this.#disk.entries;
    const position = entries.positionAt(after);
    assert(
      position !== undefined,
      `cannot read after ${after}: the durable log spans ${entries.prevIndex}..${entries.lastIndex}`,
    );
    return entries.since(position, Math.max(0, Math.floor(maxEntries))) as LogEntries;
  }

  /** Closes the store; buffered records (and a sync in flight) are discarded. */
  close(): void {
    this.#pending.clear();
    this.#inFlight = -1;
    this.#unusable = "it was closed";
  }

  #checkUsable(): void {
    if (this.#unusable === null && this.#epoch !== this.#disk.epoch) this.#unusable = "its process crashed";
    if (this.#unusable === null) return;
    throw new StorageError("unusable", `The in-memory log store cannot be used: ${this.#unusable}; reopen it`);
  }
}

function injectedWriteError(code: InjectedWriteFailure): StorageError {
  const what = code === "no_space" ? "the disk is full (injected ENOSPC)" : "the write failed (injected EIO)";
  return new StorageError(code, `Cannot append to the log: ${what}`);
}

/** Applies `ops` to the disk's durable state, stopping after `budget` records. */
function applyOps(disk: MemoryDisk, ops: readonly PendingOp[], budget: number): void {
  let left = budget;
  for (const op of ops) {
    if (left <= 0) return;
    if (op.kind === "hard_state") {
      disk.hardState = op.state;
      left--;
    } else if (op.kind === "snapshot") {
      disk.entries = op.reset ? new LogEntries(op.meta.position) : (disk.entries.since(op.meta.position) as LogEntries);
      disk.snapshot = op.meta;
      left--;
    } else {
      left = applyEntries(disk.entries, op, left);
    }
  }
}

function applyEntries(entries: LogEntries, op: PendingOp & { kind: "entries" }, budget: number): number {
  entries.truncateAfter(op.prev.index);
  const items = op.items as LogEntry[];
  const n = Math.min(items.length, budget);
  for (let k = 0; k < n; k++) entries.push(items[k]);
  return budget - Math.max(1, n);
}

/** The in-memory {@link SnapshotStore} twin; snapshots live on a {@link MemoryDisk}. */
export class MemorySnapshotStore implements SnapshotStore {
  readonly #disk: MemoryDisk;

  /** A snapshot store on `disk`. */
  constructor(disk: MemoryDisk) {
    this.#disk = disk;
  }

  /** Stores a copy of the snapshot, or fails as armed on the disk (see {@link SnapshotStore.save}). */
  save(meta: SnapshotMeta, data: Uint8Array | Iterable<Uint8Array>): void {
    const fault = this.#disk.takeWriteFault();
    if (fault !== null) throw injectedWriteError(fault);
    const chunks = data instanceof Uint8Array ? [data] : [...data];
    const copy = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
    let at = 0;
    for (const chunk of chunks) {
      copy.set(chunk, at);
      at += chunk.length;
    }
    this.#disk.snapshots.set(meta.position.index, { meta, data: copy });
  }

  /** The snapshot with the highest index, or null (see {@link SnapshotStore.latest}). */
  latest(): Snapshot | null {
    let best: Snapshot | null = null;
    for (const s of this.#disk.snapshots.values())
      if (best === null || s.meta.position.index > best.meta.position.index) best = s;
    return best === null ? null : { meta: best.meta, data: best.data.slice() };
  }

  /** Deletes snapshots below `keep.index` (see {@link SnapshotStore.prune}). */
  prune(keep: LogPosition): number {
    let n = 0;
    for (const index of [...this.#disk.snapshots.keys()]) {
      if (index < keep.index && this.#disk.snapshots.delete(index)) n++;
    }
    return n;
  }

  /** The newest snapshot as its file bytes, in memory (see {@link SnapshotStore.openLatest}). */
  openLatest(): SnapshotFileReader | null {
    const latest = this.latest();
    return latest === null ? null : bytesReader(latest.meta, encodeSnapshotFile(latest.meta, latest.data));
  }
}

/** A {@link SnapshotFileReader} over a snapshot file's bytes held in memory. */
export function bytesReader(meta: SnapshotMeta, bytes: Uint8Array): SnapshotFileReader {
  let offset = 0;
  return {
    meta,
    size: bytes.length,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    read(maxBytes) {
      if (offset >= bytes.length) return null;
      const chunk = bytes.slice(offset, Math.min(bytes.length, offset + maxBytes));
      offset += chunk.length;
      return chunk;
    },
    close() {
      offset = bytes.length;
    },
  };
}
