/**
 * Linearizable reads on the leader share heartbeats: the reads that arrive before a turn sends its
 * messages wait for one broadcast, and a read arriving after it waits for a new quorum round.
 */
import { describe, expect, it } from "bun:test";
import { Generation, type Message, type NodeId } from "../../packages/core/src/mod.ts";
import type { RuntimeTransport } from "../../src/server/ports.ts";
import type { ReadOutcome } from "../../src/server/read_barrier.ts";
import { dropAll, leaderRuntime, N2, SteppedClock } from "../helpers/runtime_harness.ts";

/** A transport that records the heartbeats (AppendEntriesCalls without entries) sent to n2. */
function recording(): { transport: RuntimeTransport; heartbeats: number[] } {
  const heartbeats: number[] = [];
  const note = (to: readonly NodeId[], message: Message) => {
    if (to.includes(N2) && message.type === "AppendEntriesCall" && message.entries.length === 0) {
      heartbeats.push(message.seq);
    }
  };
  return {
    heartbeats,
    transport: {
      ...dropAll,
      send: (to, message) => {
        note([to], message);
        return true;
      },
      broadcast: (to, message) => note(to, message),
    },
  };
}

describe("reads on the leader share heartbeats", () => {
  it("reads before a turn share one broadcast; a read after it waits for a new round", async () => {
    const clock = new SteppedClock();
    const { transport, heartbeats } = recording();
    const runtime = leaderRuntime({}, clock, undefined, transport);
    const ack = (seq: number) => {
      runtime.handleMessage({
        type: "AppendEntriesReply",
        from: N2,
        term: node.currentTerm,
        generation: Generation.of(0),
        lastPosition: node.log.lastPosition,
        rejected: false,
        seq,
      });
      clock.flush();
    };
    const outcomes: Array<ReadOutcome | "overloaded"> = [];
    const record = (p: Promise<ReadOutcome | "overloaded">) => p.then((o) => outcomes.push(o));
    const node = runtime.node;
    const heartbeat = node.heartbeat.bind(node);
    let requested = 0;
    node.heartbeat = () => {
      requested += 1;
      return heartbeat();
    };
    heartbeats.length = 0;
    const first = [record(runtime.readBarrier()), record(runtime.readBarrier()), record(runtime.readBarrier())];
    clock.flush();
    expect({ requested, sent: heartbeats.length }).toEqual({ requested: 1, sent: 1 });
    const round = heartbeats[0];
    const later = record(runtime.readBarrier());
    clock.flush();
    expect(heartbeats.length).toBe(2);
    expect({ requested, sent: heartbeats.length }).toEqual({ requested: 2, sent: 2 });
    ack(round);
    await Promise.all(first);
    expect(outcomes).toEqual(["ready", "ready", "ready"]);
    await Promise.resolve();
    expect(outcomes.length).toBe(3); // The later read's round started after the first: its ack is not this one.
    ack(heartbeats[1]);
    await later;
    expect(outcomes).toEqual(["ready", "ready", "ready", "ready"]);
    runtime.stop();
  });
});
