/**
 * Writes a snapshot (the format of `snapshot.ts`) piece by piece, so a large state can be
 * serialised in slices across turns of the event loop: the idempotency table is taken whole at the
 * start, the entries are added in ascending key order in any number of batches, and
 * {@link SnapshotEncoder.finish} assembles the bytes. The result is byte-identical to
 * `encodeSnapshot` of the same state, and the same consistency checks refuse a broken state.
 */
import { crc32 } from "../checksum/crc32.ts";
import { assert } from "./assert.ts";
import type { IdempotencyRecord } from "./idempotency.ts";
import { entryInconsistency, findInconsistency, metaOf, SNAPSHOT_HEADER_BYTES, snapshotHeader } from "./snapshot.ts";
import { BLOCKS_END, encodeBlock, encodeMeta, SNAPSHOT_BLOCK_ENTRIES } from "./snapshot_binary.ts";
import type { KvEntry } from "./types.ts";

const EMPTY = new Uint8Array(0);

/** A snapshot being written; add the entries, then finish. */
export class SnapshotEncoder {
  readonly #appliedIndex: number;
  /** Entries added but not yet encoded: fewer than a block. */
  #pending: KvEntry[] = [];
  /** Encoded body pieces so far. */
  readonly #pieces: Uint8Array[] = [];
  #bodyBytes = 0;
  #crc = 0;
  #entries = 0;
  #lastKey: string | null = null;
  #finished = false;
  /** The final buffer while it is being assembled. */
  #out: Uint8Array | null = null;
  /** Pieces copied into it whole, bytes copied of the next one, and the offset after them. */
  #copied = 0;
  #pieceAt = 0;
  #at = 0;

  /** Starts the snapshot of a state at `appliedIndex` with the idempotency table `idempotency` (in log order). */
  constructor(appliedIndex: number, idempotency: readonly IdempotencyRecord[]) {
    const problem = findInconsistency({ appliedIndex, entries: [], idempotency });
    assert(problem === null, `refusing to write an inconsistent snapshot: ${problem}`);
    this.#appliedIndex = appliedIndex;
    this.#push(encodeMeta(metaOf(appliedIndex, idempotency)));
  }

  /** Body bytes encoded so far. */
  get bodyBytes(): number {
    return this.#bodyBytes;
  }

  /** Adds `entries`, which must follow every entry added before in ascending key order. */
  add(entries: readonly KvEntry[]): void {
    if (entries.length === 0) return;
    assert(!this.#finished, "entries added to a finished snapshot");
    for (const e of entries) {
      assert(
        this.#lastKey === null || this.#lastKey < e.key,
        () => `refusing to write an inconsistent snapshot: key ${JSON.stringify(e.key)} is out of order or repeated`,
      );
      const problem = entryInconsistency(e, this.#appliedIndex);
      assert(
        problem === null,
        () => `refusing to write an inconsistent snapshot: key ${JSON.stringify(e.key)}: ${problem}`,
      );
      this.#lastKey = e.key;
      this.#pending.push(e);
      if (this.#pending.length === SNAPSHOT_BLOCK_ENTRIES) this.#flush();
    }
    this.#entries += entries.length;
  }

  /** The whole snapshot: header and body, at once (see {@link SnapshotEncoder.assemble} for slices). */
  finish(): Uint8Array {
    let out: Uint8Array | null = null;
    while (out === null) out = this.assemble(Number.POSITIVE_INFINITY);
    return out;
  }

  /**
   * Ends the entries (on the first call) and copies about `maxBytes` more of the snapshot into its
   * final buffer; answers that buffer once it is complete, null until then. No entries may follow.
   */
  assemble(maxBytes: number): Uint8Array | null {
    if (!this.#finished) {
      this.#flush();
      this.#push(BLOCKS_END);
      this.#finished = true;
      this.#out = new Uint8Array(SNAPSHOT_HEADER_BYTES + this.#bodyBytes);
      this.#out.set(snapshotHeader(this.#bodyBytes, this.#crc), 0);
      this.#at = SNAPSHOT_HEADER_BYTES;
    }
    const out = this.#out;
    assert(out !== null, "the snapshot was already assembled");
    let copied = 0;
    while (this.#copied < this.#pieces.length && copied < maxBytes) {
      const piece = this.#pieces[this.#copied];
      const take = Math.min(piece.length - this.#pieceAt, maxBytes - copied);
      out.set(piece.subarray(this.#pieceAt, this.#pieceAt + take), this.#at);
      this.#at += take;
      this.#pieceAt += take;
      copied += take;
      if (this.#pieceAt === piece.length) {
        this.#pieces[this.#copied] = EMPTY; // Copied: its memory can go.
        this.#copied += 1;
        this.#pieceAt = 0;
      }
    }
    if (this.#copied < this.#pieces.length) return null;
    assert(this.#at === out.length, "the assembled snapshot fills its buffer");
    this.#pieces.length = 0;
    this.#out = null;
    return out;
  }

  /** Encodes the pending entries as one block, if there are any. */
  #flush(): void {
    if (this.#pending.length === 0) return;
    this.#push(encodeBlock(this.#pending));
    this.#pending = [];
  }

  #push(bytes: Uint8Array): void {
    this.#crc = crc32(bytes, 0, bytes.length, this.#crc);
    this.#bodyBytes += bytes.length;
    this.#pieces.push(bytes);
  }
}
