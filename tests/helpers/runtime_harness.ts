/**
 * A runtime loop driven step by step for tests: a clock whose timers fire and whose deferred turns
 * run only when the test says, a transport that drops everything, and a runtime of n1 that leads
 * the cluster {n1, n2} over in-memory storage.
 */
import { expect } from "bun:test";
import { NodeId } from "../../packages/core/src/mod.ts";
import type { Clock } from "../../src/server/clock.ts";
import { KvMachineHolder } from "../../src/server/kv_service.ts";
import { silentLogger } from "../../src/server/logger.ts";
import type { RuntimeStorage, RuntimeTransport } from "../../src/server/ports.ts";
import { RaftRuntime, type RuntimeOptions } from "../../src/server/runtime.ts";
import { StorageAdapter } from "../../src/server/storage_adapter.ts";
import { MemoryDisk, openMemoryStorage } from "../../src/storage/mod.ts";

/** The node the runtime runs. */
export const N1 = NodeId.of("n1");
/** Its peer. */
export const N2 = NodeId.of("n2");
/** Most deferred turns run before a flush gives up (a runaway loop is a failure, not a hang). */
const MAX_TURNS = 1000;

/** A clock standing still: timers fire and deferred calls run only when the test says. */
export class SteppedClock implements Clock {
  /** Armed timers by handle. */
  readonly timers = new Map<number, () => void>();
  /** What `now()` answers (milliseconds); a test moves it. */
  time = 0;
  readonly #deferred: Array<() => void> = [];
  #next = 0;
  now(): number {
    return this.time;
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
  /** Runs the oldest deferred call, if any; false if none was waiting. */
  step(): boolean {
    const fn = this.#deferred.shift();
    fn?.();
    return fn !== undefined;
  }
  /** Runs deferred calls (and those they defer) until none is left. */
  flush(): void {
    for (let turns = 0; this.#deferred.length > 0; turns++) {
      if (turns >= MAX_TURNS) throw new Error(`still deferring after ${MAX_TURNS} turns`);
      this.#deferred.shift()?.();
    }
  }
}

/** A transport that sends nothing. */
export const dropAll: RuntimeTransport = {
  send: () => false,
  broadcast: () => {},
  sendSnapshot: () => Promise.resolve(false),
  setPeers: () => {},
  close: () => {},
};

/**
 * A runtime of n1 that bootstrapped {n1, n2} and leads it (n2's vote granted), on `clock`, over
 * `storage` (default: in-memory storage whose syncs complete at once) and `transport` (default:
 * one that sends nothing).
 */
export function leaderRuntime(
  options: Partial<RuntimeOptions>,
  clock: SteppedClock,
  storage: RuntimeStorage = new StorageAdapter(() => openMemoryStorage(new MemoryDisk())),
  transport: RuntimeTransport = dropAll,
): RaftRuntime<unknown> {
  const runtime = new RaftRuntime<unknown>(
    {
      id: N1,
      electionTimeoutMs: 1000,
      heartbeatMs: 100,
      snapshotEvery: 10_000,
      maxPendingProposals: 16,
      maxPendingReads: 16,
      requestTimeoutMs: 1000,
      ...options,
    },
    {
      storage,
      transport,
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
  return runtime;
}
