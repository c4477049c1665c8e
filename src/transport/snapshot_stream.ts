/**
 * Snapshot transfer over peer links: the sender cuts a snapshot into chunks, the receiver writes
 * them in order to a temporary file and hands back the whole snapshot once its size and CRC-32
 * check out. Any gap, reordering or mismatch aborts the transfer; the sender starts over.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ClusterConfig, LogPosition, type NodeId } from "../../packages/core/src/mod.ts";
import { crc32 } from "../checksum/crc32.ts";
import type { SnapshotChunk } from "./codec.ts";

/** The default chunk size: 256 KiB of snapshot (about 342 KiB of base64 in a frame). */
export const DEFAULT_SNAPSHOT_CHUNK_BYTES = 256 * 1024;

/** What every chunk of one transfer repeats. */
export interface SnapshotMeta {
  /** The sending node. */
  readonly from: NodeId;
  /** Names the transfer ([A-Za-z0-9._-], at most 128 characters). */
  readonly snapshotId: string;
  /** The last log position the snapshot covers. */
  readonly position: LogPosition;
  /** The configuration at `position`. */
  readonly config: ClusterConfig;
}

/**
 * Cuts `data` into chunks of at most `chunkBytes` (views of `data`, not copies); the last one
 * carries the CRC-32 of the whole snapshot. An empty snapshot is one empty last chunk.
 */
export function* snapshotChunks(
  data: Uint8Array,
  meta: SnapshotMeta,
  chunkBytes = DEFAULT_SNAPSHOT_CHUNK_BYTES,
): Generator<SnapshotChunk> {
  if (!(Number.isSafeInteger(chunkBytes) && chunkBytes > 0)) throw new RangeError("chunkBytes must be positive");
  const totalBytes = data.byteLength;
  let crc = 0;
  let offset = 0;
  do {
    const piece = data.subarray(offset, Math.min(totalBytes, offset + chunkBytes));
    crc = crc32(piece, 0, piece.length, crc);
    const last = offset + piece.byteLength === totalBytes;
    yield { ...meta, offset, totalBytes, data: piece, last, ...(last ? { crc32: crc } : {}) };
    offset += piece.byteLength;
  } while (offset < totalBytes);
}

/** Why a chunk was refused; the transfer it belonged to (if any) is aborted. */
export type SnapshotRejection =
  | "gap" // The chunk does not start where the received bytes end, or no transfer is in progress.
  | "mismatch" // Its totalBytes, position or config differ from the transfer's first chunk.
  | "size" // It overruns totalBytes, or the last chunk ends short of it.
  | "crc" // The bytes received do not have the announced CRC-32.
  | "too_large" // totalBytes exceeds the receiver's limit.
  | "stale" // It starts a transfer of an older snapshot than the one in progress.
  | "busy" // Too many senders are transferring at once.
  | "io"; // The temporary file could not be written.

/** A snapshot received whole and verified. */
export interface ReceivedSnapshot {
  /** The sending node. */
  readonly from: NodeId;
  /** The transfer's id. */
  readonly snapshotId: string;
  /** The snapshot, ready for installation. */
  readonly snapshot: { readonly position: LogPosition; readonly config: ClusterConfig; readonly data: Uint8Array };
}

/** What {@link SnapshotReceiver.accept} made of a chunk. */
export type ReceiveResult =
  | { readonly status: "partial"; readonly receivedBytes: number }
  | { readonly status: "complete"; readonly received: ReceivedSnapshot }
  | { readonly status: "rejected"; readonly reason: SnapshotRejection; readonly message: string };

/** Options of a {@link SnapshotReceiver}. */
export interface SnapshotReceiverOptions {
  /** Where the temporary directory is made; default the system temp directory. */
  readonly dir?: string;
  /** The largest snapshot accepted, in bytes; default 1 GiB. */
  readonly maxBytes?: number;
  /** The most senders transferring at once; default 4. */
  readonly maxTransfers?: number;
}

interface Transfer {
  readonly meta: SnapshotMeta;
  readonly totalBytes: number;
  readonly path: string;
  readonly fd: number;
  received: number;
  crc: number;
}

/**
 * Reassembles snapshots from chunks: at most one transfer per sender, written in order to a
 * temporary file. A chunk at offset 0 with a new snapshot id replaces the sender's transfer in
 * progress unless it is of an older snapshot.
 */
export class SnapshotReceiver {
  readonly #options: SnapshotReceiverOptions;
  readonly #transfers = new Map<NodeId, Transfer>();
  #dir: string | null = null;
  #files = 0;

  /** Creates a receiver; the temporary directory is made on the first chunk. */
  constructor(options: SnapshotReceiverOptions = {}) {
    this.#options = options;
  }

  /** The number of transfers in progress. */
  get inProgress(): number {
    return this.#transfers.size;
  }

  /** Takes one chunk from `chunk.from`. Never throws for bad chunks; it reports them. */
  accept(chunk: SnapshotChunk): ReceiveResult {
    const current = this.#transfers.get(chunk.from);
    if (current !== undefined && current.meta.snapshotId === chunk.snapshotId) return this.#continue(current, chunk);
    if (chunk.offset !== 0) return reject("gap", `Cannot accept chunk at ${chunk.offset}: no transfer of it started`);
    if (current !== undefined && LogPosition.compare(chunk.position, current.meta.position) < 0) {
      return reject("stale", `Cannot start transfer ${chunk.snapshotId}: it is older than ${current.meta.snapshotId}`);
    }
    if (current !== undefined) this.abort(chunk.from); // A newer transfer replaces the one in progress.
    const limit = this.#options.maxBytes ?? 1024 * 1024 * 1024;
    if (chunk.totalBytes > limit) {
      return reject("too_large", `Cannot accept snapshot of ${chunk.totalBytes} bytes: the limit is ${limit}`);
    }
    if (this.#transfers.size >= (this.#options.maxTransfers ?? 4)) {
      return reject("busy", `Cannot start transfer ${chunk.snapshotId}: ${this.#transfers.size} are in progress`);
    }
    return this.#continue(this.#start(chunk), chunk);
  }

  /** Abandons the transfer from `from`, if any, and deletes its file. */
  abort(from: NodeId): void {
    const transfer = this.#transfers.get(from);
    if (transfer === undefined) return;
    this.#transfers.delete(from);
    closeSync(transfer.fd);
    rmSync(transfer.path, { force: true });
  }

  /** Abandons every transfer and removes the temporary directory. */
  close(): void {
    for (const from of [...this.#transfers.keys()]) this.abort(from);
    if (this.#dir !== null) rmSync(this.#dir, { recursive: true, force: true });
    this.#dir = null;
  }

  #start(chunk: SnapshotChunk): Transfer {
    this.#dir ??= mkdtempSync(join(this.#options.dir ?? tmpdir(), "raft-snapshot-"));
    this.#files += 1;
    const path = join(this.#dir, `${this.#files}.part`); // Never a peer-chosen name.
    const meta = { from: chunk.from, snapshotId: chunk.snapshotId, position: chunk.position, config: chunk.config };
    const transfer: Transfer = {
      meta,
      totalBytes: chunk.totalBytes,
      path,
      fd: openSync(path, "w", 0o600),
      received: 0,
      crc: 0,
    };
    this.#transfers.set(chunk.from, transfer);
    return transfer;
  }

  #continue(transfer: Transfer, chunk: SnapshotChunk): ReceiveResult {
    const problem = checkChunk(transfer, chunk);
    if (problem !== null) {
      this.abort(chunk.from);
      return problem;
    }
    try {
      writeFully(transfer.fd, chunk.data);
    } catch (e) {
      this.abort(chunk.from);
      return reject("io", `Cannot store chunk of ${chunk.snapshotId}: ${(e as Error).message}`);
    }
    transfer.received += chunk.data.byteLength;
    transfer.crc = crc32(chunk.data, 0, chunk.data.length, transfer.crc);
    if (!chunk.last) return { status: "partial", receivedBytes: transfer.received };
    return this.#finish(transfer, chunk.crc32);
  }

  #finish(transfer: Transfer, expectedCrc: number | undefined): ReceiveResult {
    const crc = transfer.crc;
    const data = readFileSync(transfer.path);
    this.abort(transfer.meta.from);
    if (crc !== expectedCrc || crc32(data) !== crc) {
      const message = `Cannot install snapshot ${transfer.meta.snapshotId}: CRC-32 ${hex(crc)} is not ${hex(expectedCrc)}`;
      return reject("crc", message);
    }
    const { from, snapshotId, position, config } = transfer.meta;
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    return { status: "complete", received: { from, snapshotId, snapshot: { position, config, data: bytes } } };
  }
}

/** The rejection for a chunk that does not continue `transfer`, or null if it does. */
function checkChunk(transfer: Transfer, chunk: SnapshotChunk): ReceiveResult | null {
  const id = chunk.snapshotId;
  if (chunk.offset !== transfer.received) {
    return reject("gap", `Cannot accept chunk of ${id} at ${chunk.offset}: expected offset ${transfer.received}`);
  }
  const { position, config } = transfer.meta;
  if (chunk.totalBytes !== transfer.totalBytes || !LogPosition.equals(chunk.position, position)) {
    return reject("mismatch", `Cannot accept chunk of ${id}: its size or position differs from the first chunk`);
  }
  if (!chunk.config.equals(config)) return reject("mismatch", `Cannot accept chunk of ${id}: its config differs`);
  const end = chunk.offset + chunk.data.byteLength;
  if (end > transfer.totalBytes || (chunk.last && end !== transfer.totalBytes)) {
    return reject("size", `Cannot accept chunk of ${id}: it ends at ${end} of ${transfer.totalBytes} bytes`);
  }
  return null;
}

function writeFully(fd: number, data: Uint8Array): void {
  let done = 0;
  for (let round = 0; done < data.byteLength && round < 1024; round++) {
    done += writeSync(fd, data, done, data.byteLength - done);
  }
  if (done < data.byteLength)
    throw new Error(`Cannot write snapshot chunk: ${done} of ${data.byteLength} bytes written`);
}

function reject(reason: SnapshotRejection, message: string): ReceiveResult {
  return { status: "rejected", reason, message };
}

function hex(n: number | undefined): string {
  return n === undefined ? "missing" : `0x${n.toString(16).padStart(8, "0")}`;
}
