import { describe, expect, it } from "bun:test";
import { ClusterConfig, LogEntries, LogEntry, LogPosition, NodeId, Term } from "../../src/core/mod.ts";
import { SimStorage, StorageContractError } from "./sim_storage.ts";

function seg(prevTerm: number, prevIndex: number, ...data: string[]): LogEntries {
  return LogEntries.from(
    LogPosition.of(prevTerm, prevIndex),
    data.map((d) => (d.startsWith("T") ? LogEntry.term(Term.of(Number(d.slice(1)))) : LogEntry.command(d))),
  );
}

describe("SimStorage", () => {
  it("SimStorage.crash() loses unsynced writes, including those of a sync in flight", () => {
    const s = new SimStorage(ClusterConfig.EMPTY, 16);
    s.write({ term: Term.of(1), votedFor: NodeId.of("n0"), append: seg(0, 0, "T1", "a") });
    expect(s.beginSync()).toBe(true);
    s.completeSync();
    s.write({ append: seg(1, 2, "b") });
    expect(s.beginSync()).toBe(true);
    s.write({ term: Term.of(2) });
    s.crash();
    const r = s.restore();
    expect(r.term).toBe(Term.of(1));
    expect(r.votedFor).toBe(NodeId.of("n0"));
    expect(r.log.lastPosition).toEqual(LogPosition.of(1, 2));
    expect(s.written).toBe(s.synced);
  });

  it("SimStorage syncs cover the writes issued before they began, in order", () => {
    const s = new SimStorage(ClusterConfig.EMPTY, 16);
    s.write({ append: seg(0, 0, "T1", "a", "b") });
    s.beginSync();
    s.write({ append: seg(1, 1, "c") }); // Overwrites b: delete after the prev index, then store.
    const first = s.completeSync();
    expect(first.map((e) => Number(e.lastIndex))).toEqual([3]);
    expect(s.restore().log.lastPosition).toEqual(LogPosition.of(1, 3));
    expect(s.beginSync()).toBe(true);
    s.completeSync();
    const log = s.restore().log.entries;
    expect(Number(log.lastIndex)).toBe(2);
    expect(log.getEntry(2)).toEqual(LogEntry.command("c"));
  });

  it("SimStorage refuses an append that does not attach to the stored log", () => {
    const s = new SimStorage(ClusterConfig.EMPTY, 16);
    s.write({ append: seg(1, 5, "x") });
    expect(() => s.flush()).toThrow(StorageContractError);
  });

  it("SimStorage bounds its unsynced writes", () => {
    const s = new SimStorage(ClusterConfig.EMPTY, 2);
    s.write({ term: Term.of(1) });
    s.write({ term: Term.of(2) });
    expect(() => s.write({ term: Term.of(3) })).toThrow(/2 unsynced writes/);
  });
});
