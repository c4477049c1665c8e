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
import {
  entryInconsistency,
  entryTuple,
  findInconsistency,
  resultTuple,
  SNAPSHOT_HEADER_BYTES,
  SNAPSHOT_MAGIC,
  SNAPSHOT_VERSION,
} from "./snapshot.ts";
import type { KvEntry } from "./types.ts";

const EMPTY = new Uint8Array(0);

/** A snapshot being written; add the entries, then finish. */
export class SnapshotEncoder {
  readonly #appliedIndex: number;
  readonly #tail: string;
  readonly #encoder = new TextEncoder();
  /** Encoded body pieces so far. */
  readonly #pieces: Uint8Array[] = [];
  #bodyBytes = 0;
  #crc = 0;
  #entries = 0;
  #lastKey: string | null = null;
  #finished = false;
  /** The final buffer while it is being assembled. */
  #out: Uint8Array | null = null;
  /** Pieces copied into it, and the offset after them. */
  #copied = 0;
  #at = 0;

  /** Starts the snapshot of a state at `appliedIndex` with the idempotency table `idempotency` (in log order). */
  constructor(appliedIndex: number, idempotency: readonly IdempotencyRecord[]) {
    const problem = findInconsistency({ appliedIndex, entries: [], idempotency });
    assert(problem === null, `refusing to write an inconsistent snapshot: ${problem}`);
    this.#appliedIndex = appliedIndex;
    const records = idempotency.map((r) => [r.key, r.index, r.fingerprint, resultTuple(r.result)]);
    this.#tail = `],"idempotency":${JSON.stringify(records)}}`;
    this.#push(`{"appliedIndex":${JSON.stringify(appliedIndex)},"entries":[`);
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
    }
    const json = JSON.stringify(entries.map(entryTuple));
    this.#push((this.#entries === 0 ? "" : ",") + json.slice(1, -1));
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
      this.#push(this.#tail);
      this.#finished = true;
      this.#out = new Uint8Array(SNAPSHOT_HEADER_BYTES + this.#bodyBytes);
      const view = new DataView(this.#out.buffer);
      this.#out.set(SNAPSHOT_MAGIC, 0);
      view.setUint8(4, SNAPSHOT_VERSION);
      view.setBigUint64(8, BigInt(this.#bodyBytes));
      view.setUint32(16, this.#crc);
      this.#at = SNAPSHOT_HEADER_BYTES;
    }
    const out = this.#out;
    assert(out !== null, "the snapshot was already assembled");
    let copied = 0;
    while (this.#copied < this.#pieces.length && copied < maxBytes) {
      const piece = this.#pieces[this.#copied];
      out.set(piece, this.#at);
      this.#at += piece.length;
      copied += piece.length;
      this.#pieces[this.#copied] = EMPTY; // Copied: its memory can go.
      this.#copied += 1;
    }
    if (this.#copied < this.#pieces.length) return null;
    assert(this.#at === out.length, "the assembled snapshot fills its buffer");
    this.#pieces.length = 0;
    this.#out = null;
    return out;
  }

  #push(text: string): void {
    const bytes = this.#encoder.encode(text);
    this.#crc = crc32(bytes, 0, bytes.length, this.#crc);
    this.#bodyBytes += bytes.length;
    this.#pieces.push(bytes);
  }
}
