/**
 * The runtime's timer and the core's re-arm requests: a timer that expires after the core asked
 * for a re-arm (the turn that performs it has not run yet) is stale and starts nothing. Without
 * this, a leader that stepped down while its heartbeat timer was due campaigned at once.
 */
import { describe, expect, it } from "bun:test";
import { Generation, LogPosition, Term } from "../../packages/core/src/mod.ts";
import { leaderRuntime, N2, SteppedClock } from "../helpers/runtime_harness.ts";

describe("RaftRuntime timer", () => {
  it("a leader's heartbeat timer that expires after the leader stepped down, before the re-arm ran, starts no election", () => {
    const clock = new SteppedClock();
    const runtime = leaderRuntime({}, clock);
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
