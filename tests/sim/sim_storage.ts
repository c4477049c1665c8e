/**
 * The runtime's storage port in the simulation: the project's in-memory storage twin on a
 * {@link MemoryDisk} (what survives a crash), whose syncs take simulated time. Every segment the
 * node writes, every segment that becomes durable and every snapshot it saves is reported to the
 * safety checks.
 */
import type { LogEntries, NodeId, Term } from "../../packages/core/src/mod.ts";
import type { RecoveredState, RuntimeStorage, SnapshotFileReader, StoredSnapshot } from "../../src/server/ports.ts";
import { recoveredOf } from "../../src/server/storage_adapter.ts";
import { type MemoryDisk, MemoryLogStore, type OpenedStorage, openMemoryStorage } from "../../src/storage/mod.ts";

/** What the storage tells the simulation. */
export interface StorageObserver {
  /** The node buffered `segment` (checked for log matching and committed entries). */
  appended(segment: LogEntries): void;
  /** `segment`, written earlier, is durable now. */
  durable(segment: LogEntries): void;
  /** The node saved `snapshot` durably. */
  snapshotSaved(snapshot: StoredSnapshot): void;
  /** Schedules the completion of a sync `delay` ticks from now (voided by a crash). */
  scheduleSync(complete: () => void): void;
}

function fatal(message: string, cause: unknown): never {
  throw new Error(`storage stopped the node: ${message} (${cause instanceof Error ? cause.message : String(cause)})`);
}

/** Opens the twin on `disk`; its log store is the one whose syncs can take time. */
function open(disk: MemoryDisk): OpenedStorage & { readonly log: MemoryLogStore } {
  const opened = openMemoryStorage(disk, { onFatal: fatal });
  const log = opened.log;
  if (!(log instanceof MemoryLogStore)) throw new Error("openMemoryStorage returned another log store");
  return { ...opened, log };
}

/** {@link RuntimeStorage} on the in-memory twin, with syncs that complete later. */
export class SimStorage implements RuntimeStorage {
  /** The node this storage belongs to. */
  readonly id: NodeId;
  readonly #disk: MemoryDisk;
  readonly #observer: StorageObserver;
  #opened: OpenedStorage & { readonly log: MemoryLogStore };
  #recovered: RecoveredState;
  /** Segments buffered since the last sync began. */
  #buffered: LogEntries[] = [];
  /** Segments the sync in flight covers, and its callback; null when no sync is in flight. */
  #inFlight: { readonly segments: LogEntries[]; readonly done: () => void; readonly token: number } | null = null;
  #token = 0;

  /** Opens the storage on `disk` (node `id`), reporting to `observer`. */
  constructor(id: NodeId, disk: MemoryDisk, observer: StorageObserver) {
    this.id = id;
    this.#disk = disk;
    this.#observer = observer;
    this.#opened = open(disk);
    this.#recovered = recoveredOf(this.#opened);
  }

  get recovered(): RecoveredState {
    return this.#recovered;
  }

  get durableTerm(): Term {
    return this.#disk.hardState.term;
  }

  get hasPending(): boolean {
    return this.#opened.log.hasPending;
  }

  saveHardState(term: Term, votedFor: NodeId | null): void {
    this.#opened.log.saveHardState({ term, votedFor });
  }

  append(entries: LogEntries): void {
    this.#opened.log.append(entries);
    this.#buffered.push(entries);
    this.#observer.appended(entries);
  }

  sync(done: () => void): void {
    if (this.#inFlight !== null) throw new Error(`${this.id}: a sync started while one is in flight`);
    this.#opened.log.beginSync();
    const token = ++this.#token;
    this.#inFlight = { segments: this.#buffered, done, token };
    this.#buffered = [];
    this.#observer.scheduleSync(() => {
      if (this.#inFlight?.token === token) this.#complete();
    });
  }

  syncNow(): void {
    if (this.#inFlight !== null) this.#complete();
    if (!this.#opened.log.hasPending) return;
    this.#opened.log.beginSync();
    this.#opened.log.completeSync();
    for (const segment of this.#buffered.splice(0)) this.#observer.durable(segment);
  }

  installSnapshot(snapshot: StoredSnapshot, keepLog: boolean): void {
    const meta = { position: snapshot.position, config: snapshot.config };
    this.#opened.snapshots.save(meta, snapshot.data);
    this.#opened.log.compact(meta, { replaceLog: !keepLog });
    this.#opened.snapshots.prune(snapshot.position);
    this.#observer.snapshotSaved(snapshot);
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
    this.#inFlight = null;
    this.#buffered = [];
    this.#opened = open(this.#disk);
    this.#recovered = recoveredOf(this.#opened);
    return this.#recovered;
  }

  close(): void {
    this.#opened.log.close();
  }

  #complete(): void {
    const flight = this.#inFlight;
    if (flight === null) return;
    this.#inFlight = null;
    this.#opened.log.completeSync();
    for (const segment of flight.segments) this.#observer.durable(segment);
    flight.done();
  }
}
