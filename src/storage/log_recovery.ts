/**
 * Opening a log directory: replay every segment, cut a torn tail off the last one, refuse to open
 * on corruption anywhere else (or, with the explicit repair option, truncate there and say what
 * was dropped), and create the first segment of a new log.
 */
import * as path from "node:path";
import { LogPosition } from "../../packages/core/src/mod.ts";
import { StorageError, writeError } from "./errors.ts";
import { type FatalHandler, failStop } from "./fatal.ts";
import { type FileSystem, writeAll } from "./file_system.ts";
import { LogReplay, NO_SNAPSHOT } from "./log_replay.ts";
import {
  type Checkpoint,
  checkFrame,
  type DecodedRecord,
  decodeBody,
  FRAME_HEADER_BYTES,
  frameErrorText,
} from "./record_codec.ts";
import {
  checkSegmentHeader,
  findIntactRecord,
  SEGMENT_HEADER_BYTES,
  segmentName,
  segmentPrologue,
  segmentSeqs,
} from "./segment.ts";
import type { RecoveryReport } from "./types.ts";

/** A segment file of an open log. */
export interface SegmentInfo {
  /** Its sequence number. */
  readonly seq: number;
  /** Its path. */
  readonly path: string;
  /** The last log position when it was created (its checkpoint's `last`). */
  readonly prev: LogPosition;
}

/** What recovery hands to the store. */
export interface RecoveredLog {
  /** The rebuilt state. */
  readonly replay: LogReplay;
  /** The segments, oldest first; the last one is appended to. */
  readonly segments: SegmentInfo[];
  /** The length of the last segment. */
  readonly lastSize: number;
  /** True iff this open created the log. */
  readonly isNew: boolean;
  /** What recovery found and did. */
  readonly report: RecoveryReport;
}

/** How recovery may touch the files. */
export interface RecoveryOptions {
  /** The file system. */
  readonly fs: FileSystem;
  /** Truncate at the first corrupt record instead of refusing to open. */
  readonly repair: boolean;
  /** Where cuts and repairs are reported. */
  readonly log: (message: string) => void;
  /** Called when a flush fails. */
  readonly onFatal: FatalHandler;
}

/** The outcome of replaying one segment; `prev` is its checkpoint's last position, if it was read. */
type SegmentOutcome = { readonly kind: "ok"; readonly size: number; readonly prev: LogPosition } | BadBytes;

/** Bad bytes at `offset` of a segment of `size` bytes, classified as a torn tail or corruption. */
interface BadBytes {
  readonly kind: "torn" | "corrupt";
  readonly offset: number;
  readonly size: number;
  readonly reason: string;
  readonly prev: LogPosition | null;
}

type Repaired = RecoveryReport["repaired"];

/** Opens (or creates) the log in `dir`; throws a {@link StorageError} if it is corrupt. */
export function recoverLog(dir: string, options: RecoveryOptions): RecoveredLog {
  try {
    options.fs.mkdir(dir);
  } catch (cause) {
    throw writeError(`create the log directory ${dir}`, dir, cause);
  }
  return replayAll(dir, options, null);
}

function listSegments(dir: string, fs: FileSystem): number[] {
  try {
    return segmentSeqs(fs.readdir(dir));
  } catch (cause) {
    throw new StorageError("read_failed", `Cannot open the log: listing ${dir} failed (${String(cause)})`, {
      file: dir,
      cause,
    });
  }
}

function replayAll(dir: string, options: RecoveryOptions, repaired: Repaired): RecoveredLog {
  const seqs = listSegments(dir, options.fs);
  const gap = findGap(dir, seqs);
  if (gap !== undefined) return handleCorrupt(dir, seqs, gap, options);
  if (seqs.length === 0) return createLog(dir, options, repaired);
  const replay = new LogReplay();
  const segments: SegmentInfo[] = [];
  let tornTail: RecoveryReport["tornTail"] = null;
  let lastSize = 0;
  for (let i = 0; i < seqs.length; i++) {
    const file = path.join(dir, segmentName(seqs[i]));
    const outcome = replaySegment(options.fs, file, seqs[i], i === seqs.length - 1, replay);
    if (outcome.kind === "corrupt") return handleCorrupt(dir, seqs, { index: i, ...outcome }, options);
    if (outcome.kind === "torn") {
      if (outcome.prev === null && i === 0 && seqs[0] !== 1) {
        return handleCorrupt(
          dir,
          seqs,
          { index: i, ...outcome, reason: `${outcome.reason}, and no earlier segment is left` },
          options,
        );
      }
      tornTail = cutTornTail(file, outcome, options);
      if (outcome.prev === null) break; // The segment held nothing and was removed.
    }
    segments.push({ seq: seqs[i], path: file, prev: outcome.prev as LogPosition });
    lastSize = outcome.kind === "ok" ? outcome.size : outcome.offset;
  }
  if (segments.length === 0) return createLog(dir, options, repaired, tornTail);
  const problem = replay.finish();
  if (problem !== undefined) throw corruptError(segments[0].path, SEGMENT_HEADER_BYTES, problem);
  const report = { segments: segments.length, records: replay.records, tornTail, repaired };
  return { replay, segments, lastSize, isNew: false, report };
}

/** Where replay found a bad record: segment `index` of the listing, at `offset`. */
interface BadSpot {
  readonly index: number;
  readonly offset: number;
  readonly reason: string;
  readonly prev: LogPosition | null;
}

function findGap(dir: string, seqs: readonly number[]): BadSpot | undefined {
  for (let i = 1; i < seqs.length; i++) {
    if (seqs[i] === seqs[i - 1] + 1) continue;
    const missing = path.join(dir, segmentName(seqs[i - 1] + 1));
    return { index: i, offset: 0, reason: `the segment before it (${missing}) is missing`, prev: null };
  }
  return undefined;
}

/** Refuses to open, or (with repair) truncates at the bad spot and replays again. */
function handleCorrupt(dir: string, seqs: readonly number[], bad: BadSpot, options: RecoveryOptions): RecoveredLog {
  const file = path.join(dir, segmentName(seqs[bad.index]));
  if (!options.repair) throw corruptError(file, bad.offset, bad.reason);
  if (bad.index === 0 && bad.prev === null) {
    throw corruptError(
      file,
      bad.offset,
      `${bad.reason}; repair would leave no usable segment, so it was not attempted`,
    );
  }
  const repaired = repairAt(dir, seqs, bad, options);
  return replayAll(dir, { ...options, repair: false }, repaired);
}

function corruptError(file: string, offset: number, reason: string): StorageError {
  return new StorageError(
    "corrupt",
    `Cannot open the log: ${file} is corrupt at byte ${offset}: ${reason}. Refusing to start, because acknowledged ` +
      "data may be missing. To truncate the log there and drop everything after it, open with { repair: true }.",
    { file, offset },
  );
}

function replaySegment(fs: FileSystem, file: string, seq: number, isLast: boolean, replay: LogReplay): SegmentOutcome {
  const bytes = readSegment(fs, file);
  const header = checkSegmentHeader(bytes, seq);
  if (header.kind === "unsupported_version") {
    throw new StorageError(
      "unsupported_version",
      `Cannot open the log: ${file} has format version ${header.version}; this code reads version 1 only`,
      { file, offset: 4 },
    );
  }
  if (header.kind === "damaged") return badBytes(bytes, 0, header.reason, isLast, null);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let prev: LogPosition | null = null;
  let offset = SEGMENT_HEADER_BYTES;
  while (offset < bytes.length) {
    const next = checkFrame(bytes, view, offset, bytes.length);
    if (next < 0) return badBytes(bytes, offset, frameErrorText(next), isLast, prev);
    const record = decodeBody(bytes, view, offset + FRAME_HEADER_BYTES, next);
    const problem = typeof record === "string" ? record : applyRecord(replay, record, seq, offset, prev === null);
    if (problem !== undefined) return { kind: "corrupt", offset, size: bytes.length, reason: problem, prev };
    if (prev === null && typeof record !== "string" && record.type === "checkpoint") prev = record.checkpoint.last;
    offset = next;
  }
  if (prev === null) return badBytes(bytes, offset, "the segment has no checkpoint", isLast, null);
  return { kind: "ok", size: bytes.length, prev };
}

function applyRecord(
  replay: LogReplay,
  record: DecodedRecord,
  seq: number,
  offset: number,
  first: boolean,
): string | undefined {
  if (!first) return replay.apply(record, seq, offset);
  if (record.type !== "checkpoint") return "a segment must start with a checkpoint record";
  return replay.startSegment(record.checkpoint);
}

function readSegment(fs: FileSystem, file: string): Uint8Array {
  try {
    return fs.readFile(file);
  } catch (cause) {
    throw new StorageError("read_failed", `Cannot open the log: reading ${file} failed (${String(cause)})`, {
      file,
      cause,
    });
  }
}

/**
 * Classifies bad bytes at `offset`: a torn tail if this is the last segment and no intact record
 * follows (an interrupted write never reached the disk in full); corruption otherwise.
 */
function badBytes(
  bytes: Uint8Array,
  offset: number,
  reason: string,
  isLast: boolean,
  prev: LogPosition | null,
): SegmentOutcome {
  const size = bytes.length;
  if (!isLast) return { kind: "corrupt", offset, size, reason: `${reason} (in a segment that is not the last)`, prev };
  const found = findIntactRecord(bytes, offset + 1, size);
  if (found === -1) return { kind: "torn", offset, size, reason, prev };
  const why =
    found === -2
      ? "too much data follows to prove it torn"
      : `an intact record follows at byte ${found}, so it is not a torn tail`;
  return { kind: "corrupt", offset, size, reason: `${reason}; ${why}`, prev };
}

function cutTornTail(file: string, torn: BadBytes, options: RecoveryOptions): RecoveryReport["tornTail"] {
  const droppedBytes = torn.size - torn.offset;
  if (torn.prev === null) {
    removeFiles(path.dirname(file), [file], options);
    options.log(
      `storage: removed ${file}: it ends in a torn write before its first record (${torn.reason}; ${torn.size} bytes dropped)`,
    );
  } else {
    truncateFile(file, torn.offset, options);
    options.log(
      `storage: cut a torn write off ${file} at byte ${torn.offset} (${torn.reason}; ${droppedBytes} bytes dropped)`,
    );
  }
  return { file, offset: torn.offset, droppedBytes };
}

function repairAt(dir: string, seqs: readonly number[], bad: BadSpot, options: RecoveryOptions): Repaired {
  const files = seqs.map((seq) => path.join(dir, segmentName(seq)));
  const file = files[bad.index];
  const later = files.slice(bad.index + 1);
  let droppedBytes = later.reduce((sum, f) => sum + fileSize(options.fs, f), 0);
  const droppedFiles = [...later];
  if (bad.prev === null) {
    droppedBytes += fileSize(options.fs, file);
    droppedFiles.unshift(file);
  } else {
    droppedBytes += fileSize(options.fs, file) - bad.offset;
    truncateFile(file, bad.offset, options);
  }
  removeFiles(dir, droppedFiles, options);
  options.log(
    `storage: REPAIR truncated the log at ${file} byte ${bad.offset} (${bad.reason}); dropped ${droppedBytes} bytes` +
      (droppedFiles.length > 0 ? ` including ${droppedFiles.join(", ")}` : ""),
  );
  return { file, offset: bad.offset, reason: bad.reason, droppedBytes, droppedFiles };
}

function fileSize(fs: FileSystem, file: string): number {
  const fd = fs.open(file, "r");
  try {
    return fs.size(fd);
  } finally {
    fs.close(fd);
  }
}

function truncateFile(file: string, length: number, options: RecoveryOptions): void {
  let fd: number;
  try {
    fd = options.fs.open(file, "r+");
    options.fs.ftruncate(fd, length);
  } catch (cause) {
    throw writeError(`truncate ${file} during recovery`, file, cause);
  }
  try {
    options.fs.fdatasync(fd);
  } catch (cause) {
    failStop(options.onFatal, `flushing ${file} after truncating it failed`, cause);
  } finally {
    options.fs.close(fd);
  }
}

function removeFiles(dir: string, files: readonly string[], options: RecoveryOptions): void {
  if (files.length === 0) return;
  try {
    for (const file of files.slice().reverse()) options.fs.unlink(file); // Newest first keeps the rest contiguous.
  } catch (cause) {
    throw writeError("remove a segment during recovery", dir, cause);
  }
  flushDir(dir, options);
}

function flushDir(dir: string, options: RecoveryOptions): void {
  try {
    options.fs.fsyncDir(dir);
  } catch (cause) {
    failStop(options.onFatal, `flushing the directory ${dir} failed`, cause);
  }
}

function createLog(
  dir: string,
  options: RecoveryOptions,
  repaired: Repaired,
  tornTail: RecoveryReport["tornTail"] = null,
): RecoveredLog {
  const replay = new LogReplay();
  const file = path.join(dir, segmentName(1));
  const checkpoint = { hardState: replay.hardState, generation: 0, snapshot: NO_SNAPSHOT, last: LogPosition.ZERO };
  const size = createSegment(file, 1, checkpoint, options);
  flushDir(dir, options);
  flushDir(path.dirname(dir), options); // The log directory itself may be new.
  const report = { segments: 1, records: 0, tornTail, repaired };
  return { replay, segments: [{ seq: 1, path: file, prev: LogPosition.ZERO }], lastSize: size, isNew: true, report };
}

/** Creates segment `seq` holding its header and `checkpoint`, flushed (the directory is not); returns its length. */
function createSegment(file: string, seq: number, checkpoint: Checkpoint, options: RecoveryOptions): number {
  const bytes = segmentPrologue(seq, checkpoint);
  let fd: number;
  try {
    fd = options.fs.open(file, "wx");
  } catch (cause) {
    throw writeError(`create ${file}`, file, cause);
  }
  try {
    writeAll(options.fs, fd, bytes);
  } catch (cause) {
    closeAndRemove(options.fs, fd, file);
    throw writeError(`create ${file}`, file, cause);
  }
  try {
    options.fs.fdatasync(fd);
  } catch (cause) {
    failStop(options.onFatal, `flushing the new segment ${file} failed`, cause);
  } finally {
    options.fs.close(fd);
  }
  return bytes.length;
}

/** Best-effort cleanup of a segment whose creation failed; a leftover is cut as a torn tail on the next open. */
export function closeAndRemove(fs: FileSystem, fd: number, file: string): boolean {
  try {
    fs.close(fd);
    fs.unlink(file);
    return true;
  } catch {
    return false;
  }
}
