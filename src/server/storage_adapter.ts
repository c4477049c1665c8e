/** Connects the runtime's storage port to src/storage (file segments and snapshot files, or the in-memory twin). */
import type { LogEntries, NodeId, Term } from "../../packages/core/src/mod.ts";
import type { OpenedStorage } from "../storage/mod.ts";
import type { RecoveredState, RuntimeStorage, SnapshotFileReader, StoredSnapshot } from "./ports.ts";

/** What opening the storage found, for the startup log. */
export interface RecoverySummary {
  /** True iff this open created the storage (nothing was stored). */
  readonly isNew: boolean;
  /** This run's restart generation. */
  readonly generation: number;
  /** Segment files and records replayed. */
  readonly segments: number;
  readonly records: number;
  /** Entries in the log after the snapshot, and the index of the last one (the snapshot's if none). */
  readonly entries: number;
  readonly lastIndex: number;
  /** The index the snapshot covers (0: none), and its size in bytes. */
  readonly snapshotIndex: number;
  readonly snapshotBytes: number;
  /** True iff a torn write was cut off the end of the log, and how many bytes it held. */
  readonly tornTail: boolean;
  readonly tornTailBytes: number;
  /** True iff the repair option cut the log at a corrupt record. */
  readonly repaired: boolean;
}

/** Opens the node's storage; called again to recover after a failed write. */
export type StorageOpener = () => OpenedStorage;

/** The state to restart from, as the runtime port spells it. */
export function recoveredOf(opened: OpenedStorage): RecoveredState {
  const r = opened.recovered;
  const snapshot = opened.snapshot;
  return {
    term: r.hardState.term,
    votedFor: r.hardState.votedFor,
    generation: r.generation,
    snapshot:
      snapshot === null
        ? null
        : { position: snapshot.meta.position, config: snapshot.meta.config, data: snapshot.data },
    entries: r.log.entries,
  };
}

/** What `opened` recovered, in numbers. */
export function recoverySummary(opened: OpenedStorage): RecoverySummary {
  const r = opened.recovered;
  const entries = r.log.entries;
  const report = r.report;
  return {
    isNew: r.isNew,
    generation: r.generation as number,
    segments: report.segments,
    records: report.records,
    entries: entries.length,
    lastIndex: entries.lastIndex as number,
    snapshotIndex: r.snapshot.position.index as number,
    snapshotBytes: opened.snapshot?.data.byteLength ?? 0,
    tornTail: report.tornTail !== null,
    tornTailBytes: report.tornTail?.droppedBytes ?? 0,
    repaired: report.repaired !== null,
  };
}

/**
 * {@link RuntimeStorage} over a log store and a snapshot store: one write and one fdatasync per
 * sync (group commit). `sync` writes the batch and returns; the file store's fdatasync runs off the
 * event loop and `done` is called when it completes (the in-memory twin completes at once).
 */
export class StorageAdapter implements RuntimeStorage {
  readonly #open: StorageOpener;
  #opened: OpenedStorage;
  #recovered: RecoveredState;
  /** What the latest open found, in numbers (taken at open: the snapshot's bytes may be released). */
  #summary: RecoverySummary;
  /** Entries appended since the last sync (the next sync makes them durable). */
  #unsyncedEntries = 0;

  /** Opens the storage now (throws a StorageError if it cannot). */
  constructor(open: StorageOpener) {
    this.#open = open;
    this.#opened = open();
    this.#recovered = recoveredOf(this.#opened);
    this.#summary = recoverySummary(this.#opened);
  }

  /** The state found by the latest open. */
  get recovered(): RecoveredState {
    return this.#recovered;
  }

  /** What the latest open found, in numbers (for the startup log). */
  get recoverySummary(): RecoverySummary {
    return this.#summary;
  }

  /**
   * Lets go of the recovered snapshot's bytes once the state machine was restored from them (they
   * are as big as the state): `recovered.snapshot` is null afterwards, until the next reopen.
   */
  releaseRecoveredSnapshot(): void {
    this.#opened = { ...this.#opened, snapshot: null };
    this.#recovered = { ...this.#recovered, snapshot: null };
  }

  get durableTerm(): Term {
    return this.#opened.log.hardState.term;
  }

  get hasPending(): boolean {
    return this.#opened.log.hasPending;
  }

  saveHardState(term: Term, votedFor: NodeId | null): void {
    this.#opened.log.saveHardState({ term, votedFor });
  }

  append(entries: LogEntries): void {
    this.#opened.log.append(entries);
    this.#unsyncedEntries += entries.length;
  }

  sync(done: () => void): void {
    const started = performance.now();
    const entries = this.#unsyncedEntries;
    this.#unsyncedEntries = 0; // A failed write discards what was buffered (see LogStore).
    this.#opened.log.startSync((error) => {
      // A failed flush stops the process in the fatal handler; one that throws instead stops it here.
      if (error !== null) throw error;
      this.onSync?.((performance.now() - started) / 1000, entries);
      done();
    });
  }

  syncNow(): void {
    const log = this.#opened.log;
    if (!log.hasPending) return;
    const started = performance.now();
    const inFlight = log.syncInFlight; // Its `done` runs first, inside sync(), and observes it.
    const entries = this.#unsyncedEntries;
    this.#unsyncedEntries = 0;
    log.sync();
    if (entries > 0 || !inFlight) this.onSync?.((performance.now() - started) / 1000, entries);
  }

  /**
   * Told how long each log sync (write plus fdatasync, from its start to its completion) took, in
   * seconds, and how many entries it made durable (for metrics).
   */
  onSync: ((seconds: number, entries: number) => void) | null = null;

  installSnapshot(snapshot: StoredSnapshot, keepLog: boolean): void {
    const meta = { position: snapshot.position, config: snapshot.config };
    this.#opened.snapshots.save(meta, snapshot.data);
    this.#opened.log.compact(meta, { replaceLog: !keepLog });
    this.#opened.snapshots.prune(snapshot.position);
  }

  latestSnapshot(): StoredSnapshot | null {
    const latest = this.#opened.snapshots.latest();
    if (latest === null) return null;
    return { position: latest.meta.position, config: latest.meta.config, data: latest.data };
  }

  openLatestSnapshot(): SnapshotFileReader | null {
    return this.#opened.snapshots.openLatest();
  }

  reopen(): RecoveredState {
    this.close();
    this.#unsyncedEntries = 0;
    this.#opened = this.#open();
    this.#recovered = recoveredOf(this.#opened);
    this.#summary = recoverySummary(this.#opened);
    return this.#recovered;
  }

  close(): void {
    this.#opened.log.close();
  }
}
