import { describe, expect, it } from "bun:test";
import { encodeCommand, KvStateMachine } from "../../src/kv/mod.ts";
import type { RaftRuntime } from "../../src/server/runtime.ts";
import { LOG_BYTES_PER_SNAPSHOT_BYTE, snapshotDue } from "../../src/server/snapshot_policy.ts";
import { StorageAdapter } from "../../src/server/storage_adapter.ts";
import { MemoryDisk, openMemoryStorage } from "../../src/storage/mod.ts";
import { leaderRuntime, N2, SteppedClock } from "../helpers/runtime_harness.ts";

describe("snapshotDue (the size rule)", () => {
  const base = { entriesSince: 100, logBytesSince: 1000, lastSnapshotBytes: 1000, minEntries: 10 };
  it("is due once the log since the last snapshot holds an eighth of that snapshot's bytes", () => {
    expect(LOG_BYTES_PER_SNAPSHOT_BYTE).toBe(0.125);
    expect(snapshotDue({ ...base, logBytesSince: 125 })).toBe(true);
    expect(snapshotDue({ ...base, logBytesSince: 124 })).toBe(false);
    expect(snapshotDue({ ...base, logBytesSince: 5000 })).toBe(true);
  });
  it("waits for the minimum entry count however big the log is", () => {
    expect(snapshotDue({ ...base, entriesSince: 9, logBytesSince: 1e9 })).toBe(false);
    expect(snapshotDue({ ...base, entriesSince: 10 })).toBe(true);
  });
  it("takes the first snapshot at the minimum entry count", () => {
    expect(snapshotDue({ ...base, entriesSince: 10, logBytesSince: 1, lastSnapshotBytes: 0 })).toBe(true);
  });
});

/** Proposes `commands`, has n2 acknowledge the log, and runs deferred turns only until they applied. */
function writeAndApply(runtime: RaftRuntime<unknown>, clock: SteppedClock, commands: object[]): void {
  for (const command of commands) {
    const encoded = encodeCommand(command as Parameters<typeof encodeCommand>[0]);
    if (!encoded.ok) throw new Error(encoded.message);
    void runtime.submit(encoded.payload);
  }
  expect(runtime.node.log.lastPosition.index).toBeGreaterThanOrEqual(runtime.appliedIndex + commands.length);
  const node = runtime.node;
  runtime.handleMessage({
    type: "AppendEntriesReply",
    from: N2,
    term: node.currentTerm,
    generation: node.generation,
    lastPosition: node.log.lastPosition,
    rejected: false,
    seq: 0,
  });
  for (let turns = 0; runtime.appliedIndex < node.log.lastPosition.index; turns++) {
    if (!clock.step() || turns > 1000) throw new Error("the writes did not apply");
  }
}

describe("automatic snapshots on the runtime", () => {
  it("serialise across turns while writes keep applying, and hold the state at their start index", () => {
    const clock = new SteppedClock();
    const storage = new StorageAdapter(() => openMemoryStorage(new MemoryDisk()));
    // The first automatic snapshot is due past 8000 entries: in the apply turn of the last of them.
    const runtime = leaderRuntime({ snapshotEvery: 8000, maxPendingProposals: 20_000 }, clock, storage);
    const keys = Array.from({ length: 9000 }, (_, i) => ({ op: "put", key: `k${i}`, value: `first ${i}` }));
    writeAndApply(runtime, clock, keys);
    const start = runtime.appliedIndex;
    // The job started at the applied index but has not finished: no snapshot yet.
    expect(runtime.node.log.snapshotPosition.index as number).toBe(0);
    expect(clock.step()).toBe(true); // One slice.
    expect(runtime.node.log.snapshotPosition.index as number).toBe(0);
    writeAndApply(runtime, clock, [
      { op: "put", key: "k0", value: "changed" },
      { op: "delete", key: "k1" },
      { op: "put", key: "new", value: "after" },
    ]);
    expect(runtime.appliedIndex).toBe(start + 3);
    clock.flush();
    expect(runtime.node.log.snapshotPosition.index as number).toBe(start);
    const stored = storage.latestSnapshot();
    if (stored === null) throw new Error("no snapshot was stored");
    expect(stored.position.index as number).toBe(start);
    const restored = KvStateMachine.restore(stored.data);
    if (!(restored instanceof KvStateMachine)) throw new Error(restored.error);
    expect(restored.appliedIndex).toBe(start);
    expect(restored.size).toBe(9000);
    expect(restored.get("k0")?.value).toBe("first 0");
    expect(restored.get("k1")?.value).toBe("first 1");
    expect(restored.get("new")).toBeNull();
  });

  it("are not taken again until the log since is as big as the last snapshot", () => {
    const clock = new SteppedClock();
    const storage = new StorageAdapter(() => openMemoryStorage(new MemoryDisk()));
    const runtime = leaderRuntime({ snapshotEvery: 10, maxPendingProposals: 20_000 }, clock, storage);
    const value = "x".repeat(50);
    writeAndApply(
      runtime,
      clock,
      Array.from({ length: 200 }, (_, i) => ({ op: "put", key: `k${i}`, value })),
    );
    clock.flush();
    const first = storage.latestSnapshot();
    if (first === null) throw new Error("no snapshot was stored");
    const firstIndex = first.position.index;
    // Overwrites of one key: each log entry is far smaller than the snapshot of 200 keys.
    for (let i = 0; i < 10; i++) writeAndApply(runtime, clock, [{ op: "put", key: "k0", value: `${i}` }]);
    clock.flush();
    expect(runtime.node.log.snapshotPosition.index as number).toBe(firstIndex);
    // Enough bytes of log: the next snapshot comes.
    const more = Array.from({ length: 400 }, (_, i) => ({ op: "put", key: `k${i % 200}`, value }));
    writeAndApply(runtime, clock, more);
    clock.flush();
    expect(runtime.node.log.snapshotPosition.index).toBeGreaterThan(firstIndex);
  });
});
