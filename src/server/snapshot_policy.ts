/**
 * When the runtime takes a snapshot by itself (Raft thesis §5.1.2): once the log since the latest
 * snapshot holds at least as many bytes as that snapshot, so the work of snapshotting stays
 * proportional to the log it compacts (the total cost of snapshots stays linear in the writes
 * however large the state grows), and never before `minEntries` entries were applied since, so a
 * tiny state is not rewritten on every write.
 */

/** What the decision looks at. */
export interface SnapshotPolicyInput {
  /** Entries applied since the latest snapshot's index (or since the start of the log). */
  readonly entriesSince: number;
  /** Payload bytes of the entries applied since the latest snapshot. */
  readonly logBytesSince: number;
  /** Size of the latest snapshot in bytes (0: none yet). */
  readonly lastSnapshotBytes: number;
  /** Fewest entries between two automatic snapshots (`--snapshot-every`). */
  readonly minEntries: number;
}

/** True iff an automatic snapshot is due. */
export function snapshotDue(input: SnapshotPolicyInput): boolean {
  return input.entriesSince >= input.minEntries && input.logBytesSince >= input.lastSnapshotBytes;
}
