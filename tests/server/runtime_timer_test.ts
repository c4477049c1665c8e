/**
 * The runtime's timer and the core's re-arm requests: a timer that expires after the core asked
 * for a re-arm (the turn that performs it has not run yet) is stale and starts nothing. Without
 * this, a leader that stepped down while its heartbeat timer was due campaigned at once.
 */
import { describe, expect, it } from "bun:test";
import { Generation, LogPosition, NodeId, Term } from "../../src/core/mod.ts";
import type { Clock } from "../../src/server/clock.ts";
import { KvMachineHolder } from "../../src/server/kv_service.ts";
import { silentLogger } from "../../src/server/logger.ts";
import type { RuntimeTransport } from "../../src/server/ports.ts";
import { RaftRuntime } from "../../src/server/runtime.ts";
import { StorageAdapter } from "../../src/server/storage_adapter.ts";
import { MemoryDisk, openMemoryStorage } from "../../src/storage/mod.ts";

const N1 = NodeId.of("n1");
const N2 = NodeId.of("n2");
const MAX_TURNS = 1000;

/** A clock whose timers fire and whose deferred calls run only when the test says. */
class SteppedClock implements Clock {
  readonly timers = new Map<number, () => void>();
  readonly #deferred: Array<() => void> = [];
  #next = 0;
  now(): number {
    return 0;
  }
  setTimeout(fn: () => void): unknown {
    const handle = ++this.#next;
    this.timers.set(handle, fn);
    return handle;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  defer(fn: () => void): void {
    this.#deferred.push(fn);
  }
  /** Fires every pending timer once (those they arm stay pending). */
  fireTimers(): void {
    const due = [...this.timers];
    this.timers.clear();
    for (const [, fn] of due) fn();
  }
  flush(): void {
    for (let turns = 0; this.#deferred.length > 0; turns++) {
      if (turns >= MAX_TURNS) throw new Error(`still deferring after ${MAX_TURNS} turns`);
      this.#deferred.shift()?.();
    }
  }
}

const dropAll: RuntimeTransport = {
  send: () => false,
  broadcast: () => {},
  sendSnapshot: () => Promise.resolve(false),
  setPeers: () => {},
  close: () => {},
};

describe("RaftRuntime timer", () => {
  it("a leader's heartbeat timer that expires after the leader stepped down, before the re-arm ran, starts no election", () => {
    const clock = new SteppedClock();
    const storage = new StorageAdapter(() => openMemoryStorage(new MemoryDisk()));
    const runtime = new RaftRuntime<unknown>(
      {
        id: N1,
        electionTimeoutMs: 1000,
        heartbeatMs: 100,
        snapshotEvery: 10_000,
        maxPendingProposals: 16,
        maxPendingReads: 16,
        requestTimeoutMs: 1000,
      },
      {
        storage,
        transport: dropAll,
        stateMachine: new KvMachineHolder(),
        clock,
        random: () => 0.5,
        logger: silentLogger,
      },
    );
    runtime.start();
    expect(
      runtime.bootstrap([
        { id: N1, url: "http://n1" },
        { id: N2, url: "http://n2" },
      ]),
    ).toBe(true);
    clock.flush();
    runtime.handleMessage({ type: "RequestVoteReply", from: N2, term: runtime.node.currentTerm, voteGranted: true });
    clock.flush();
    expect(runtime.node.role).toBe("leader");
    const term = runtime.node.currentTerm + 1;
    // A reply from a later term: the leader steps down; the turn that re-arms its timer is deferred.
    runtime.handleMessage({
      type: "AppendEntriesReply",
      from: N2,
      term: Term.of(term),
      generation: Generation.of(1),
      lastPosition: LogPosition.ZERO,
      rejected: true,
      seq: 0,
    });
    expect(runtime.node.role).toBe("follower");
    expect(clock.timers.size).toBeGreaterThan(0); // The heartbeat timer is still pending.
    clock.fireTimers(); // It expires before the turn.
    expect(runtime.node.role).toBe("follower"); // Not a candidate: the expiry was stale.
    expect<number>(runtime.node.currentTerm).toBe(term);
    clock.flush();
    clock.fireTimers(); // The election timeout armed by the turn does start an election.
    expect(runtime.node.role).toBe("candidate");
  });
});
