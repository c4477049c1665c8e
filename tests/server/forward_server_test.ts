import { describe, expect, it } from "bun:test";
import {
  type ForwardedCommand,
  type ForwardReplyFrame,
  type ForwardRequestFrame,
  MAX_FORWARD_MESSAGE_LENGTH,
  PEER_PROTOCOL_VERSION,
} from "../../schemas/peer_frame.ts";
import { answerForwardRequest, type ForwardTarget } from "../../src/server/forward_server.ts";
import type { ReadIndexAnswer } from "../../src/server/link_forwarder.ts";
import type { ServiceError, WriteResult } from "../../src/server/service.ts";
import { decodeFrame, encodeForwardFrame } from "../../src/transport/codec.ts";

/** A target that answers what it was told to, and records the commands it got. */
function target(write: WriteResult | ServiceError, readIndex: ReadIndexAnswer = { ok: true, index: 1 }) {
  const commands: ForwardedCommand[] = [];
  const t: ForwardTarget = {
    self: { id: "n1" },
    writeForwarded: (command) => {
      commands.push(command);
      return Promise.resolve(write);
    },
    leaderReadIndex: () => Promise.resolve(readIndex),
  };
  return { t, commands };
}

const command: ForwardedCommand = { op: "put", key: "k", value: "v", idempotencyKey: "fwd-n2-x" };
const put: ForwardRequestFrame = {
  v: PEER_PROTOCOL_VERSION,
  type: "ForwardProposal",
  from: "n2",
  proposals: [{ id: 3, command }],
};

/** The answers as the follower decodes them (so they must pass the frame schema). */
async function answers(t: ForwardTarget, frame: ForwardRequestFrame, onError?: (e: unknown) => void) {
  const replies: ForwardReplyFrame[] = [];
  await answerForwardRequest(t, frame, (reply) => replies.push(reply), onError);
  return replies.map((reply) => {
    const decoded = decodeFrame(encodeForwardFrame(reply));
    if (!decoded.ok) throw new Error(decoded.error.message);
    return decoded.frame;
  });
}

/** The one answer to `frame`. */
async function answered(t: ForwardTarget, frame: ForwardRequestFrame) {
  const all = await answers(t, frame);
  expect(all.length).toBe(1);
  return all[0];
}

describe("answerForwardRequest()", () => {
  it("proposes the forwarded command and answers the write's result under the request's id", async () => {
    const prev = { key: "k", value: "u", revision: 2, createRevision: 1, version: 2 };
    const { t, commands } = target({ ok: true, index: 9, revision: 9, prev, replayed: false });
    expect(await answered(t, put)).toEqual({
      v: 1,
      type: "ForwardProposalReply",
      from: "n1",
      id: 3,
      result: { ok: true, index: 9, revision: 9, prev, replayed: false },
    });
    expect(commands).toEqual([command]);
  });

  it("answers an error with its code, definite, leader, details and replay mark, bounded", async () => {
    const details = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`d${i}`, i]));
    const error: ServiceError = {
      ok: false,
      code: "not_leader",
      message: "x".repeat(MAX_FORWARD_MESSAGE_LENGTH * 2),
      definite: true,
      leader: { id: "n3", url: "http://127.0.0.1:7003" },
      details,
      replayed: true,
    };
    const frame = await answered(target(error).t, put);
    if (frame.type !== "ForwardProposalReply" || frame.result.ok) throw new Error("expected an error answer");
    expect(frame.result.message.length).toBe(MAX_FORWARD_MESSAGE_LENGTH);
    expect(Object.keys(frame.result.details ?? {}).length).toBeLessThanOrEqual(16);
    expect({ ...frame.result, message: "", details: {} }).toEqual({
      ok: false,
      code: "not_leader",
      message: "",
      definite: true,
      leader: { id: "n3", url: "http://127.0.0.1:7003" },
      details: {},
      replayed: true,
    });
  });

  it("answers each write of a batch under its own id", async () => {
    const { t, commands } = target({ ok: true, index: 9, revision: 9, prev: null, replayed: false });
    const other: ForwardedCommand = { op: "delete", key: "j", idempotencyKey: "k2" };
    const batch: ForwardRequestFrame = {
      ...put,
      proposals: [
        { id: 3, command },
        { id: 4, command: other },
      ],
    };
    const all = await answers(t, batch);
    expect(all.map((f) => (f.type === "ForwardProposalReply" ? f.id : -1)).sort()).toEqual([3, 4]);
    expect(commands).toEqual([command, other]);
  });

  it("answers a call that throws internal, definite: false, and reports the error", async () => {
    const errors: unknown[] = [];
    const boom = new Error("boom");
    const t: ForwardTarget = {
      self: { id: "n1" },
      writeForwarded: () => Promise.reject(boom),
      leaderReadIndex: () => Promise.reject(boom),
    };
    const [frame] = await answers(t, put, (e) => errors.push(e));
    expect(frame.type === "ForwardProposalReply" ? frame.result : null).toMatchObject({
      ok: false,
      code: "internal",
      definite: false,
    });
    expect(errors).toEqual([boom]);
  });

  it("answers a read-index request with the index, or why there is none", async () => {
    const request: ForwardRequestFrame = { v: 1, type: "ReadIndexRequest", from: "n2", id: 4 };
    const ok = target({ ok: false, code: "internal", message: "unused" }, { ok: true, index: 41 });
    expect(await answered(ok.t, request)).toEqual({
      v: 1,
      type: "ReadIndexReply",
      from: "n1",
      id: 4,
      result: { ok: true, index: 41 },
    });
    const failing = target(
      { ok: false, code: "internal", message: "unused" },
      {
        ok: false,
        code: "timeout",
        message: "a quorum did not confirm the leader in time",
      },
    );
    const frame = await answered(failing.t, request);
    expect(frame.type === "ReadIndexReply" ? frame.result : null).toEqual({
      ok: false,
      code: "timeout",
      message: "a quorum did not confirm the leader in time",
    });
    expect(ok.commands).toEqual([]);
  });
});
