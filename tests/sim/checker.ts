/**
 * Raft's safety properties, checked incrementally as the simulation runs:
 *
 * 1. Election safety: at most one leader per term, over the whole run (counting the leaders that
 *    can act: see checkLeader in node_checks.ts).
 * 2. Log matching: an entry is named by (index, term) once and for all. Every (index, term) maps
 *    to one entry and one predecessor term, so two logs agreeing at an index agree below it.
 * 3. Leader completeness / committed entries never change: every committed index maps to one
 *    entry; nodes hold exactly that entry at or below their commit index; leaders of later terms
 *    hold every committed entry above their snapshot.
 * 4. State machine safety: every node applies the same command at each index, and snapshots
 *    taken at one index are byte-identical.
 * 5. Commit indexes never decrease within one incarnation of a node.
 *
 * Every failed check throws {@link SafetyViolation}.
 */
import { entriesEqual, type LogEntries, type LogEntry, type NodeId } from "../../packages/core/src/mod.ts";

/** Thrown when a Raft safety property does not hold. */
export class SafetyViolation extends Error {
  /** Creates the violation; `message` names the property and the nodes involved. */
  constructor(message: string) {
    super(message);
    this.name = "SafetyViolation";
  }
}

/** A committed entry as first observed. */
export interface CommittedEntry {
  readonly term: number;
  readonly entry: LogEntry;
  /** The term of the node that first saw it committed (the committing leader's term). */
  readonly commitTerm: number;
}

interface Named {
  readonly entry: LogEntry;
  readonly prevTerm: number;
}

function describe(entry: LogEntry): string {
  if (entry.kind === "term") return `term(${entry.term})`;
  if (entry.kind === "config") return `config(${JSON.stringify(entry.config.toJSON())})`;
  return `command(${typeof entry.data === "string" ? entry.data : `${entry.data.length} bytes`})`;
}

/** The global record of what the run has established, and the checks against it. */
export class SafetyChecker {
  readonly #leaders = new Map<number, NodeId>();
  readonly #named = new Map<number, Map<number, Named>>();
  readonly #committed: CommittedEntry[] = [];
  /** The command applied at each index (bounded by the run's length). */
  readonly #applied = new Map<number, string>();
  readonly #snapshots = new Map<number, { readonly id: NodeId; readonly digest: string }>();
  #maxCommitted = 0;

  /** The highest index known committed. Never decreases. */
  get maxCommitted(): number {
    return this.#maxCommitted;
  }

  /** The committed entry at `index`, if known. */
  committedAt(index: number): CommittedEntry | undefined {
    return this.#committed[index];
  }

  /** (1) `id` is leader in `term`. */
  observeLeader(term: number, id: NodeId): void {
    const known = this.#leaders.get(term);
    if (known === undefined) this.#leaders.set(term, id);
    else if (known !== id)
      throw new SafetyViolation(`election safety: ${known} and ${id} are both leaders of term ${term}`);
  }

  /**
   * (2) `id` holds (or sent, or made durable) the entries of `segment`. With `register` false,
   * entries are only compared with known ones: a leader's fresh entries are named once they are
   * visible (sent or durable), since a leader that crashes before its new term is durable may
   * lead that term again after a restart with other entries nobody has seen.
   */
  observeEntries(id: NodeId, segment: LogEntries, register = true): void {
    let prevTerm: number = segment.prevPosition.term;
    for (const [position, entry] of segment.withPositions()) {
      this.observeEntry(id, position.index, position.term, entry, prevTerm, register);
      prevTerm = position.term;
    }
  }

  /** (2) `id` holds `entry` at (index, term), after an entry of `prevTerm` (see {@link observeEntries}). */
  observeEntry(id: NodeId, index: number, term: number, entry: LogEntry, prevTerm: number, register = true): void {
    let byTerm = this.#named.get(index);
    if (byTerm === undefined) {
      if (!register) return;
      byTerm = new Map();
      this.#named.set(index, byTerm);
    }
    const named = byTerm.get(term);
    if (named === undefined) {
      if (register) byTerm.set(term, { entry, prevTerm });
      return;
    }
    if (!entriesEqual(named.entry, entry)) {
      throw new SafetyViolation(
        `log matching: ${id} holds ${describe(entry)} at ${term}/${index}, elsewhere ${describe(named.entry)}`,
      );
    }
    if (named.prevTerm !== prevTerm) {
      throw new SafetyViolation(
        `log matching: ${id} holds ${term}/${index} after an entry of term ${prevTerm}, elsewhere after term ${named.prevTerm}`,
      );
    }
  }

  /** (3) `id`, in term `observerTerm`, reports `entry` at (index, term) committed. */
  observeCommitted(id: NodeId, index: number, term: number, entry: LogEntry, observerTerm: number): boolean {
    const known = this.#committed[index];
    if (known === undefined) {
      this.#committed[index] = { term, entry, commitTerm: observerTerm };
      if (index > this.#maxCommitted) this.#maxCommitted = index;
      return true;
    }
    this.checkCommitted(id, index, term, entry);
    return false;
  }

  /** (3) If `index` is known committed, `id` holding `entry` at (index, term) must hold that very entry. */
  checkCommitted(id: NodeId, index: number, term: number, entry: LogEntry): void {
    const known = this.#committed[index];
    if (known === undefined) return;
    if (known.term !== term || !entriesEqual(known.entry, entry)) {
      throw new SafetyViolation(
        `committed entry changed: ${id} holds ${describe(entry)} at ${term}/${index}, but ${describe(known.entry)} at ${known.term}/${index} was committed`,
      );
    }
  }

  /** (3) A snapshot covering `position` must agree with the committed entry at its index. */
  checkSnapshotPosition(id: NodeId, position: { readonly term: number; readonly index: number }): void {
    const known = this.#committed[position.index];
    if (known !== undefined && known.term !== position.term) {
      throw new SafetyViolation(
        `committed entry changed: ${id} installed a snapshot at ${position.term}/${position.index}, but ${known.term}/${position.index} was committed`,
      );
    }
  }

  /**
   * (3) Leader completeness: a leader of `term` holds every entry committed in a term <= `term`
   * above its snapshot. `log` is the leader's in-memory log.
   */
  checkLeaderHasCommitted(id: NodeId, term: number, log: LogEntries): void {
    for (let i = log.prevIndex + 1; i <= this.#maxCommitted; i++) {
      const known = this.#committed[i];
      if (known === undefined || known.commitTerm > term) continue;
      const entry = log.getEntry(i);
      if (entry === undefined) {
        throw new SafetyViolation(`leader completeness: leader ${id} of term ${term} lacks committed index ${i}`);
      }
      this.checkCommitted(id, i, log.getTerm(i) as number, entry);
    }
  }

  /** (4) `id` applied the command `payload` at `index`: every node applies the same command there. */
  observeAppliedAt(id: NodeId, index: number, payload: string): void {
    const known = this.#applied.get(index);
    if (known === undefined) {
      this.#applied.set(index, payload);
      return;
    }
    if (known !== payload) {
      throw new SafetyViolation(
        `state machine safety: ${id} applied ${payload} at index ${index}, another node applied ${known} there`,
      );
    }
  }

  /**
   * (4) `id` saved a snapshot of its state machine at `index` with a digest of its bytes: equal
   * states give byte-identical snapshots, so every snapshot at one index is the same.
   */
  observeSnapshot(id: NodeId, index: number, digest: string): void {
    const known = this.#snapshots.get(index);
    if (known === undefined) {
      this.#snapshots.set(index, { id, digest });
      return;
    }
    if (known.digest !== digest) {
      throw new SafetyViolation(
        `state machine safety: ${id} and ${known.id} hold different snapshots at index ${index} (${digest} vs ${known.digest})`,
      );
    }
  }

  /** The number of indexes at which a command was applied. */
  get appliedCount(): number {
    return this.#applied.size;
  }

  /** (5) `id`'s commit index moved from `before` to `after` within one incarnation. */
  checkCommitMonotonic(id: NodeId, before: number, after: number): void {
    if (after < before) throw new SafetyViolation(`commit index of ${id} decreased from ${before} to ${after}`);
  }
}

/**
 * (2) The literal log matching property for two logs: if both hold an entry with the same index
 * and term, they hold identical entries at every lower index both still have. Throws otherwise.
 */
export function checkLogsMatch(a: { id: NodeId; log: LogEntries }, b: { id: NodeId; log: LogEntries }): void {
  const low = Math.max(a.log.prevIndex, b.log.prevIndex);
  let i = Math.min(a.log.lastIndex, b.log.lastIndex);
  while (i > low && a.log.getTerm(i) !== b.log.getTerm(i)) i--;
  if (i <= low) return; // No shared (index, term) above both snapshots.
  const top = i;
  for (; i > low; i--) {
    const ea = a.log.getEntry(i) as LogEntry;
    const eb = b.log.getEntry(i) as LogEntry;
    if (a.log.getTerm(i) !== b.log.getTerm(i) || !entriesEqual(ea, eb)) {
      throw new SafetyViolation(
        `log matching: ${a.id} and ${b.id} share ${a.log.getTerm(top)}/${top} but differ at ${i}: ${describe(ea)} vs ${describe(eb)}`,
      );
    }
  }
  if (a.log.getTerm(low) !== b.log.getTerm(low)) {
    throw new SafetyViolation(
      `log matching: ${a.id} and ${b.id} share ${a.log.getTerm(top)}/${top} but differ in the term at ${low}`,
    );
  }
}
