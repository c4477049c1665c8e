/**
 * The file-backed {@link LogStore}: append-only segment files of checksummed records, one
 * write and one fdatasync per sync (group commit), rotation at a configured size, and deletion
 * of segments a snapshot covers. Reads go to disk through an in-memory index of record locations.
 *
 * `startSync()` writes the batch and runs its fdatasync off the event loop. While that sync is in
 * flight, its operations stay at the head of the pending list (so new calls are checked against
 * the log they imply) and the records buffered after it wait in the (reset) batch buffer for the
 * next sync; nothing is written to the file while a flush is in flight. The position table, the
 * durable hard state and the snapshot point change only when the flush completes, in order, so
 * reads and `durablePosition` see durable state only. An overwrite of entries still in flight is
 * an ordinary record of the next batch (replay applies it after them).
 */
import * as path from "node:path";
import {
  assert,
  type Generation,
  Log,
  LogEntries,
  type LogEntry,
  type LogIndex,
  type LogPosition,
  type Term,
} from "../../packages/core/src/mod.ts";
import { StorageError, writeError } from "./errors.ts";
import { exitProcess, type FatalHandler, failStop } from "./fatal.ts";
import { type FileSystem, nodeFileSystem, writeAll } from "./file_system.ts";
import { closeAndRemove, type RecoveryOptions, recoverLog, type SegmentInfo } from "./log_recovery.ts";
import { type DurableView, type PendingOp, PendingOps } from "./pending_ops.ts";
import type { PositionTable } from "./position_table.ts";
import { checkFrame, decodeBody, FRAME_HEADER_BYTES, RecordWriter } from "./record_codec.ts";
import { segmentName, segmentPrologue } from "./segment.ts";
import type { CompactOptions, HardState, LogStore, RecoveredState, SnapshotMeta } from "./types.ts";

/** Options of {@link FileLogStore.open}. */
export interface FileLogStoreOptions {
  /** A segment is closed and a new one started once it reaches this size. Default 64 MiB. */
  readonly segmentBytes?: number;
  /** The most bytes of records buffered between two syncs. Default 64 MiB. */
  readonly maxBatchBytes?: number;
  /** On corruption, truncate the log there instead of refusing to open (drops everything after it). */
  readonly repair?: boolean;
  /** Called when a flush fails; must not return. Default: print and exit the process. */
  readonly onFatal?: FatalHandler;
  /** Where recovery reports cuts and repairs, and where warnings go. Default: console.warn. */
  readonly log?: (message: string) => void;
  /** The file system. Default: `node:fs`. */
  readonly fs?: FileSystem;
}

/** A store that opened a log, with the state to restart a node from. */
export interface OpenedLogStore {
  /** The open store. */
  readonly store: FileLogStore;
  /** The recovered state. */
  readonly recovered: RecoveredState;
}

/** The batch whose flush is in flight (see {@link FileLogStore.startSync}). */
interface InFlight {
  /** How many leading pending operations it covers. */
  readonly ops: number;
  /** The segment it was written to, and that segment's file and descriptor. */
  readonly segment: number;
  readonly file: string;
  readonly fd: number;
  /** The offset its records start at, and the segment's length once it is durable. */
  readonly base: number;
  readonly end: number;
  /** True iff it started a new segment, whose name must be durable too. */
  readonly rotated: boolean;
  readonly done: (error: unknown) => void;
}

const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const DEFAULT_BATCH_BYTES = 64 * 1024 * 1024;

/** The file-backed log store. Open it with {@link FileLogStore.open}. */
export class FileLogStore implements LogStore {
  readonly #dir: string;
  readonly #fs: FileSystem;
  readonly #onFatal: FatalHandler;
  readonly #log: (message: string) => void;
  readonly #segmentBytes: number;
  readonly #segments: SegmentInfo[];
  #fd: number;
  /** Invariant: the length of the last segment file, every byte of it durable. */
  #size: number;
  readonly #table: PositionTable;
  #hardState: HardState;
  #generation: Generation;
  #snapshot: SnapshotMeta;
  readonly #writer: RecordWriter;
  readonly #pending: PendingOps;
  #unusable: string | null = null;
  /** The sync in flight, or null. Invariant: its operations lead the pending list. */
  #inFlight: InFlight | null = null;
  /** Flushes off the event loop not yet completed, by descriptor (a superseded one still runs). */
  readonly #flushing = new Map<number, number>();
  /** Descriptors to close once their flushes complete. */
  readonly #closeAfterFlush = new Set<number>();

  private constructor(dir: string, options: FileLogStoreOptions, recovered: ReturnType<typeof recoverLog>) {
    this.#dir = dir;
    this.#fs = options.fs ?? nodeFileSystem;
    this.#onFatal = options.onFatal ?? exitProcess;
    this.#log = options.log ?? ((message) => console.warn(message));
    this.#segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    assert(Number.isSafeInteger(this.#segmentBytes) && this.#segmentBytes > 0, "segmentBytes must be positive");
    this.#writer = new RecordWriter(options.maxBatchBytes ?? DEFAULT_BATCH_BYTES);
    this.#segments = recovered.segments;
    this.#size = recovered.lastSize;
    const replay = recovered.replay;
    this.#table = replay.table;
    this.#hardState = replay.hardState;
    this.#generation = replay.generation;
    this.#snapshot = replay.snapshot;
    this.#pending = new PendingOps(this.#durableView());
    this.#fd = this.#openForAppend(this.#segments[this.#segments.length - 1].path);
  }

  /**
   * Opens the log in `dir` (creating it if needed), recovers it, and makes this run's generation
   * durable. Throws a {@link StorageError} (`corrupt`, `unsupported_version`, `read_failed`, ...).
   */
  static open(dir: string, options: FileLogStoreOptions = {}): OpenedLogStore {
    const recoveryOptions: RecoveryOptions = {
      fs: options.fs ?? nodeFileSystem,
      repair: options.repair ?? false,
      log: options.log ?? ((message) => console.warn(message)),
      onFatal: options.onFatal ?? exitProcess,
    };
    const recovered = recoverLog(dir, recoveryOptions);
    const store = new FileLogStore(dir, options, recovered);
    if (!recovered.isNew) store.#bumpGeneration();

    const replay = recovered.replay;
    const state: RecoveredState = {
      isNew: recovered.isNew,
      hardState: store.#hardState,
      generation: store.#generation,
      snapshot: store.#snapshot,
      log: new Log(replay.snapshot.config, replay.entries),
      report: recovered.report,
    };
    return { store, recovered: state };
  }

  /** The directory holding the segments. */
  get dir(): string {
    return this.#dir;
  }

  /** The durable hard state. */
  get hardState(): HardState {
    return this.#hardState;
  }

  /** This run's restart generation. */
  get generation(): Generation {
    return this.#generation;
  }

  /** The durable snapshot point. */
  get snapshot(): SnapshotMeta {
    return this.#snapshot;
  }

  /** The position of the last durable entry. */
  get durablePosition(): LogPosition {
    return this.#table.lastPosition;
  }

  /** True iff records are buffered and not yet durable (those of a sync in flight included). */
  get hasPending(): boolean {
    return !this.#pending.isEmpty;
  }

  /** True iff a sync begun by {@link FileLogStore.startSync} has not completed. */
  get syncInFlight(): boolean {
    return this.#inFlight !== null;
  }

  /** The segment files, oldest first (for tests and tools). */
  get segmentFiles(): string[] {
    return this.#segments.map((s) => s.path);
  }

  /** Buffers `entries` (see {@link LogStore.append}). */
  append(entries: LogEntries): void {
    this.#checkUsable();
    const terms = this.#pending.checkAppend(entries);
    const prev = entries.prevPosition;
    if (terms.length === 0 && prev.index === this.#pending.lastIndex) return; // Deletes nothing, adds nothing.
    const mark = this.#writer.length;
    const offsets = new Array<number>(terms.length);
    try {
      if (terms.length === 0) this.#writer.truncate(prev);
      for (let k = 0; k < terms.length; k++) {
        const index = prev.index + 1 + k;
        offsets[k] = this.#writer.entry(terms[k], index, entries.getEntry(index) as LogEntry);
      }
    } catch (error) {
      this.#writer.rollback(mark);
      throw error;
    }
    this.#pending.ops.push({ kind: "entries", prev, terms, items: null, offsets });
  }

  /** Buffers a hard state (see {@link HardStateStore.saveHardState}). */
  saveHardState(state: HardState): void {
    this.#checkUsable();
    this.#pending.checkHardState(state);
    const current = this.#pending.hardState;
    if (state.term === current.term && state.votedFor === current.votedFor) return; // Already saved or buffered.
    this.#writer.hardState(state, this.#generation);
    const copy = { term: state.term, votedFor: state.votedFor };
    this.#pending.ops.push({ kind: "hard_state", state: copy, generation: this.#generation });
  }

  /** Buffers a compaction (see {@link LogStore.compact}). */
  compact(snapshot: SnapshotMeta, options: CompactOptions = {}): void {
    this.#checkUsable();
    const reset = this.#pending.checkCompact(snapshot, options.replaceLog ?? false);
    this.#writer.snapshot(snapshot, reset);
    this.#pending.ops.push({ kind: "snapshot", meta: snapshot, reset });
  }

  /**
   * Writes and flushes everything buffered, blocking; returns the last durable position (see
   * {@link LogStore.sync}). A sync in flight is completed first, with a blocking fdatasync of its
   * file (its records are written already), and its `done` is called.
   */
  sync(): LogPosition {
    this.#checkUsable();
    if (this.#inFlight !== null) this.#completeInFlightNow();
    if (this.#pending.isEmpty) return this.durablePosition;
    const bytes = this.#writer.bytes();
    const rotate = this.#size >= this.#segmentBytes;
    const base = rotate ? this.#writeNewSegment(bytes, true) : this.#writeCurrent(bytes);
    this.#flush(this.#fd, this.#segments[this.#segments.length - 1].path);
    this.#size = base + bytes.length;
    const compacted = this.#applyOps(this.#pending.ops.length, this.#segments[this.#segments.length - 1].seq, base);
    this.#writer.reset();
    if (compacted) this.#deleteCoveredSegments();
    return this.durablePosition;
  }

  /**
   * Writes everything buffered now and flushes it off the event loop; `done(null)` once it is
   * durable (see {@link LogStore.startSync}).
   */
  startSync(done: (error: unknown) => void): void {
    this.#checkUsable();
    assert(this.#inFlight === null, "one sync at a time: a sync is in flight");
    if (this.#pending.isEmpty) {
      done(null);
      return;
    }
    const bytes = this.#writer.bytes();
    const rotate = this.#size >= this.#segmentBytes;
    const base = rotate ? this.#writeNewSegment(bytes, false) : this.#writeCurrent(bytes);
    const segment = this.#segments[this.#segments.length - 1];
    const flight: InFlight = {
      ops: this.#pending.ops.length,
      segment: segment.seq,
      file: segment.path,
      fd: this.#fd,
      base,
      end: base + bytes.length,
      rotated: rotate,
      done,
    };
    this.#inFlight = flight;
    this.#writer.reset(); // The records are in the file; what is buffered from now on is the next batch.
    this.#flushing.set(flight.fd, (this.#flushing.get(flight.fd) ?? 0) + 1);
    this.#fs.fdatasyncAsync(flight.fd, (error) => {
      this.#flushEnded(flight.fd);
      if (error !== null || !flight.rotated) this.#flushed(flight, error);
      else this.#fs.fsyncDirAsync(this.#dir, (dirError) => this.#flushed(flight, dirError));
    });
  }

  /** The durable entries after `after` (see {@link LogStore.read}). */
  read(after: LogIndex, maxEntries = Number.POSITIVE_INFINITY): LogEntries {
    this.#checkUsable();
    const table = this.#table;
    const term = table.termAt(after);
    assert(
      term !== undefined,
      `cannot read after ${after}: the durable log spans ${table.base.index}..${table.lastIndex}`,
    );
    const out = new LogEntries({ term: term as Term, index: after });
    const last = Math.min(table.lastIndex, after + Math.max(0, Math.floor(maxEntries)));
    let from = after + 1;
    while (from <= last) from = this.#readRun(out, from, last);
    return out;
  }

  /**
   * Closes the segment file. Buffered records are discarded, and so is a sync in flight (its
   * `done` is never called; the file is closed once its flush ends).
   */
  close(): void {
    if (this.#unusable === "closed") return;
    this.#unusable = "closed";
    this.#inFlight = null;
    this.#writer.rollback(0);
    this.#pending.clear();
    this.#closeFd(this.#fd);
  }

  /** Closes `fd` now, or once the flushes still running on it end. */
  #closeFd(fd: number): void {
    if (this.#flushing.has(fd)) this.#closeAfterFlush.add(fd);
    else this.#fs.close(fd);
  }

  #flushEnded(fd: number): void {
    const left = (this.#flushing.get(fd) ?? 0) - 1;
    assert(left >= 0, "a flush ended that was started");
    if (left > 0) {
      this.#flushing.set(fd, left);
      return;
    }
    this.#flushing.delete(fd);
    if (this.#closeAfterFlush.delete(fd)) this.#fs.close(fd);
  }

  /** The flush of `flight` ended (successfully iff `error` is null). */
  #flushed(flight: InFlight, error: Error | null): void {
    const current = this.#inFlight === flight;
    if (error !== null) {
      // Fatal even when the sync was completed by a blocking flush since: the kernel may have
      // reported the error to this flush only.
      if (current) this.#inFlight = null;
      if (this.#unusable !== "closed") this.#unusable = `flushing ${flight.file} failed`;
      try {
        failStop(
          this.#onFatal,
          `fdatasync of the log segment ${flight.file} failed; its last writes may be lost`,
          error,
        );
      } catch (thrown) {
        if (!current) throw thrown;
        flight.done(thrown);
      }
      return;
    }
    if (!current) return; // Completed by a blocking sync() already, or discarded by close().
    this.#completeInFlight(flight);
    flight.done(null);
  }

  /** Completes the sync in flight with a blocking flush (its records are written already). */
  #completeInFlightNow(): void {
    const flight = this.#inFlight as InFlight;
    this.#flush(flight.fd, flight.file);
    if (flight.rotated) this.#flushDir();
    this.#completeInFlight(flight);
    flight.done(null);
  }

  /** The sync in flight is durable: its operations become the durable state. */
  #completeInFlight(flight: InFlight): void {
    assert(
      this.#inFlight === flight && this.#pending.ops.length >= flight.ops,
      "the sync in flight leads the pending list",
    );
    this.#inFlight = null;
    this.#size = flight.end;
    if (this.#applyOps(flight.ops, flight.segment, flight.base)) this.#deleteCoveredSegments();
  }

  #durableView(): DurableView {
    const table = this.#table;
    const store = this;
    return {
      termAt: (index: number) => table.termAt(index),
      get lastIndex() {
        return table.lastIndex;
      },
      get snapshotIndex() {
        return table.base.index;
      },
      get hardState() {
        return store.#hardState;
      },
    };
  }

  #checkUsable(): void {
    if (this.#unusable === null) return;
    throw new StorageError("unusable", `The log store in ${this.#dir} cannot be used: ${this.#unusable}; reopen it`);
  }

  /**
   * Makes this run's generation (one more than the last run's) durable; closes the store if that
   * fails. The generation changes only once the record is durable, so a segment started by this
   * very sync checkpoints the previous one, as replay expects.
   */
  #bumpGeneration(): void {
    const generation = this.#generation + 1;
    this.#writer.hardState(this.#hardState, generation);
    this.#pending.ops.push({ kind: "hard_state", state: this.#hardState, generation });
    try {
      this.sync();
    } catch (error) {
      this.close();
      throw error;
    }
    assert(this.#generation === generation, "the new generation is durable");
  }

  #openForAppend(file: string): number {
    try {
      return this.#fs.open(file, "a");
    } catch (cause) {
      throw writeError(`open ${file} for appending`, file, cause);
    }
  }

  /** Appends the batch to the current segment; returns the offset it starts at. */
  #writeCurrent(bytes: Uint8Array): number {
    const file = this.#segments[this.#segments.length - 1].path;
    try {
      writeAll(this.#fs, this.#fd, bytes);
      return this.#size;
    } catch (cause) {
      this.#discardPending();
      this.#rollbackFile(file);
      throw writeError("append to the log", file, cause);
    }
  }

  /** Undoes a partial write so later appends do not follow garbage. */
  #rollbackFile(file: string): void {
    try {
      this.#fs.ftruncate(this.#fd, this.#size);
    } catch (cause) {
      this.#unusable = `a failed write left partial data at the end of ${file} and truncating it failed (${String(cause)})`;
    }
  }

  /**
   * Starts the next segment with the batch in it; returns the offset the batch starts at. With
   * `flushDir` the directory is flushed here; otherwise the caller flushes it before acknowledging.
   */
  #writeNewSegment(bytes: Uint8Array, flushDir: boolean): number {
    const seq = this.#segments[this.#segments.length - 1].seq + 1;
    const file = path.join(this.#dir, segmentName(seq));
    const last = this.#table.lastPosition;
    const checkpoint = { hardState: this.#hardState, generation: this.#generation, snapshot: this.#snapshot, last };
    const prologue = segmentPrologue(seq, checkpoint);
    let fd: number;
    try {
      fd = this.#fs.open(file, "wx");
    } catch (cause) {
      this.#discardPending();
      throw writeError("start a new log segment", file, cause);
    }
    try {
      writeAll(this.#fs, fd, prologue);
      writeAll(this.#fs, fd, bytes);
    } catch (cause) {
      this.#discardPending();
      if (!closeAndRemove(this.#fs, fd, file))
        this.#unusable = `a failed write left ${file} behind and removing it failed`;
      throw writeError("start a new log segment", file, cause);
    }
    if (flushDir) this.#flushDir(); // The new file's name must be durable before its records are acknowledged.
    this.#closeFd(this.#fd);
    this.#fd = fd;
    this.#segments.push({ seq, path: file, prev: last });
    this.#size = 0;
    return prologue.length;
  }

  #discardPending(): void {
    this.#writer.reset();
    this.#pending.clear();
  }

  #flush(fd: number, file: string): void {
    try {
      this.#fs.fdatasync(fd);
    } catch (cause) {
      this.#unusable = `flushing ${file} failed`;
      failStop(this.#onFatal, `fdatasync of the log segment ${file} failed; its last writes may be lost`, cause);
    }
  }

  #flushDir(): void {
    try {
      this.#fs.fsyncDir(this.#dir);
    } catch (cause) {
      this.#unusable = `flushing the directory ${this.#dir} failed`;
      failStop(this.#onFatal, `fsync of the log directory ${this.#dir} failed`, cause);
    }
  }

  /**
   * Applies the first `count` pending operations (now durable in `segment` from offset `base`) to
   * the durable state and drops them from the pending list; returns true iff the snapshot point moved.
   */
  #applyOps(count: number, segment: number, base: number): boolean {
    let compacted = false;
    const ops = this.#pending.ops.splice(0, count);
    for (const op of ops) compacted = this.#applyOp(op, segment, base) || compacted;
    return compacted;
  }

  #applyOp(op: PendingOp, segment: number, base: number): boolean {
    if (op.kind === "hard_state") {
      this.#hardState = op.state;
      this.#generation = op.generation as Generation;
      return false;
    }
    if (op.kind === "snapshot") {
      this.#table.rebase(op.meta.position, op.reset);
      this.#snapshot = op.meta;
      return true;
    }
    const table = this.#table;
    const offsets = op.offsets as number[];
    table.truncateAfter(op.prev.index);
    for (let k = 0; k < op.terms.length; k++) table.push(op.terms[k], segment, base + offsets[k]);
    return false;
  }

  /** Deletes the oldest segments while everything they hold is at or below the snapshot index. */
  #deleteCoveredSegments(): void {
    const segments = this.#segments;
    let deleted = 0;
    while (segments.length > 1 && segments[1].prev.index <= this.#snapshot.position.index) {
      try {
        this.#fs.unlink(segments[0].path);
      } catch (cause) {
        this.#log(
          `storage: could not delete ${segments[0].path} (${String(cause)}); will retry after the next compaction`,
        );
        break;
      }
      segments.shift();
      deleted++;
    }
    if (deleted > 0) this.#flushDir();
  }

  /** Reads entries from..(the last one in the same segment, at most `last`) into `out`; returns the next index. */
  #readRun(out: LogEntries, from: number, last: number): number {
    const table = this.#table;
    const segment = table.segmentAt(from);
    let to = from;
    while (to < last && table.segmentAt(to + 1) === segment) to++;
    const info = this.#segments.find((s) => s.seq === segment);
    assert(info !== undefined, `segment ${segment} of entry ${from} is open`);
    const start = table.offsetAt(from);
    const bytes = this.#readRange(info.path, start, table.offsetAt(to));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let index = from; index <= to; index++) {
      const at = table.offsetAt(index) - start;
      const next = checkFrame(bytes, view, at, bytes.length);
      const record = next < 0 ? "the record fails its checks" : decodeBody(bytes, view, at + FRAME_HEADER_BYTES, next);
      if (
        typeof record === "string" ||
        record.type !== "entry" ||
        record.index !== index ||
        record.term !== table.termAt(index)
      ) {
        throw new StorageError(
          "corrupt",
          `Cannot read entry ${index}: ${info.path} at byte ${at + start} no longer holds it`,
          {
            file: info.path,
            offset: at + start,
          },
        );
      }
      out.push(record.entry);
    }
    return to + 1;
  }

  /** Reads from `start` through the end of the record at `lastRecord` in `file`. */
  #readRange(file: string, start: number, lastRecord: number): Uint8Array {
    const fd = this.#fs.open(file, "r");
    try {
      const header = new Uint8Array(FRAME_HEADER_BYTES);
      this.#fs.read(fd, header, FRAME_HEADER_BYTES, lastRecord);
      const end = lastRecord + FRAME_HEADER_BYTES + new DataView(header.buffer).getUint32(4, true);
      const bytes = new Uint8Array(end - start);
      let done = 0;
      while (done < bytes.length) {
        const n = this.#fs.read(fd, bytes.subarray(done), bytes.length - done, start + done);
        if (n <= 0) break;
        done += n;
      }
      return bytes.subarray(0, done);
    } finally {
      this.#fs.close(fd);
    }
  }
}
