/**
 * The runtime's filter of disruptive vote requests: without check-quorum it drops a higher-term
 * vote request that would depose a working leader; it never drops transfer votes or pre-votes, and
 * with check-quorum on it leaves every vote request to the core (which has leader stickiness).
 */
import { describe, expect, it } from "bun:test";
import { type Message, NodeId, type RequestVoteCall, Term } from "../../src/core/mod.ts";
import type { Clock } from "../../src/server/clock.ts";
import { KvMachineHolder } from "../../src/server/kv_service.ts";
import { silentLogger } from "../../src/server/logger.ts";
import type { RuntimeTransport } from "../../src/server/ports.ts";
import { RaftRuntime, type RuntimeOptions } from "../../src/server/runtime.ts";
import { StorageAdapter } from "../../src/server/storage_adapter.ts";
import { MemoryDisk, openMemoryStorage } from "../../src/storage/mod.ts";

const N1 = NodeId.of("n1");
const N2 = NodeId.of("n2");
/** Most deferred turns run before a test gives up (a runaway loop is a failure, not a hang). */
const MAX_TURNS = 1000;

/** A clock whose timers never fire and whose deferred calls run when the test says. */
class ManualClock implements Clock {
  readonly #deferred: Array<() => void> = [];
  now(): number {
    return 0;
  }
  setTimeout(): unknown {
    return null;
  }
  clearTimeout(): void {}
  defer(fn: () => void): void {
    this.#deferred.push(fn);
  }
  /** Runs deferred calls (and those they defer) until none is left. */
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

/** A runtime for n1 leading the cluster {n1, n2}, and the messages its core was handed since. */
function leaderRuntime(options: Partial<RuntimeOptions>): { runtime: RaftRuntime<unknown>; seen: Message[] } {
  const clock = new ManualClock();
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
      ...options,
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
  const term = runtime.node.currentTerm;
  runtime.handleMessage({ type: "RequestVoteReply", from: N2, term, voteGranted: true });
  clock.flush();
  expect(runtime.node.role).toBe("leader");
  const node = runtime.node;
  const seen: Message[] = [];
  const handle = node.handleMessage.bind(node);
  node.handleMessage = (message: Message) => {
    seen.push(message);
    handle(message);
  };
  return { runtime, seen };
}

/** A vote request from n2 for a term above the leader's, with a log as long as the leader's. */
function voteCall(runtime: RaftRuntime<unknown>, flags: Partial<RequestVoteCall>): RequestVoteCall {
  const node = runtime.node;
  const term = Term.of(node.currentTerm + 3);
  return { type: "RequestVoteCall", from: N2, term, lastPosition: node.log.lastPosition, ...flags };
}

describe("RaftRuntime vote-request filter", () => {
  it("RaftRuntime without check-quorum drops a higher-term vote request that would depose its leadership", () => {
    const { runtime, seen } = leaderRuntime({ checkQuorum: false });
    const term = runtime.node.currentTerm;
    runtime.handleMessage(voteCall(runtime, {}));
    expect(seen).toEqual([]);
    expect(runtime.node.currentTerm).toBe(term);
    expect(runtime.node.role).toBe("leader");
  });

  it("RaftRuntime without check-quorum drops it under a vote lease as well (leaders never grant the lease away)", () => {
    const { runtime, seen } = leaderRuntime({ checkQuorum: false, voteLeaseMs: 1000 });
    runtime.handleMessage(voteCall(runtime, {}));
    expect(seen).toEqual([]);
  });

  it("RaftRuntime hands a transfer vote request to the core, with check-quorum off or on", () => {
    for (const checkQuorum of [false, true]) {
      const { runtime, seen } = leaderRuntime({ checkQuorum });
      const call = voteCall(runtime, { transfer: true });
      runtime.handleMessage(call);
      expect(seen).toEqual([call]);
    }
  });

  it("RaftRuntime hands a pre-vote request to the core, with check-quorum off or on", () => {
    for (const checkQuorum of [false, true]) {
      const { runtime, seen } = leaderRuntime({ checkQuorum, voteLeaseMs: checkQuorum ? undefined : 1000 });
      const call = voteCall(runtime, { preVote: true });
      runtime.handleMessage(call);
      expect(seen).toEqual([call]);
    }
  });

  it("RaftRuntime with check-quorum hands every vote request to the core, which keeps leader stickiness itself", () => {
    const { runtime, seen } = leaderRuntime({ checkQuorum: true });
    const call = voteCall(runtime, {});
    runtime.handleMessage(call);
    expect(seen).toEqual([call]);
  });
});
