/**
 * When the runtime takes a snapshot by itself (Raft thesis §5.1.2): once the log since the latest
 * snapshot holds at least {@link LOG_BYTES_PER_SNAPSHOT_BYTE} of that snapshot's size, so the work
 * of snapshotting stays proportional to the log it compacts (the total cost of snapshots stays
 * linear in the writes however large the state grows), and never before `minEntries` entries were
 * applied since, so a tiny state is not rewritten on every write.
 */

/**
 * The log bytes since the latest snapshot, per byte of that snapshot, that make the next one due.
 * Below 1 the log a restart replays stays a fraction of the state (at 1M keys a whole snapshot's
 * worth of log took seconds to replay; an eighth keeps a restart near a second), for a constant factor more snapshot work per write.
 */
export const LOG_BYTES_PER_SNAPSHOT_BYTE = 0.125;

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
  return (
    input.entriesSince >= input.minEntries &&
    input.logBytesSince >= input.lastSnapshotBytes * LOG_BYTES_PER_SNAPSHOT_BYTE
  );
}
