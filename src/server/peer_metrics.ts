/**
 * Per-peer traffic metrics: frames sent, dropped and received by kind, link failures, reconnects
 * and Error frames per peer, and dials and frames the peer endpoint refused, by reason.
 *
 * Series stay bounded: the `peer` label is a member id of the node's configuration or
 * {@link NON_MEMBER_PEER} (never an id taken from unchecked input), `kind` and `reason` come
 * from fixed sets. Increments run on hot paths, so each peer's series handles are cached (a
 * bounded cache) instead of looking labels up every time.
 */
import { assert, type NodeId } from "../../packages/core/src/mod.ts";
import {
  FRAME_KINDS,
  type FrameKind,
  PEER_REJECT_REASONS,
  type PeerRejectReason,
  type PeerTrafficObserver,
} from "../transport/mod.ts";
import type { Counter, CounterChild, MetricsRegistry } from "./metrics.ts";

/** The `peer` label of traffic with a node outside the configuration (not a valid node id). */
export const NON_MEMBER_PEER = "(non-member)";

/** Cached peers at most; past it the cache starts over (the series themselves are kept). */
const MAX_CACHED_PEERS = 64;

/** The series handles of one peer label. */
interface PeerSeries {
  readonly sent: ReadonlyMap<FrameKind, CounterChild>;
  readonly dropped: ReadonlyMap<FrameKind, CounterChild>;
  readonly received: ReadonlyMap<FrameKind, CounterChild>;
  readonly linkFailures: CounterChild;
  readonly reconnects: CounterChild;
  readonly errorFrames: CounterChild;
}

/** Peer traffic counters; the transport reports to it as its {@link PeerTrafficObserver}. */
export class PeerMetrics implements PeerTrafficObserver {
  readonly #isMember: (id: NodeId) => boolean;
  readonly #sent: Counter;
  readonly #dropped: Counter;
  readonly #received: Counter;
  readonly #linkFailures: Counter;
  readonly #reconnects: Counter;
  readonly #errorFrames: Counter;
  readonly #rejected = new Map<PeerRejectReason, CounterChild>();
  readonly #cache = new Map<string, PeerSeries>();

  /** Registers the peer metrics on `registry`; `isMember` tells which ids may be labels. */
  constructor(registry: MetricsRegistry, isMember: (id: NodeId) => boolean) {
    this.#isMember = isMember;
    const r = registry;
    this.#sent = r.counter("raft_peer_messages_sent_total", "Frames handed to the link to each peer, by kind.");
    this.#dropped = r.counter(
      "raft_peer_messages_dropped_total",
      "Frames to each peer dropped because its link was down or saturated, by kind.",
    );
    this.#received = r.counter("raft_peer_messages_received_total", "Valid frames received from each peer, by kind.");
    this.#linkFailures = r.counter(
      "raft_peer_link_failures_total",
      "Dials to each peer that did not open, and connections to it that went away.",
    );
    this.#reconnects = r.counter(
      "raft_peer_reconnects_total",
      "Times the link to each peer opened again after a failure.",
    );
    this.#errorFrames = r.counter(
      "raft_peer_error_frames_total",
      "Error frames each peer sent back (frames of this node that it refused).",
    );
    const rejected = r.counter(
      "raft_peer_frames_rejected_total",
      "Dials and frames the peer endpoint refused, by reason (handshake refusals and frame codes).",
    );
    for (const reason of PEER_REJECT_REASONS) this.#rejected.set(reason, rejected.child({ reason }));
  }

  sent(peer: NodeId, kind: FrameKind): void {
    this.#series(peer).sent.get(kind)?.inc();
  }

  dropped(peer: NodeId, kind: FrameKind): void {
    this.#series(peer).dropped.get(kind)?.inc();
  }

  /** A valid frame of `kind` arrived from `peer` (the id its handshake gave). */
  received(peer: NodeId, kind: FrameKind): void {
    this.#series(peer).received.get(kind)?.inc();
  }

  linkFailed(peer: NodeId): void {
    this.#series(peer).linkFailures.inc();
  }

  reconnected(peer: NodeId): void {
    this.#series(peer).reconnects.inc();
  }

  refusedByPeer(peer: NodeId): void {
    this.#series(peer).errorFrames.inc();
  }

  /** The peer endpoint refused a dial or a frame for `reason`. */
  rejected(reason: PeerRejectReason): void {
    const child = this.#rejected.get(reason);
    assert(child !== undefined, `unknown peer reject reason ${reason}`);
    child.inc();
  }

  #series(peer: NodeId): PeerSeries {
    const label = this.#isMember(peer) ? peer : NON_MEMBER_PEER;
    const cached = this.#cache.get(label);
    if (cached !== undefined) return cached;
    if (this.#cache.size >= MAX_CACHED_PEERS) this.#cache.clear(); // Bounded; handles are looked up again.
    const labels = { peer: label };
    const byKind = (counter: Counter) =>
      new Map(FRAME_KINDS.map((kind) => [kind, counter.child({ peer: label, kind })]));
    const series: PeerSeries = {
      sent: byKind(this.#sent),
      dropped: byKind(this.#dropped),
      received: byKind(this.#received),
      linkFailures: this.#linkFailures.child(labels),
      reconnects: this.#reconnects.child(labels),
      errorFrames: this.#errorFrames.child(labels),
    };
    this.#cache.set(label, series);
    return series;
  }
}
