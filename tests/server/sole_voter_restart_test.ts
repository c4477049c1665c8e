import { describe, expect, it } from "bun:test";
import { KvMachineHolder } from "../../src/server/kv_service.ts";
import { silentLogger } from "../../src/server/logger.ts";
import { RaftRuntime } from "../../src/server/runtime.ts";
import { StorageAdapter } from "../../src/server/storage_adapter.ts";
import { MemoryDisk, openMemoryStorage } from "../../src/storage/mod.ts";
import { dropAll, N1, N2, SteppedClock } from "../helpers/runtime_harness.ts";

/** A runtime of n1 over `disk`, started; no timer has fired. */
function started(disk: MemoryDisk, clock: SteppedClock): RaftRuntime<unknown> {
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
      storage: new StorageAdapter(() => openMemoryStorage(disk)),
      transport: dropAll,
      stateMachine: new KvMachineHolder(),
      clock,
      random: () => 0.5,
      logger: silentLogger,
    },
  );
  runtime.start();
  clock.flush();
  return runtime;
}

describe("restart of a node", () => {
  it("leads at once when it is the only voter, without waiting for an election timeout", () => {
    const disk = new MemoryDisk();
    const first = started(disk, new SteppedClock());
    expect(first.bootstrap([{ id: N1, url: "http://n1" }])).toBe(true);
    const clock = new SteppedClock();
    first.stop();
    const again = started(disk, clock);
    expect(again.node.role).toBe("leader");
    again.stop();
  });

  it("waits for an election timeout when other voters exist", () => {
    const disk = new MemoryDisk();
    const first = started(disk, new SteppedClock());
    expect(
      first.bootstrap([
        { id: N1, url: "http://n1" },
        { id: N2, url: "http://n2" },
      ]),
    ).toBe(true);
    first.stop();
    const again = started(disk, new SteppedClock());
    expect(again.node.role).toBe("follower");
    again.stop();
  });
});
