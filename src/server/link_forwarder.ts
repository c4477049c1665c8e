/**
 * The follower side of forwarding over the peer link: a client's key-value write, or a read-index
 * request, goes to the leader as one frame on this node's link to it, and waits (bounded) for the
 * leader's answer on the same connection. Outcomes are honest: a request that was never handed to
 * the socket certainly never reached the leader; once handed over, a lost answer, a timeout or a
 * dropped link leaves the outcome unknown (`definite: false`).
 */
import { assert, type NodeId } from "../../packages/core/src/mod.ts";
import {
  type ForwardedCommand,
  type ForwardReplyFrame,
  PEER_PROTOCOL_VERSION,
  type ServiceErrorWire,
} from "../../schemas/peer_frame.ts";
import { encodeForwardFrame, type FrameKind } from "../transport/mod.ts";
import type { Clock, TimerHandle } from "./clock.ts";
import type { MemberInfo, ServiceError, ServiceErrorCode, WriteResult } from "./service.ts";
import { fail } from "./write_outcome.ts";

/** What the forwarder needs of the peer transport. */
export interface ForwardLink {
  /** True iff the link to `to` is open and not saturated. */
  canSend(to: NodeId): boolean;
  /** Hands an encoded frame to the link to `to`; false if it was dropped (never sent). */
  sendEncoded(to: NodeId, text: string, kind: FrameKind): boolean;
}

/** The leader's read index, or why there is none. */
export type ReadIndexAnswer = { readonly ok: true; readonly index: number } | ServiceError;

/** Settings of a {@link LinkForwarder}. */
export interface LinkForwarderOptions {
  /** This node's id (the `from` of its frames). */
  readonly selfId: NodeId;
  /** Requests that may wait for an answer at once; more are refused (`overloaded`, never sent). */
  readonly capacity: number;
  /** How long a request waits for the leader's answer (the HTTP forward timeout). */
  readonly timeoutMs: number;
  /** The clock that times requests. */
  readonly clock: Clock;
  /** Told how each request ended, for metrics. */
  readonly onOutcome?: (kind: ForwardKind, outcome: ForwardOutcome) => void;
}

/** What was forwarded. */
export type ForwardKind = "proposal" | "read_index";
/** How a forwarded request ended: answered (with a result or an error), or not. */
export type ForwardOutcome = "answered" | "overloaded" | "unreachable" | "timeout" | "stopped";

/** Every {@link ForwardKind}. */
export const FORWARD_KINDS: readonly ForwardKind[] = ["proposal", "read_index"];
/** Every {@link ForwardOutcome}. */
export const FORWARD_OUTCOMES: readonly ForwardOutcome[] = [
  "answered",
  "overloaded",
  "unreachable",
  "timeout",
  "stopped",
];

interface Pending {
  readonly kind: ForwardKind;
  readonly peer: NodeId;
  readonly timer: TimerHandle;
  readonly settle: (frame: ForwardReplyFrame | null, failure: ServiceError | null) => void;
}

/** Requests this node forwarded to its leader over the link, waiting for answers. */
export class LinkForwarder {
  readonly #options: LinkForwarderOptions;
  readonly #link: ForwardLink;
  readonly #clock: Clock;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #stopped = false;

  /** A forwarder over `link`. */
  constructor(link: ForwardLink, options: LinkForwarderOptions) {
    assert(Number.isInteger(options.capacity) && options.capacity > 0, "the forward capacity is a positive integer");
    assert(Number.isInteger(options.timeoutMs) && options.timeoutMs > 0, "the forward timeout is a positive integer");
    this.#options = options;
    this.#link = link;
    this.#clock = options.clock;
  }

  /** Requests waiting for an answer. Invariant: at most `capacity`. */
  get size(): number {
    return this.#pending.size;
  }

  /** True iff a request to `leader` may go over the link now (it is open and below its limit). */
  canForward(leader: NodeId): boolean {
    return !this.#stopped && leader !== this.#options.selfId && this.#link.canSend(leader);
  }

  /**
   * Forwards a write to `leader`. Null when the link is not open (nothing was sent: the caller may
   * forward another way); else the leader's answer (with `servedBy` naming it), or an error saying
   * whether the write may have taken effect.
   */
  propose(leader: MemberInfo, command: ForwardedCommand): Promise<WriteResult | ServiceError> | null {
    const sent = this.#send(leader, "proposal", (id) => ({
      v: PEER_PROTOCOL_VERSION,
      type: "ForwardProposal",
      from: this.#options.selfId,
      id,
      command,
    }));
    if (sent === null || "ok" in sent) return sent === null ? null : Promise.resolve(sent);
    return sent.answer.then(({ frame, failure }) => {
      if (failure !== null) return failure;
      assert(frame?.type === "ForwardProposalReply", "a proposal is answered by a ForwardProposalReply");
      // The leader's own answer: it names the leader as the node that served it.
      return { ...(frame.result.ok ? frame.result : serviceErrorOf(frame.result)), servedBy: leader.id };
    });
  }

  /** Asks `leader` for a read index; null when the link is not open (nothing was sent). */
  readIndex(leader: MemberInfo): Promise<ReadIndexAnswer> | null {
    const sent = this.#send(leader, "read_index", (id) => ({
      v: PEER_PROTOCOL_VERSION,
      type: "ReadIndexRequest",
      from: this.#options.selfId,
      id,
    }));
    if (sent === null || "ok" in sent) return sent === null ? null : Promise.resolve(sent);
    return sent.answer.then(({ frame, failure }) => {
      if (failure !== null) return failure;
      assert(frame?.type === "ReadIndexReply", "a read-index request is answered by a ReadIndexReply");
      return frame.result.ok ? frame.result : serviceErrorOf(frame.result);
    });
  }

  /** The leader's answer `frame` arrived on the link to `peer`. Unknown ids (answered already, timed out) are ignored. */
  handleReply(peer: NodeId, frame: ForwardReplyFrame): void {
    const pending = this.#pending.get(frame.id);
    if (pending === undefined || pending.peer !== peer) return; // Late: the request timed out or its link dropped.
    const expected = pending.kind === "proposal" ? "ForwardProposalReply" : "ReadIndexReply";
    if (frame.type !== expected) return; // Not the answer to this request; it times out instead.
    this.#settle(frame.id, frame, null, "answered");
  }

  /** The link to `peer` went down: its unanswered requests may or may not have reached it. */
  linkDown(peer: NodeId): void {
    for (const [id, pending] of [...this.#pending]) {
      if (pending.peer !== peer) continue;
      const failure = fail("leader_unreachable", `the link to the leader ${peer} dropped before it answered`, {
        definite: false,
      });
      this.#settle(id, null, failure, "unreachable");
    }
  }

  /** Ends every wait (the node is stopping) and refuses new requests. */
  stop(): void {
    this.#stopped = true;
    for (const id of [...this.#pending.keys()]) {
      const failure = fail("shutting_down", "the node stopped before the leader answered", { definite: false });
      this.#settle(id, null, failure, "stopped");
    }
  }

  /**
   * Sends the frame `build(id)` makes to `leader`: null if the link is not open (nothing sent), an
   * error if the request is certainly not sent for another reason, else the wait for its answer.
   */
  #send(
    leader: MemberInfo,
    kind: ForwardKind,
    build: (id: number) => Parameters<typeof encodeForwardFrame>[0],
  ):
    | { readonly answer: Promise<{ frame: ForwardReplyFrame | null; failure: ServiceError | null }> }
    | ServiceError
    | null {
    const peer = leader.id as NodeId;
    if (!this.canForward(peer)) return null;
    if (this.#pending.size >= this.#options.capacity) {
      this.#options.onOutcome?.(kind, "overloaded");
      const what = kind === "proposal" ? "writes" : "read-index requests";
      return fail("overloaded", `too many forwarded ${what} are waiting for the leader; retry later`, {
        definite: true,
      });
    }
    const id = this.#nextId++;
    const wireKind: FrameKind = kind === "proposal" ? "forward_proposal" : "read_index_request";
    // Not handed to the socket (it closed under us, or filled up): certainly never sent.
    if (!this.#link.sendEncoded(peer, encodeForwardFrame(build(id)), wireKind)) return null;
    const answer = new Promise<{ frame: ForwardReplyFrame | null; failure: ServiceError | null }>((resolve) => {
      const timer = this.#clock.setTimeout(() => {
        const message = `timed out after ${this.#options.timeoutMs} ms waiting for the leader ${leader.id} at ${leader.url} to answer`;
        this.#settle(id, null, fail("timeout", message, { definite: false, leader }), "timeout");
      }, this.#options.timeoutMs);
      this.#pending.set(id, { kind, peer, timer, settle: (frame, failure) => resolve({ frame, failure }) });
    });
    return { answer };
  }

  #settle(id: number, frame: ForwardReplyFrame | null, failure: ServiceError | null, outcome: ForwardOutcome): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    this.#clock.clearTimeout(pending.timer);
    this.#options.onOutcome?.(pending.kind, outcome);
    pending.settle(frame, failure);
  }
}

/** The leader's error as this node's service error (codes on the wire are those of the HTTP API). */
function serviceErrorOf(wire: ServiceErrorWire): ServiceError {
  const { ok: _ok, code, ...rest } = wire;
  // The leader's service answered it, so it is one of the service's codes.
  return { ok: false, code: code as ServiceErrorCode, ...rest } as ServiceError;
}
