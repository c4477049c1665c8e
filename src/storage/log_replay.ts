/**
 * Replay: rebuilds the logical log from the records of the segments, in order, and checks every
 * record against what came before it. A record that does not fit is reported as a reason string;
 * the caller turns it into a corruption error naming the file and offset.
 */
import {
  ClusterConfig,
  type Generation,
  LogEntries,
  type LogEntry,
  type LogIndex,
  LogPosition,
  type Term,
} from "../../packages/core/src/mod.ts";
import { PositionTable } from "./position_table.ts";
import type { Checkpoint, DecodedRecord } from "./record_codec.ts";
import type { HardState, SnapshotMeta } from "./types.ts";

/** The empty snapshot point of a log that was never compacted. */
export const NO_SNAPSHOT: SnapshotMeta = Object.freeze({ position: LogPosition.ZERO, config: ClusterConfig.EMPTY });

/** The logical state rebuilt from records. */
export class LogReplay {
  /** The latest hard state. */
  hardState: HardState = { term: 0 as HardState["term"], votedFor: null };
  /** The latest restart generation. */
  generation = 0 as Generation;
  /** The latest snapshot point. */
  snapshot: SnapshotMeta = NO_SNAPSHOT;
  /** The entries after the snapshot point (or after the gap, see `gapBelow`). */
  entries: LogEntries = new LogEntries(LogPosition.ZERO);
  /** Terms and record locations of `entries`. */
  table: PositionTable = new PositionTable(LogPosition.ZERO);
  /**
   * Nonzero while the entries between the snapshot and this index are missing because their
   * segments were deleted; a later snapshot record at or above it must close the gap.
   */
  gapBelow = 0;
  /** True while `entries.prevPosition.term` is a guess made inside the gap. */
  #guessedPrev = false;
  /** Records applied. */
  records = 0;
  /** Segments started. */
  segments = 0;

  /** Starts a segment from its checkpoint; returns why it does not fit, or undefined. */
  startSegment(cp: Checkpoint): string | undefined {
    this.segments++;
    this.records++;
    if (this.segments > 1) return this.#continues(cp);
    const last = cp.last;
    const snap = cp.snapshot.position;
    if (last.index < snap.index || (last.index === snap.index && last.term !== snap.term)) {
      return "the checkpoint's last position precedes its snapshot";
    }
    this.hardState = cp.hardState;
    this.generation = cp.generation as Generation;
    this.snapshot = cp.snapshot;
    this.entries = new LogEntries(last);
    this.table = new PositionTable(last);
    this.gapBelow = last.index > snap.index ? last.index : 0;
    return undefined;
  }

  #continues(cp: Checkpoint): string | undefined {
    const diffs: string[] = [];
    const differ = (what: string, stored: unknown, replayed: unknown) => {
      if (stored !== replayed) diffs.push(`${what} ${String(stored)} (replay: ${String(replayed)})`);
    };
    differ("term", cp.hardState.term, this.hardState.term);
    differ("vote", cp.hardState.votedFor, this.hardState.votedFor);
    differ("generation", cp.generation, this.generation);
    differ("snapshot", LogPosition.format(cp.snapshot.position), LogPosition.format(this.snapshot.position));
    differ("snapshot config", JSON.stringify(cp.snapshot.config), JSON.stringify(this.snapshot.config));
    differ("last entry", LogPosition.format(cp.last), LogPosition.format(this.entries.lastPosition));
    if (diffs.length === 0) return undefined;
    return `the checkpoint does not continue the previous segment: ${diffs.join(", ")}`;
  }

  /** Applies one record found at `offset` of segment `segment`; returns why it does not fit, or undefined. */
  apply(record: DecodedRecord, segment: number, offset: number): string | undefined {
    this.records++;
    switch (record.type) {
      case "entry":
        return this.#entry(record.term, record.index, record.entry, segment, offset);
      case "hard_state":
        return this.#hardState(record.state, record.generation);
      case "snapshot":
        return this.#snapshot(record.meta, record.reset);
      case "truncate":
        return this.#truncate(record.position);
      case "checkpoint":
        return "a checkpoint appears after the start of a segment";
    }
  }

  /** Checks the state at the end of replay; returns what is wrong, or undefined. */
  finish(): string | undefined {
    if (this.gapBelow > 0) {
      return `entries ${this.snapshot.position.index + 1}..${this.gapBelow} are missing (a segment before the first one was deleted too early)`;
    }
    if (this.entries.lastTerm > this.hardState.term) {
      return `the log ends in term ${this.entries.lastTerm} but the saved term is ${this.hardState.term}`;
    }
    return undefined;
  }

  #entry(term: number, index: number, entry: LogEntry, segment: number, offset: number): string | undefined {
    if (this.#rewritesGapPrefix(index)) {
      // Inside the deleted prefix the tail was rewritten from `index` on. The term before it is
      // unknown unless it is the snapshot point, and irrelevant: the snapshot that closes the gap
      // covers it. Assume the entry's own term, and let a later rewrite here replace the guess.
      const atSnapshot = index - 1 === this.snapshot.position.index;
      this.#restartAt(
        atSnapshot ? this.snapshot.position : { term: term as Term, index: (index - 1) as LogIndex },
        !atSnapshot,
      );
    }
    const entries = this.entries;
    if (index <= entries.prevIndex) return `entry ${index} is at or below the log's start ${entries.prevIndex}`;
    if (index > entries.lastIndex + 1) return `entry ${index} leaves a gap after ${entries.lastIndex}`;
    const prevTerm = entries.getTerm(index - 1) as number;
    if (entry.kind === "term" ? term < prevTerm : term !== prevTerm) {
      return `entry ${index} has term ${term}, which does not follow term ${prevTerm}`;
    }
    if (index <= entries.lastIndex) {
      entries.truncateAfter(index - 1);
      this.table.truncateAfter(index - 1);
    }
    entries.push(entry);
    this.table.push(term, segment, offset);
    return undefined;
  }

  #hardState(state: HardState, generation: number): string | undefined {
    const current = this.hardState;
    if (state.term < current.term) return `the term goes back from ${current.term} to ${state.term}`;
    if (state.term === current.term && current.votedFor !== null && state.votedFor !== current.votedFor) {
      return `the vote of term ${state.term} changes from ${current.votedFor} to ${state.votedFor}`;
    }
    if (generation < this.generation) return `the generation goes back from ${this.generation} to ${generation}`;
    this.hardState = state;
    this.generation = generation as Generation;
    return undefined;
  }

  #snapshot(meta: SnapshotMeta, reset: boolean): string | undefined {
    const position = meta.position;
    if (position.index <= this.snapshot.position.index) {
      return `the snapshot index goes back from ${this.snapshot.position.index} to ${position.index}`;
    }
    if (reset) {
      this.entries = new LogEntries(position);
      this.table.rebase(position, true);
      this.gapBelow = 0;
    } else if (this.gapBelow > 0 && position.index < this.gapBelow) {
      // Still inside the deleted prefix: the entries after this point are in deleted segments too.
    } else {
      const suffix = this.entries.since(position);
      if (suffix === undefined) return `a compaction to ${LogPosition.format(position)} names an entry the log lacks`;
      this.entries = suffix;
      this.table.rebase(position, false);
      this.gapBelow = 0;
    }
    this.snapshot = meta;
    return undefined;
  }

  #truncate(position: LogPosition): string | undefined {
    if (this.#rewritesGapPrefix(position.index + 1)) this.#restartAt(position, false);
    if (!this.entries.contains(position))
      return `a truncation after ${LogPosition.format(position)} names an entry the log lacks`;
    this.entries.truncateAfter(position.index);
    this.table.truncateAfter(position.index);
    return undefined;
  }

  /** True iff a rewrite from `index` on falls inside the deleted prefix (or right after a guessed term). */
  #rewritesGapPrefix(index: number): boolean {
    if (this.gapBelow === 0 || index <= this.snapshot.position.index) return false;
    const prevIndex = this.entries.prevIndex;
    return index <= prevIndex || (this.#guessedPrev && index === prevIndex + 1);
  }

  /** Inside the gap: the known entries now start after `prev` (whose term may be a guess). */
  #restartAt(prev: LogPosition, guessed: boolean): void {
    this.entries = new LogEntries(prev);
    this.table.rebase(prev, true);
    this.#guessedPrev = guessed;
  }
}
