/**
 * Log syncs of one node as its /metrics counts them, and what a phase did between two readings:
 * fsyncs, and entries made durable per fsync (group commit). Our nodes count syncs and entries
 * (`raft_log_sync_*`); an etcd member counts its WAL fsyncs only.
 */
import { sumOfSamples } from "./metric_samples.ts";

/** Cumulative sync counters of one node at one moment. */
export interface SyncCounters {
  /** Log syncs (each one write and one fdatasync) so far. */
  readonly syncs: number;
  /** Entries made durable by them; undefined when the system does not say (etcd). */
  readonly entries: number | undefined;
  /** Syncs that made no entry durable (term or vote only); undefined when the system does not say. */
  readonly emptySyncs: number | undefined;
}

/** What one node's syncs did during a phase. */
export interface SyncDelta {
  readonly syncs: number;
  /** Entries made durable; NaN when the system does not say. */
  readonly entries: number;
  /** Syncs that made at least one entry durable; NaN when the system does not say. */
  readonly syncsWithEntries: number;
}

/** Our node's counters from its exposition (histograms `raft_log_sync_duration_seconds` and `raft_log_sync_entries`). */
export function ourSyncCounters(exposition: string): SyncCounters {
  return {
    syncs: sumOfSamples(exposition, "raft_log_sync_duration_seconds_count"),
    entries: sumOfSamples(exposition, "raft_log_sync_entries_sum"),
    emptySyncs: sumOfSamples(exposition, "raft_log_sync_entries_bucket", { le: "0" }),
  };
}

/** An etcd member's counters from its exposition (WAL fsyncs). */
export function etcdSyncCounters(exposition: string): SyncCounters {
  return {
    syncs: sumOfSamples(exposition, "etcd_disk_wal_fsync_duration_seconds_count"),
    entries: undefined,
    emptySyncs: undefined,
  };
}

/** What happened between `before` and `after` (readings of the same node, in that order). */
export function syncDelta(before: SyncCounters, after: SyncCounters): SyncDelta {
  const syncs = after.syncs - before.syncs;
  if (syncs < 0) throw new Error(`sync counters went backwards (${before.syncs} → ${after.syncs}): a node restarted`);
  if (after.entries === undefined || before.entries === undefined) {
    return { syncs, entries: Number.NaN, syncsWithEntries: Number.NaN };
  }
  const empty = (after.emptySyncs ?? 0) - (before.emptySyncs ?? 0);
  return { syncs, entries: after.entries - before.entries, syncsWithEntries: syncs - empty };
}

/** Entries per sync of `deltas` together, over every sync (`withEntries` false) or those with entries; NaN if unknown or none. */
export function entriesPerSync(deltas: readonly SyncDelta[], withEntries: boolean): number {
  let entries = 0;
  let syncs = 0;
  for (const d of deltas) {
    entries += d.entries;
    syncs += withEntries ? d.syncsWithEntries : d.syncs;
  }
  return syncs > 0 ? entries / syncs : Number.NaN;
}
