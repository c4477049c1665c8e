/**
 * Simulated storage for one node: a durable part and an ordered list of unsynced writes. A sync
 * makes a prefix of the writes durable; a crash throws the unsynced ones away. Appends follow the
 * contract of AppendLogEntries: delete every stored entry after the prev index, then store.
 */
import { type ClusterConfig, Log, LogEntries, LogPosition, type NodeId, Term } from "../../src/core/mod.ts";

/** A state-machine snapshot: everything applied up to `position`, and the config in force there. */
export interface Snapshot {
  readonly position: LogPosition;
  readonly config: ClusterConfig;
  /** The command payloads applied up to `position`, in order. */
  readonly applied: readonly string[];
}

/** One drained batch of storage actions. */
export interface Write {
  /** Set iff SaveCurrentTerm was drained. */
  readonly term?: Term;
  /** Set iff SaveVotedFor was drained (null is a vote for nobody). */
  readonly votedFor?: NodeId | null;
  /** The AppendLogEntries segment, if one was drained. */
  readonly append?: LogEntries;
}

/** What survives a crash. */
export interface DurableState {
  term: Term;
  votedFor: NodeId | null;
  snapshot: Snapshot;
  /** Stored entries after the snapshot position. */
  entries: LogEntries;
}

/** Thrown when the node asks storage for something the AppendLogEntries contract cannot do. */
export class StorageContractError extends Error {
  /** Creates the error with a message naming the write. */
  constructor(message: string) {
    super(`storage contract: ${message}`);
    this.name = "StorageContractError";
  }
}

/** The empty snapshot of a node that never had one. */
export function emptySnapshot(config: ClusterConfig): Snapshot {
  return { position: LogPosition.ZERO, config, applied: [] };
}

function applyWrite(state: DurableState, write: Write): void {
  if (write.term !== undefined) state.term = write.term;
  if (write.votedFor !== undefined) state.votedFor = write.votedFor;
  const append = write.append;
  if (append === undefined) return;
  const stored = state.entries;
  if (append.prevIndex < stored.prevIndex || !stored.contains(append.prevPosition)) {
    const at = LogPosition.format(append.prevPosition);
    const from = LogPosition.format(stored.prevPosition);
    throw new StorageContractError(`cannot append after ${at}: stored log spans ${from}..${stored.lastIndex}`);
  }
  stored.append(append);
}

/** One node's disk, with write-back caching and explicit syncs. */
export class SimStorage {
  readonly #durable: DurableState;
  readonly #unsynced: Write[] = [];
  readonly #capacity: number;
  /** Unsynced writes covered by the sync in flight; 0 when none is in flight. */
  #syncing = 0;
  #written = 0;
  #synced = 0;

  /** Empty storage (term 0, no vote, no entries) whose unsynced writes are capped at `capacity`. */
  constructor(config: ClusterConfig, capacity: number) {
    this.#capacity = capacity;
    this.#durable = {
      term: Term.ZERO,
      votedFor: null,
      snapshot: emptySnapshot(config),
      entries: new LogEntries(LogPosition.ZERO),
    };
  }

  /** Writes issued so far (in this incarnation's numbering). */
  get written(): number {
    return this.#written;
  }

  /** Writes that are durable. Invariant: synced <= written. */
  get synced(): number {
    return this.#synced;
  }

  /** True iff a sync has been started and not completed. */
  get syncInFlight(): boolean {
    return this.#syncing > 0;
  }

  /** The durable snapshot. */
  get snapshot(): Snapshot {
    return this.#durable.snapshot;
  }

  /**
   * Records a write in the unsynced part. Syncs run back to back, so the queue only holds what was
   * written during one fsync; reaching the bound means the simulation stopped syncing (a bug).
   */
  write(write: Write): void {
    if (this.#unsynced.length >= this.#capacity)
      throw new Error(`${this.#capacity} unsynced writes: syncs have stalled`);
    this.#unsynced.push(write);
    this.#written++;
  }

  /** Starts a sync covering every write issued so far; false if one is in flight or nothing is unsynced. */
  beginSync(): boolean {
    if (this.#syncing > 0 || this.#unsynced.length === 0) return false;
    this.#syncing = this.#unsynced.length;
    return true;
  }

  /** Completes the sync in flight; returns the appends it made durable, in order. */
  completeSync(): LogEntries[] {
    const n = this.#syncing;
    this.#syncing = 0;
    return this.#makeDurable(n);
  }

  /** Makes every write durable at once (an fsync before a snapshot); returns the appends, in order. */
  flush(): LogEntries[] {
    this.#syncing = 0;
    return this.#makeDurable(this.#unsynced.length);
  }

  /** Stores `snapshot` durably with `entries` as the log after it. Call only after {@link flush}. */
  storeSnapshot(snapshot: Snapshot, entries: LogEntries): void {
    if (this.#unsynced.length > 0) throw new StorageContractError("a snapshot is stored only after a flush");
    this.#durable.snapshot = snapshot;
    this.#durable.entries = entries;
  }

  /** A crash: unsynced writes are lost, and so is a sync in flight. */
  crash(): void {
    this.#unsynced.length = 0;
    this.#syncing = 0;
    this.#written = this.#synced;
  }

  /** What a restart reads back: term, vote, snapshot, and a fresh log of the durable entries. */
  restore(): { term: Term; votedFor: NodeId | null; snapshot: Snapshot; log: Log } {
    const d = this.#durable;
    return {
      term: d.term,
      votedFor: d.votedFor,
      snapshot: d.snapshot,
      log: new Log(d.snapshot.config, d.entries.clone()),
    };
  }

  #makeDurable(n: number): LogEntries[] {
    const appends: LogEntries[] = [];
    for (let k = 0; k < n; k++) {
      const write = this.#unsynced[k];
      applyWrite(this.#durable, write);
      if (write.append !== undefined) appends.push(write.append);
    }
    this.#unsynced.splice(0, n);
    this.#synced += n;
    return appends;
  }
}
