import { describe, expect, it } from "bun:test";
import { WSContext } from "hono/ws";
import type { NodeId } from "../../packages/core/src/mod.ts";
import {
  type ForwardProposalFrame,
  type ForwardProposalReplyFrame,
  type ForwardRequestFrame,
  MAX_FORWARD_BATCH,
  MAX_FORWARD_MESSAGE_LENGTH,
  PEER_PROTOCOL_VERSION,
  type ReadIndexReplyFrame,
  type ReadIndexRequestFrame,
} from "../../schemas/peer_frame.ts";
import {
  decodeFrame,
  encodeForwardFrame,
  isForwardReply,
  isForwardRequest,
  isMessageFrame,
} from "../../src/transport/codec.ts";
import { type PeerEndpointOptions, peerConnectionEvents } from "../../src/transport/peer_endpoint.ts";

const v = PEER_PROTOCOL_VERSION;

const putCommand = { op: "put", key: "a/b", value: "x", expectRevision: 0, idempotencyKey: "fwd-n2-1" } as const;
const proposal: ForwardProposalFrame = {
  v,
  type: "ForwardProposal",
  from: "n2",
  proposals: [{ id: 7, command: putCommand }],
};
const deletion: ForwardProposalFrame = {
  v,
  type: "ForwardProposal",
  from: "n2",
  proposals: [
    { id: 8, command: { op: "delete", key: "a/b", expectValue: "x", idempotencyKey: "client-key" } },
    { id: 9, command: putCommand },
  ],
};
/** `proposal` with its one command replaced. */
const withCommand = (command: unknown) => ({ ...proposal, proposals: [{ id: 7, command }] });
const applied: ForwardProposalReplyFrame = {
  v,
  type: "ForwardProposalReply",
  from: "n1",
  id: 7,
  result: {
    ok: true,
    index: 12,
    revision: 12,
    prev: { key: "a/b", value: "w", revision: 3, createRevision: 2, version: 2 },
    replayed: false,
  },
};
const refused: ForwardProposalReplyFrame = {
  v,
  type: "ForwardProposalReply",
  from: "n1",
  id: 8,
  result: {
    ok: false,
    code: "compare_failed",
    message: "the key's current value or revision does not match the expectation",
    definite: true,
    details: { current: null, index: 13 },
    replayed: true,
  },
};
const notLeader: ForwardProposalReplyFrame = {
  v,
  type: "ForwardProposalReply",
  from: "n1",
  id: 9,
  result: {
    ok: false,
    code: "not_leader",
    message: "this node is not the leader",
    definite: true,
    leader: { id: "n3", url: "http://127.0.0.1:7003" },
  },
};
const readIndex: ReadIndexRequestFrame = { v, type: "ReadIndexRequest", from: "n2", id: 10 };
const readIndexOk: ReadIndexReplyFrame = {
  v,
  type: "ReadIndexReply",
  from: "n1",
  id: 10,
  result: { ok: true, index: 40 },
};
const readIndexFailed: ReadIndexReplyFrame = {
  v,
  type: "ReadIndexReply",
  from: "n1",
  id: 11,
  result: { ok: false, code: "timeout", message: "a quorum did not confirm the leader in time", leader: null },
};

/** The code a refused frame gets. */
function refusal(frame: unknown): string {
  const decoded = decodeFrame(JSON.stringify(frame));
  return decoded.ok ? "accepted" : decoded.error.code;
}

describe("forwarded-request frames", () => {
  it("round-trip through encodeForwardFrame() and decodeFrame()", () => {
    for (const frame of [proposal, deletion, applied, refused, notLeader, readIndex, readIndexOk, readIndexFailed]) {
      const decoded = decodeFrame(encodeForwardFrame(frame));
      expect(decoded).toEqual({ ok: true, frame });
    }
  });

  it("are told apart from Raft messages, requests from answers", () => {
    const kinds = [proposal, readIndex, applied, readIndexOk].map((frame) => ({
      type: frame.type,
      message: isMessageFrame(frame),
      request: isForwardRequest(frame),
      reply: isForwardReply(frame),
    }));
    expect(kinds).toEqual([
      { type: "ForwardProposal", message: false, request: true, reply: false },
      { type: "ReadIndexRequest", message: false, request: true, reply: false },
      { type: "ForwardProposalReply", message: false, request: false, reply: true },
      { type: "ReadIndexReply", message: false, request: false, reply: true },
    ]);
  });

  it("refuses a forwarded write without an idempotency key, or that is not a put or a delete", () => {
    const { idempotencyKey: _, ...keyless } = putCommand;
    expect(refusal(withCommand(keyless))).toBe("invalid_frame");
    expect(refusal(withCommand({ op: "noop", idempotencyKey: "k" }))).toBe("invalid_frame");
    expect(refusal(withCommand({ ...putCommand, unknown: 1 }))).toBe("invalid_frame");
  });

  it("refuses keys, values and idempotency keys beyond their bounds, and empty or oversized batches", () => {
    expect(refusal(withCommand({ ...putCommand, key: "" }))).toBe("invalid_frame");
    expect(refusal(withCommand({ ...putCommand, key: "k".repeat(1025) }))).toBe("invalid_frame");
    expect(refusal(withCommand({ ...putCommand, idempotencyKey: "i".repeat(129) }))).toBe("invalid_frame");
    expect(refusal(withCommand({ ...putCommand, value: "\ud800" }))).toBe("invalid_frame");
    expect(refusal({ ...proposal, proposals: [] })).toBe("invalid_frame");
    const many = Array.from({ length: MAX_FORWARD_BATCH + 1 }, (_, id) => ({ id, command: putCommand }));
    expect(refusal({ ...proposal, proposals: many })).toBe("invalid_frame");
    expect(refusal({ ...proposal, proposals: [{ id: -1, command: putCommand }] })).toBe("invalid_frame");
  });

  it("refuses bad ids, senders, versions, error codes, long messages and too many details", () => {
    expect(refusal({ ...readIndex, id: -1 })).toBe("invalid_frame");
    expect(refusal({ ...readIndex, id: 1.5 })).toBe("invalid_frame");
    expect(refusal({ ...readIndex, from: "not an id" })).toBe("invalid_frame");
    expect(refusal({ ...readIndex, v: 2 })).toBe("unsupported_version");
    const error = readIndexFailed.result;
    expect(refusal({ ...readIndexFailed, result: { ...error, code: "made_up" } })).toBe("invalid_frame");
    const long = "m".repeat(MAX_FORWARD_MESSAGE_LENGTH + 1);
    expect(refusal({ ...readIndexFailed, result: { ...error, message: long } })).toBe("invalid_frame");
    const details = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`d${i}`, i]));
    expect(refusal({ ...readIndexFailed, result: { ...error, details } })).toBe("invalid_frame");
    expect(refusal({ ...readIndexOk, result: { ok: true, index: -3 } })).toBe("invalid_frame");
    expect(refusal({ ...applied, result: { ...applied.result, prev: { key: "a" } } })).toBe("invalid_frame");
  });
});

describe("peerConnectionEvents() with forwarded requests", () => {
  function connection(options: Partial<PeerEndpointOptions> = {}) {
    const requests: Array<[NodeId, ForwardRequestFrame]> = [];
    const replies: string[] = [];
    let answer: ((text: string) => boolean) | null = null;
    const events = peerConnectionEvents(
      { id: "n2" as NodeId, url: null },
      {
        token: "s3cret",
        onMessage: () => undefined,
        onForwardRequest: (from, frame, reply) => {
          requests.push([from, frame]);
          answer = reply;
        },
        ...options,
      },
    );
    const ws = new WSContext({ send: (data) => replies.push(String(data)), close: () => undefined, readyState: 1 });
    const deliver = (text: string) => events.onMessage?.(new MessageEvent("message", { data: text }), ws);
    const codes = () => replies.map((r) => (JSON.parse(r) as { code?: string }).code);
    return { deliver, requests, replies, codes, reply: (text: string) => answer?.(text) };
  }

  it("hands a request to onForwardRequest, whose reply goes back on the same connection", () => {
    const c = connection();
    c.deliver(encodeForwardFrame(proposal));
    expect(c.requests).toEqual([["n2" as NodeId, proposal]]);
    expect(c.reply(encodeForwardFrame(applied))).toBe(true);
    expect(c.replies).toEqual([encodeForwardFrame(applied)]);
  });

  it("refuses requests without a handler, answers arriving at the endpoint, and another sender's requests", () => {
    const c = connection({ onForwardRequest: undefined });
    c.deliver(encodeForwardFrame(readIndex));
    c.deliver(encodeForwardFrame({ ...readIndexOk, from: "n2" }));
    c.deliver(encodeForwardFrame({ ...readIndex, from: "n3" }));
    expect(c.codes()).toEqual(["unexpected_frame", "unexpected_frame", "sender_mismatch"]);
    expect(c.requests).toEqual([]);
  });
});
