/**
 * What the runtime loop reports for metrics: the size of each AppendEntries it sends, and the
 * snapshots it takes and installs. The node implements it with its metrics registry; the default
 * does nothing (tests, the simulator).
 */

/** What made the runtime take a snapshot: `auto` (every `snapshotEvery` entries), `api` (asked for), `transfer` (a follower needs one). */
export type SnapshotTrigger = "auto" | "api" | "transfer";

/**
 * How a snapshot received from a peer ended: `installed`, `stale` (not newer than what the node
 * has, or the node leads), `not_member` (the sender or the snapshot does not name this node as
 * it must), `undecodable` (its state does not decode), `transfer_failed` (a chunk was refused).
 */
export type SnapshotInstallOutcome = "installed" | "stale" | "not_member" | "undecodable" | "transfer_failed";

/** Every {@link SnapshotTrigger}. */
export const SNAPSHOT_TRIGGERS: readonly SnapshotTrigger[] = ["auto", "api", "transfer"];
/** Every {@link SnapshotInstallOutcome}. */
export const SNAPSHOT_INSTALL_OUTCOMES: readonly SnapshotInstallOutcome[] = [
  "installed",
  "stale",
  "not_member",
  "undecodable",
  "transfer_failed",
];

/** The runtime's metrics port. Methods are called on the loop and must not throw. */
export interface RuntimeMetrics {
  /** An AppendEntriesCall with `entries` entries went to the transport for `recipients` peers. */
  appendEntriesSent(entries: number, recipients: number): void;
  /** A snapshot of `bytes` bytes was taken for `trigger` in `seconds` (state machine plus storage). */
  snapshotTaken(trigger: SnapshotTrigger, bytes: number, seconds: number): void;
  /** A snapshot received from a peer ended with `outcome`; `bytes` is its size. */
  snapshotInstall(outcome: SnapshotInstallOutcome, bytes: number): void;
  /** The leader stepped down because its log flush had not completed within an election timeout. */
  stalledFlushStepDown(): void;
}

/** Metrics that record nothing. */
export const NO_RUNTIME_METRICS: RuntimeMetrics = {
  appendEntriesSent() {},
  snapshotTaken() {},
  snapshotInstall() {},
  stalledFlushStepDown() {},
};
