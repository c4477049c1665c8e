/**
 * The runtime's filter of disruptive vote requests: without check-quorum it drops a higher-term
 * vote request that would depose a working leader; it never drops transfer votes or pre-votes, and
 * with check-quorum on it leaves every vote request to the core (which has leader stickiness).
 */
import { describe, expect, it } from "bun:test";
import { type Message, type RequestVoteCall, Term } from "../../packages/core/src/mod.ts";
import type { RaftRuntime, RuntimeOptions } from "../../src/server/runtime.ts";
import { leaderRuntime, N2, SteppedClock } from "../helpers/runtime_harness.ts";

/** A runtime for n1 leading the cluster {n1, n2}, and the messages its core was handed since. */
function observedLeader(options: Partial<RuntimeOptions>): { runtime: RaftRuntime<unknown>; seen: Message[] } {
  const runtime = leaderRuntime(options, new SteppedClock());
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
    const { runtime, seen } = observedLeader({ checkQuorum: false });
    const term = runtime.node.currentTerm;
    runtime.handleMessage(voteCall(runtime, {}));
    expect(seen).toEqual([]);
    expect(runtime.node.currentTerm).toBe(term);
    expect(runtime.node.role).toBe("leader");
  });

  it("RaftRuntime without check-quorum drops it under a vote lease as well (leaders never grant the lease away)", () => {
    const { runtime, seen } = observedLeader({ checkQuorum: false, voteLeaseMs: 1000 });
    runtime.handleMessage(voteCall(runtime, {}));
    expect(seen).toEqual([]);
  });

  it("RaftRuntime hands a transfer vote request to the core, with check-quorum off or on", () => {
    for (const checkQuorum of [false, true]) {
      const { runtime, seen } = observedLeader({ checkQuorum });
      const call = voteCall(runtime, { transfer: true });
      runtime.handleMessage(call);
      expect(seen).toEqual([call]);
    }
  });

  it("RaftRuntime hands a pre-vote request to the core, with check-quorum off or on", () => {
    for (const checkQuorum of [false, true]) {
      const { runtime, seen } = observedLeader({ checkQuorum, voteLeaseMs: checkQuorum ? undefined : 1000 });
      const call = voteCall(runtime, { preVote: true });
      runtime.handleMessage(call);
      expect(seen).toEqual([call]);
    }
  });

  it("RaftRuntime with check-quorum hands every vote request to the core, which keeps leader stickiness itself", () => {
    const { runtime, seen } = observedLeader({ checkQuorum: true });
    const call = voteCall(runtime, {});
    runtime.handleMessage(call);
    expect(seen).toEqual([call]);
  });
});
