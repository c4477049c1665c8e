/**
 * The follower side of forwarding over the peer link: a client's key-value write, or a read-index
 * request, goes to the leader as one frame on this node's link to it, and waits (bounded) for the
 * leader's answer on the same connection. Outcomes are honest: a request that was never handed to
 * the socket certainly never reached the leader; once handed over, a lost answer, a timeout or a
 * dropped link leaves the outcome unknown (`definite: false`). The writes of one turn of the event
 * loop travel in one frame: a send on a WebSocket costs more than encoding a few more writes.
 */
import { assert, type NodeId } from "../../packages/core/src/mod.ts";
import {
  type ForwardedCommand,
  type ForwardedProposal,
  type ForwardReplyFrame,
  MAX_FORWARD_BATCH,
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

/** How a request ended: the leader's answer, a failure to answer, or never sent at all. */
type Settled = { readonly frame: ForwardReplyFrame } | { readonly failure: ServiceError } | { readonly unsent: true };

interface Pending {
  readonly kind: ForwardKind;
  readonly peer: NodeId;
  readonly timer: TimerHandle;
  readonly settle: (settled: Settled) => void;
}

/** The protocol version, typed as the frames want it. */
const V: typeof PEER_PROTOCOL_VERSION = PEER_PROTOCOL_VERSION;

/** Characters of keys and values one ForwardProposal frame carries, about (at most 3 MiB of UTF-8, below the frame limit). */
const BATCH_CHARS = 1024 * 1024;

/** Requests this node forwarded to its leader over the link, waiting for answers. */
export class LinkForwarder {
  readonly #options: LinkForwarderOptions;
  readonly #link: ForwardLink;
  readonly #clock: Clock;
  readonly #pending = new Map<number, Pending>();
  /** Writes of this turn waiting to be sent, by leader. Every one is also in `#pending`. */
  readonly #outbox = new Map<NodeId, ForwardedProposal[]>();
  #flushScheduled = false;
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
   * Forwards a write to `leader`: it leaves with the other writes of this turn, in one frame. Null
   * when the link is not open (nothing is sent: the caller may forward another way); `unsent` when
   * the link dropped the frame before it reached the socket (nothing was sent either); else the
   * leader's answer (with `servedBy` naming it), or an error saying whether the write may have
   * taken effect.
   */
  propose(leader: MemberInfo, command: ForwardedCommand): Promise<WriteResult | ServiceError | "unsent"> | null {
    const peer = leader.id as NodeId;
    const admitted = this.#admit(peer, "proposal");
    if (admitted !== null) return admitted === "closed" ? null : Promise.resolve(admitted);
    const id = this.#nextId++;
    const answer = this.#wait(id, leader, "proposal");
    const outbox = this.#outbox.get(peer);
    if (outbox === undefined) this.#outbox.set(peer, [{ id, command }]);
    else outbox.push({ id, command });
    this.#scheduleFlush();
    return answer.then((settled) => {
      if ("unsent" in settled) return "unsent";
      if ("failure" in settled) return settled.failure;
      const frame = settled.frame;
      assert(frame.type === "ForwardProposalReply", "a proposal is answered by a ForwardProposalReply");
      // The leader's own answer: it names the leader as the node that served it.
      return { ...(frame.result.ok ? frame.result : serviceErrorOf(frame.result)), servedBy: leader.id };
    });
  }

  /** Asks `leader` for a read index now; null when nothing could be sent (the link is not open or dropped the frame). */
  readIndex(leader: MemberInfo): Promise<ReadIndexAnswer> | null {
    const peer = leader.id as NodeId;
    const admitted = this.#admit(peer, "read_index");
    if (admitted !== null) return admitted === "closed" ? null : Promise.resolve(admitted);
    const id = this.#nextId++;
    const frame = { v: V, type: "ReadIndexRequest" as const, from: this.#options.selfId, id };
    const answer = this.#wait(id, leader, "read_index");
    // Not handed to the socket (it closed under us, or filled up): certainly never sent.
    if (!this.#link.sendEncoded(peer, encodeForwardFrame(frame), "read_index_request")) {
      this.#settle(id, { unsent: true }, null);
      return null;
    }
    return answer.then((settled) => {
      if ("unsent" in settled) return fail("leader_unreachable", "the read-index request was not sent");
      if ("failure" in settled) return settled.failure;
      assert(settled.frame.type === "ReadIndexReply", "a read-index request is answered by a ReadIndexReply");
      return settled.frame.result.ok ? settled.frame.result : serviceErrorOf(settled.frame.result);
    });
  }

  /** The leader's answer `frame` arrived on the link to `peer`. Unknown ids (answered already, timed out) are ignored. */
  handleReply(peer: NodeId, frame: ForwardReplyFrame): void {
    const pending = this.#pending.get(frame.id);
    if (pending === undefined || pending.peer !== peer) return; // Late: the request timed out or its link dropped.
    const expected = pending.kind === "proposal" ? "ForwardProposalReply" : "ReadIndexReply";
    if (frame.type !== expected) return; // Not the answer to this request; it times out instead.
    this.#settle(frame.id, { frame }, "answered");
  }

  /** The link to `peer` went down: writes still in the outbox were never sent; the others may have reached it. */
  linkDown(peer: NodeId): void {
    for (const { id } of this.#outbox.get(peer) ?? []) this.#settle(id, { unsent: true }, null);
    this.#outbox.delete(peer);
    for (const [id, pending] of [...this.#pending]) {
      if (pending.peer !== peer) continue;
      const message = `the link to the leader ${peer} dropped before it answered`;
      this.#settle(id, { failure: fail("leader_unreachable", message, { definite: false }) }, "unreachable");
    }
  }

  /** Ends every wait (the node is stopping) and refuses new requests. */
  stop(): void {
    this.#stopped = true;
    for (const batch of this.#outbox.values()) for (const { id } of batch) this.#settle(id, { unsent: true }, null);
    this.#outbox.clear();
    for (const id of [...this.#pending.keys()]) {
      const failure = fail("shutting_down", "the node stopped before the leader answered", { definite: false });
      this.#settle(id, { failure }, "stopped");
    }
  }

  /** Null if a request to `peer` may wait now; `closed` if the link is not open; else the refusal to answer. */
  #admit(peer: NodeId, kind: ForwardKind): ServiceError | "closed" | null {
    if (!this.canForward(peer)) return "closed";
    if (this.#pending.size < this.#options.capacity) return null;
    this.#options.onOutcome?.(kind, "overloaded");
    const what = kind === "proposal" ? "writes" : "read-index requests";
    return fail("overloaded", `too many forwarded ${what} are waiting for the leader; retry later`, { definite: true });
  }

  /** Registers request `id` to `leader`, timed from now. */
  #wait(id: number, leader: MemberInfo, kind: ForwardKind): Promise<Settled> {
    return new Promise<Settled>((resolve) => {
      const timer = this.#clock.setTimeout(() => {
        const message = `timed out after ${this.#options.timeoutMs} ms waiting for the leader ${leader.id} at ${leader.url} to answer`;
        this.#settle(id, { failure: fail("timeout", message, { definite: false, leader }) }, "timeout");
      }, this.#options.timeoutMs);
      this.#pending.set(id, { kind, peer: leader.id as NodeId, timer, settle: resolve });
    });
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    this.#clock.defer(() => this.#flush()); // The writes of this turn share frames.
  }

  /** Sends every peer's outbox, in frames of at most {@link MAX_FORWARD_BATCH} writes and about {@link BATCH_CHARS} characters. */
  #flush(): void {
    this.#flushScheduled = false;
    const outboxes = [...this.#outbox];
    this.#outbox.clear();
    for (const [peer, proposals] of outboxes) {
      let batch: ForwardedProposal[] = [];
      let chars = 0;
      for (const proposal of proposals) {
        const size = proposal.command.key.length + ("value" in proposal.command ? proposal.command.value.length : 0);
        if (batch.length > 0 && (batch.length >= MAX_FORWARD_BATCH || chars + size > BATCH_CHARS)) {
          this.#sendBatch(peer, batch);
          batch = [];
          chars = 0;
        }
        batch.push(proposal);
        chars += size;
      }
      this.#sendBatch(peer, batch);
    }
  }

  #sendBatch(peer: NodeId, proposals: ForwardedProposal[]): void {
    // Writes that timed out while waiting for the turn are not sent at all.
    const live = proposals.filter((p) => this.#pending.has(p.id));
    if (live.length === 0) return;
    const frame = { v: V, type: "ForwardProposal" as const, from: this.#options.selfId, proposals: live };
    // Not handed to the socket (it closed under us, or filled up): certainly never sent.
    if (this.#link.sendEncoded(peer, encodeForwardFrame(frame), "forward_proposal")) return;
    for (const { id } of live) this.#settle(id, { unsent: true }, null);
  }

  #settle(id: number, settled: Settled, outcome: ForwardOutcome | null): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    this.#clock.clearTimeout(pending.timer);
    if (outcome !== null) this.#options.onOutcome?.(pending.kind, outcome);
    pending.settle(settled);
  }
}

/** The leader's error as this node's service error (codes on the wire are those of the HTTP API). */
function serviceErrorOf(wire: ServiceErrorWire): ServiceError {
  const { ok: _ok, code, ...rest } = wire;
  // The leader's service answered it, so it is one of the service's codes.
  return { ok: false, code: code as ServiceErrorCode, ...rest } as ServiceError;
}
