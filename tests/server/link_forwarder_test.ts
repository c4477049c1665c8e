import { describe, expect, it } from "bun:test";
import type { NodeId } from "../../packages/core/src/mod.ts";
import { type ForwardReplyFrame, PEER_PROTOCOL_VERSION } from "../../schemas/peer_frame.ts";
import { FollowerReads, MAX_READ_INDEX_IN_FLIGHT } from "../../src/server/follower_reads.ts";
import { type ForwardLink, LinkForwarder, type ReadIndexAnswer } from "../../src/server/link_forwarder.ts";
import type { ReadOutcome } from "../../src/server/read_barrier.ts";
import type { MemberInfo } from "../../src/server/service.ts";
import { SteppedClock } from "../helpers/runtime_harness.ts";

const LEADER: MemberInfo = { id: "n1", url: "http://127.0.0.1:7001" };
const n1 = "n1" as NodeId;
const command = { op: "put" as const, key: "k", value: "v", idempotencyKey: "ik-1" };

/** A link to n1 that records what it was handed. */
class FakeLink implements ForwardLink {
  open = true;
  accept = true;
  readonly sent: Array<Record<string, unknown>> = [];
  canSend(to: NodeId): boolean {
    return this.open && to === n1;
  }
  sendEncoded(_to: NodeId, text: string): boolean {
    if (!this.accept) return false;
    this.sent.push(JSON.parse(text));
    return true;
  }
}

function setup(capacity = 4) {
  const link = new FakeLink();
  const clock = new SteppedClock();
  const outcomes: string[] = [];
  const forwarder = new LinkForwarder(link, {
    selfId: "n2" as NodeId,
    capacity,
    timeoutMs: 6000,
    clock,
    onOutcome: (kind, outcome) => outcomes.push(`${kind}/${outcome}`),
  });
  return { link, clock, forwarder, outcomes };
}

function proposalReply(id: number, from = "n1"): ForwardReplyFrame {
  return {
    v: PEER_PROTOCOL_VERSION,
    type: "ForwardProposalReply",
    from,
    id,
    result: { ok: true, index: 5, revision: 5, prev: null, replayed: true },
  };
}

describe("LinkForwarder", () => {
  it("sends the writes of one turn in one frame, and answers each the leader's result, naming the leader", async () => {
    const { link, clock, forwarder, outcomes } = setup();
    const first = forwarder.propose(LEADER, command);
    const second = forwarder.propose(LEADER, { ...command, key: "j" });
    expect(link.sent).toEqual([]);
    clock.flush();
    expect(link.sent).toEqual([
      {
        v: 1,
        type: "ForwardProposal",
        from: "n2",
        proposals: [
          { id: 1, command },
          { id: 2, command: { ...command, key: "j" } },
        ],
      },
    ]);
    forwarder.handleReply(n1, proposalReply(2));
    forwarder.handleReply(n1, proposalReply(1));
    const answer = { ok: true as const, index: 5, revision: 5, prev: null, replayed: true, servedBy: "n1" };
    expect(await Promise.all([first, second])).toEqual([answer, answer]);
    expect(outcomes).toEqual(["proposal/answered", "proposal/answered"]);
    expect(forwarder.size).toBe(0);
  });

  it("says what was never sent: null while the link is down, unsent when it drops the frame or goes down first", async () => {
    const { link, clock, forwarder } = setup();
    link.open = false;
    expect(forwarder.propose(LEADER, command)).toBeNull();
    expect(forwarder.readIndex(LEADER)).toBeNull();
    link.open = true;
    link.accept = false;
    const dropped = forwarder.propose(LEADER, command);
    expect(forwarder.readIndex(LEADER)).toBeNull();
    clock.flush();
    expect(await dropped).toBe("unsent");
    link.accept = true;
    const beforeTheTurn = forwarder.propose(LEADER, command);
    forwarder.linkDown(n1);
    expect(await beforeTheTurn).toBe("unsent");
    clock.flush();
    expect(link.sent).toEqual([]);
    expect(forwarder.size).toBe(0);
  });

  it("answers definite: false once sent: the link dropped, the answer timed out, the node stopped", async () => {
    const { clock, forwarder, outcomes } = setup();
    const dropped = forwarder.propose(LEADER, command);
    clock.flush();
    forwarder.linkDown(n1);
    expect(await dropped).toMatchObject({ ok: false, code: "leader_unreachable", definite: false });
    const timedOut = forwarder.propose(LEADER, command);
    clock.flush();
    clock.fireTimers();
    expect(await timedOut).toMatchObject({ ok: false, code: "timeout", definite: false });
    forwarder.handleReply(n1, proposalReply(2)); // Late: ignored.
    const stopped = forwarder.propose(LEADER, command);
    clock.flush();
    forwarder.stop();
    expect(await stopped).toMatchObject({ ok: false, code: "shutting_down", definite: false });
    expect(forwarder.propose(LEADER, command)).toBeNull();
    expect(outcomes).toEqual(["proposal/unreachable", "proposal/timeout", "proposal/stopped"]);
  });

  it("ignores answers from another node or of another kind", async () => {
    const { clock, forwarder } = setup();
    const answer = forwarder.propose(LEADER, command);
    clock.flush();
    forwarder.handleReply("n3" as NodeId, proposalReply(1, "n3"));
    forwarder.handleReply(n1, { v: 1, type: "ReadIndexReply", from: "n1", id: 1, result: { ok: true, index: 1 } });
    expect(forwarder.size).toBe(1);
    clock.fireTimers();
    expect(await answer).toMatchObject({ code: "timeout", definite: false });
  });

  it("refuses beyond its capacity with overloaded, definite: true, sending nothing", async () => {
    const { link, clock, forwarder } = setup(2);
    forwarder.propose(LEADER, command);
    forwarder.readIndex(LEADER);
    const refused = await forwarder.propose(LEADER, command);
    expect(refused).toMatchObject({ ok: false, code: "overloaded", definite: true });
    clock.flush();
    expect(link.sent.map((f) => f.type)).toEqual(["ReadIndexRequest", "ForwardProposal"]);
  });

  it("turns the leader's error into the service error it answered", async () => {
    const { clock, forwarder } = setup();
    const answer = forwarder.propose(LEADER, command);
    clock.flush();
    forwarder.handleReply(n1, {
      v: 1,
      type: "ForwardProposalReply",
      from: "n1",
      id: 1,
      result: { ok: false, code: "not_leader", message: "not the leader", definite: true, leader: null },
    });
    expect(await answer).toEqual({
      ok: false,
      code: "not_leader",
      message: "not the leader",
      definite: true,
      leader: null,
      servedBy: "n1",
    });
  });
});

describe("FollowerReads", () => {
  function reads(answers: Array<ReadIndexAnswer | null>) {
    const clock = new SteppedClock();
    const asked: number[] = [];
    const waited: number[] = [];
    const pending: Array<(answer: ReadIndexAnswer) => void> = [];
    const batches: number[] = [];
    let applied: ReadOutcome = "ready";
    const follower = new FollowerReads(
      {
        leader: () => LEADER,
        readIndex: () => {
          const next = answers.shift();
          asked.push(asked.length + 1);
          if (next === null) return null;
          return new Promise((resolve) => pending.push(() => resolve(next as ReadIndexAnswer)));
        },
        waitApplied: (index) => {
          waited.push(index);
          return Promise.resolve(applied);
        },
      },
      { clock, capacity: 3, onBatch: (n) => batches.push(n) },
    );
    const answerNext = async () => {
      pending.shift()?.({ ok: true, index: 0 });
      for (let i = 0; i < 5; i++) await Promise.resolve();
    };
    return {
      clock,
      follower,
      asked,
      waited,
      batches,
      answerNext,
      setApplied: (o: ReadOutcome) => {
        applied = o;
      },
    };
  }

  it("serves the reads of one turn with one read-index request, and keeps a few requests out at most", async () => {
    const turns = MAX_READ_INDEX_IN_FLIGHT + 1;
    const r = reads(Array.from({ length: turns }, (_, i) => ({ ok: true as const, index: 10 + i })));
    const first = [r.follower.read(), r.follower.read()];
    r.clock.flush();
    expect(r.asked).toEqual([1]);
    const later: Array<Promise<unknown>> = [];
    for (let turn = 1; turn < turns; turn++) {
      later.push(r.follower.read(), r.follower.read());
      r.clock.flush();
    }
    // The last turn's reads wait: enough requests are out.
    expect(r.asked.length).toBe(MAX_READ_INDEX_IN_FLIGHT);
    await r.answerNext();
    expect(await Promise.all(first)).toEqual(["ready", "ready"]);
    r.clock.flush();
    expect(r.asked.length).toBe(turns);
    for (let i = 1; i < turns; i++) await r.answerNext();
    expect(await Promise.all(later)).toEqual(Array(later.length).fill("ready"));
    expect(r.waited).toEqual(Array.from({ length: turns }, (_, i) => 10 + i));
    expect(r.batches).toEqual([2, ...Array(turns - 1).fill(2)]);
  });

  it("says unsent when nothing could be asked, and passes on the leader's error", async () => {
    const r = reads([null, { ok: false, code: "timeout", message: "no quorum" }]);
    const unsent = r.follower.read();
    r.clock.flush();
    expect(await unsent).toBe("unsent");
    const failed = r.follower.read();
    r.clock.flush();
    await r.answerNext();
    expect(await failed).toEqual({ ok: false, code: "timeout", message: "no quorum" });
  });

  it("refuses reads beyond its capacity, and maps a local apply that does not come", async () => {
    const r = reads([{ ok: true, index: 3 }]);
    const queued = [r.follower.read(), r.follower.read(), r.follower.read()];
    expect(await r.follower.read()).toMatchObject({ ok: false, code: "overloaded" });
    r.setApplied("timeout");
    r.clock.flush();
    await r.answerNext();
    for (const outcome of await Promise.all(queued)) expect(outcome).toMatchObject({ ok: false, code: "timeout" });
  });
});
