/**
 * A leader whose log flush stays in flight for an election timeout steps down, answers its
 * waiting writes with an unknown outcome, and carries on as a follower once the flush completes.
 */
import { describe, expect, it } from "bun:test";
import type { LogEntries, NodeId, Term } from "../../packages/core/src/mod.ts";
import type { RecoveredState, RuntimeStorage, SnapshotFileReader, StoredSnapshot } from "../../src/server/ports.ts";
import { StorageAdapter } from "../../src/server/storage_adapter.ts";
import { MemoryDisk, openMemoryStorage } from "../../src/storage/mod.ts";
import { leaderRuntime, SteppedClock } from "../helpers/runtime_harness.ts";

/** In-memory storage whose syncs, while `hold` is on, wait until the test releases them. */
class HeldSyncStorage implements RuntimeStorage {
  readonly #base = new StorageAdapter(() => openMemoryStorage(new MemoryDisk()));
  hold = false;
  #held: Array<() => void> = [];

  get recovered(): RecoveredState {
    return this.#base.recovered;
  }
  get durableTerm(): Term {
    return this.#base.durableTerm;
  }
  get hasPending(): boolean {
    return this.#base.hasPending || this.#held.length > 0;
  }
  /** Syncs waiting for the test. */
  get held(): number {
    return this.#held.length;
  }
  saveHardState(term: Term, votedFor: NodeId | null): void {
    this.#base.saveHardState(term, votedFor);
  }
  append(entries: LogEntries): void {
    this.#base.append(entries);
  }
  sync(done: () => void): void {
    if (!this.hold) {
      this.#base.sync(done);
      return;
    }
    this.#held.push(() => this.#base.sync(done));
  }
  syncNow(): void {
    this.release();
    this.#base.syncNow();
  }
  /** Completes every held sync. */
  release(): void {
    for (const complete of this.#held.splice(0)) complete();
  }
  installSnapshot(snapshot: StoredSnapshot, keepLog: boolean): void {
    this.#base.installSnapshot(snapshot, keepLog);
  }
  latestSnapshot(): StoredSnapshot | null {
    return this.#base.latestSnapshot();
  }
  openLatestSnapshot(): SnapshotFileReader | null {
    return this.#base.openLatestSnapshot();
  }
  reopen(): RecoveredState {
    this.#held = [];
    return this.#base.reopen();
  }
  close(): void {
    this.#base.close();
  }
}

describe("RaftRuntime with a stalled log flush", () => {
  it("a leader whose flush is in flight for an election timeout steps down and fails its waiting writes as unknown", async () => {
    const clock = new SteppedClock();
    const storage = new HeldSyncStorage();
    const runtime = leaderRuntime({ electionTimeoutMs: 1000, heartbeatMs: 100 }, clock, storage);
    storage.hold = true;
    void runtime.submit("first"); // Its sync stays in flight from time 0.
    clock.flush();
    expect(storage.held).toBe(1);
    clock.time = 900; // Under an election timeout: it still leads (the stepped clock fires every timer, the first write's wait too).
    clock.fireTimers();
    clock.flush();
    expect(runtime.node.role).toBe("leader");
    const outcome = runtime.submit("second"); // Buffered behind the sync in flight; its timer is armed after the leader's.
    clock.flush();
    expect(storage.held).toBe(1);
    clock.time = 1000;
    clock.fireTimers();
    clock.flush();
    expect(runtime.node.role).toBe("follower");
    expect(await outcome).toEqual({ kind: "storage_stalled" });

    storage.hold = false;
    storage.release(); // The flush completes: the node carries on as a follower, its entry durable.
    clock.flush();
    expect(runtime.node.role).toBe("follower");
    expect(runtime.node.durableIndex).toBe(runtime.node.log.lastPosition.index);
  });

  it("a leader whose flushes complete within an election timeout keeps leading", () => {
    const clock = new SteppedClock();
    const storage = new HeldSyncStorage();
    const runtime = leaderRuntime({ electionTimeoutMs: 1000, heartbeatMs: 100 }, clock, storage);
    storage.hold = true;
    void runtime.submit("x");
    clock.flush();
    clock.time = 900;
    storage.release(); // Done after 900 ms.
    clock.flush();
    clock.time = 1500;
    clock.fireTimers();
    clock.flush();
    expect(runtime.node.role).toBe("leader");
  });
});
