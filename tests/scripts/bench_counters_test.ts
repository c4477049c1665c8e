import { describe, expect, it } from "bun:test";
import { sumOfSamples } from "../../scripts/bench/metric_samples.ts";
import { cpuTicksOfStat, rssKibOfStatus } from "../../scripts/bench/proc_stat.ts";
import { entriesPerSync, etcdSyncCounters, ourSyncCounters, syncDelta } from "../../scripts/bench/sync_counters.ts";

const OURS = `# HELP raft_log_sync_duration_seconds Durations of log syncs.
# TYPE raft_log_sync_duration_seconds histogram
raft_log_sync_duration_seconds_bucket{le="0.001"} 90
raft_log_sync_duration_seconds_bucket{le="+Inf"} 100
raft_log_sync_duration_seconds_sum 0.05
raft_log_sync_duration_seconds_count 100
# TYPE raft_log_sync_entries histogram
raft_log_sync_entries_bucket{le="0"} 10
raft_log_sync_entries_bucket{le="1"} 40
raft_log_sync_entries_bucket{le="+Inf"} 100
raft_log_sync_entries_sum 2500
raft_log_sync_entries_count 100
raft_client_writes_total{outcome="applied"} 7
raft_client_writes_total{outcome="timeout"} 2
`;

describe("the benchmark's readings of /metrics and /proc", () => {
  it("sumOfSamples() adds the samples of exactly that name, filtered by labels; 0 when absent", () => {
    expect(sumOfSamples(OURS, "raft_client_writes_total")).toBe(9);
    expect(sumOfSamples(OURS, "raft_client_writes_total", { outcome: "timeout" })).toBe(2);
    expect(sumOfSamples(OURS, "raft_log_sync_entries_bucket", { le: "0" })).toBe(10);
    expect(sumOfSamples(OURS, "raft_log_sync_entries")).toBe(0);
    expect(sumOfSamples(OURS, "nothing_here")).toBe(0);
    expect(sumOfSamples('x{a="q\\"uo,te",b="2"} 3 1700000000000\n', "x", { a: 'q"uo,te' })).toBe(3);
  });

  it("ourSyncCounters() and etcdSyncCounters() read the sync histograms each system exposes", () => {
    expect(ourSyncCounters(OURS)).toEqual({ syncs: 100, entries: 2500, emptySyncs: 10 });
    const etcd =
      "# TYPE etcd_disk_wal_fsync_duration_seconds histogram\netcd_disk_wal_fsync_duration_seconds_count 42\n";
    expect(etcdSyncCounters(etcd)).toEqual({ syncs: 42, entries: undefined, emptySyncs: undefined });
  });

  it("syncDelta() and entriesPerSync() give a phase's syncs and batch size, with or without empty syncs", () => {
    const before = { syncs: 100, entries: 2500, emptySyncs: 10 };
    const after = { syncs: 150, entries: 4500, emptySyncs: 20 };
    const delta = syncDelta(before, after);
    expect(delta).toEqual({ syncs: 50, entries: 2000, syncsWithEntries: 40 });
    expect(entriesPerSync([delta], false)).toBe(40);
    expect(entriesPerSync([delta], true)).toBe(50);
    expect(entriesPerSync([delta, { syncs: 10, entries: 1000, syncsWithEntries: 10 }], true)).toBe(60);
    expect(entriesPerSync([syncDelta(before, before)], true)).toBeNaN();
    const etcd = syncDelta(
      { syncs: 5, entries: undefined, emptySyncs: undefined },
      { syncs: 9, entries: undefined, emptySyncs: undefined },
    );
    expect(etcd.syncs).toBe(4);
    expect(entriesPerSync([etcd], false)).toBeNaN();
    expect(() => syncDelta(after, before)).toThrow("restarted");
  });

  it("cpuTicksOfStat() adds utime and stime, even when the command name holds spaces and parentheses", () => {
    const rest = "S 1 2 3 4 5 6 7 8 9 10 1234 56 0 0 20 0 4 0 100 2000 300";
    expect(cpuTicksOfStat(`4242 (bun) ${rest}`)).toBe(1290);
    expect(cpuTicksOfStat(`4242 (a (b) c) ${rest}`)).toBe(1290);
    expect(() => cpuTicksOfStat("garbage")).toThrow("/proc");
    expect(() => cpuTicksOfStat("1 (x) S 1 2")).toThrow("utime");
  });

  it("rssKibOfStatus() reads VmRSS, and nothing when the process has none", () => {
    expect(rssKibOfStatus("Name:\tbun\nVmPeak:\t 900 kB\nVmRSS:\t  104856 kB\nThreads:\t9\n")).toBe(104856);
    expect(rssKibOfStatus("Name:\tbun\nState:\tZ (zombie)\n")).toBeUndefined();
  });
});
