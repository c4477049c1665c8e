/** Connects the runtime's storage port to src/storage (file segments and snapshot files, or the in-memory twin). */
import type { LogEntries, NodeId, Term } from "../core/mod.ts";
import type { OpenedStorage } from "../storage/mod.ts";
import type { RecoveredState, RuntimeStorage, SnapshotFileReader, StoredSnapshot } from "./ports.ts";

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

/**
 * {@link RuntimeStorage} over a log store and a snapshot store whose syncs complete at once: one
 * write and one fdatasync per sync (group commit), before `sync` returns.
 */
export class StorageAdapter implements RuntimeStorage {
  readonly #open: StorageOpener;
  #opened: OpenedStorage;
  #recovered: RecoveredState;

  /** Opens the storage now (throws a StorageError if it cannot). */
  constructor(open: StorageOpener) {
    this.#open = open;
    this.#opened = open();
    this.#recovered = recoveredOf(this.#opened);
  }

  /** The state found by the latest open. */
  get recovered(): RecoveredState {
    return this.#recovered;
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
  }

  sync(done: () => void): void {
    this.#timedSync();
    done();
  }

  syncNow(): void {
    if (this.#opened.log.hasPending) this.#timedSync();
  }

  /** Told how long each log sync (write plus fdatasync) took, in seconds (for metrics). */
  onSyncDuration: ((seconds: number) => void) | null = null;

  #timedSync(): void {
    const started = performance.now();
    this.#opened.log.sync();
    this.onSyncDuration?.((performance.now() - started) / 1000);
  }

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
    this.#opened = this.#open();
    this.#recovered = recoveredOf(this.#opened);
    return this.#recovered;
  }

  close(): void {
    this.#opened.log.close();
  }
}
