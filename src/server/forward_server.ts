/**
 * The leader side of forwarding over the peer link: a follower's forwarded write goes through the
 * same service call as a write to the leader's own HTTP API, and a read-index request gets the
 * commit index once a quorum confirmed this leader; the answer carries what the leader's handler
 * would have answered (result, or error code, message, definite, leader hint).
 */
import {
  type ForwardedCommand,
  type ForwardProposalReplyFrame,
  type ForwardReplyFrame,
  type ForwardRequestFrame,
  MAX_FORWARD_DETAIL_KEYS,
  MAX_FORWARD_MESSAGE_LENGTH,
  PEER_PROTOCOL_VERSION,
  type ServiceErrorWire,
} from "../../schemas/peer_frame.ts";
import type { ReadIndexAnswer } from "./link_forwarder.ts";
import type { ServiceError, WriteResult } from "./service.ts";

/** What answering forwarded requests needs of the node's service. */
export interface ForwardTarget {
  /** This node's id (the `from` of its answers). */
  readonly self: { readonly id: string };
  /**
   * Writes as `PUT` or `DELETE /v1/kv/{key}` do on this node, never forwarding it again (a node
   * that does not lead answers `not_leader`, naming the leader it knows).
   */
  writeForwarded(command: ForwardedCommand): Promise<WriteResult | ServiceError>;
  /** A read index confirmed by a quorum (leader only). */
  leaderReadIndex(): Promise<ReadIndexAnswer>;
}

/**
 * Answers a forwarded request through `reply`, for the connection it came on: the read index, or
 * each write of the frame as soon as it is decided. Never rejects: a call that fails is answered
 * `internal`, `definite: false` (as the HTTP API answers an internal error), after `onError` was told.
 */
export async function answerForwardRequest(
  target: ForwardTarget,
  frame: ForwardRequestFrame,
  reply: (answer: ForwardReplyFrame) => void,
  onError: (error: unknown) => void = () => {},
): Promise<void> {
  const from = target.self.id;
  if (frame.type === "ReadIndexRequest") {
    const result = await guarded(async () => {
      const answer = await target.leaderReadIndex();
      return answer.ok ? { ok: true as const, index: answer.index } : errorWire(answer);
    }, onError);
    reply({ v: V, type: "ReadIndexReply", from, id: frame.id, result });
    return;
  }
  const answers = frame.proposals.map(async ({ id, command }) => {
    const result = await guarded(async () => writeWire(await target.writeForwarded(command)), onError);
    reply({ v: V, type: "ForwardProposalReply", from, id, result });
  });
  await Promise.all(answers);
}

/** The protocol version, typed as the frames want it. */
const V: typeof PEER_PROTOCOL_VERSION = PEER_PROTOCOL_VERSION;

/** The result of `call`, or `internal`, `definite: false` if it throws. */
async function guarded<T>(call: () => Promise<T>, onError: (error: unknown) => void): Promise<T | ServiceErrorWire> {
  try {
    return await call();
  } catch (error) {
    onError(error);
    const message = "the leader failed while answering the forwarded request; it may or may not have taken effect";
    return { ok: false, code: "internal", message, definite: false };
  }
}

function writeWire(outcome: WriteResult | ServiceError): ForwardProposalReplyFrame["result"] {
  if (!outcome.ok) return errorWire(outcome);
  const { index, revision, prev, replayed } = outcome;
  return { ok: true, index, revision, prev, replayed };
}

/** A service error as the wire carries it (the message and details bounded as the schema wants). */
function errorWire(error: ServiceError): ServiceErrorWire {
  const wire: ServiceErrorWire = {
    ok: false,
    code: error.code,
    message: error.message.slice(0, MAX_FORWARD_MESSAGE_LENGTH),
  };
  const out = wire as { -readonly [K in keyof ServiceErrorWire]: ServiceErrorWire[K] };
  if (error.definite !== undefined) out.definite = error.definite;
  if (error.leader !== undefined) out.leader = error.leader;
  if (error.replayed !== undefined) out.replayed = error.replayed;
  if (error.details !== undefined) {
    const entries = Object.entries(error.details).slice(0, MAX_FORWARD_DETAIL_KEYS);
    out.details = Object.fromEntries(entries) as ServiceErrorWire["details"];
  }
  return wire;
}
