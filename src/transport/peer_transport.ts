/**
 * The peer transport: one outbound {@link PeerLink} per peer, kept in step with the membership.
 * A node sends its own messages over its own links and receives on its endpoint; frames a peer
 * sends back on a link are Error frames, reported to the runtime, and the leader's answers to
 * requests this node forwarded to it. Every send may drop.
 */
import type { ClusterConfig, LogPosition, Message, NodeId } from "../../packages/core/src/mod.ts";
import type { ForwardReplyFrame } from "../../schemas/peer_frame.ts";
import { decodeFrame, encodeSnapshotChunk, encodeWire, isForwardReply, type SnapshotChunk } from "./codec.ts";
import { type FrameKind, frameKindOf } from "./frame_kind.ts";
import { NODE_ID_HEADER, NODE_URL_HEADER, PEER_PATH } from "./peer_endpoint.ts";
import type { WireFrame } from "./peer_error.ts";
import { DEFAULT_HIGH_WATER_MARK, PeerLink, type PeerLinkOptions, SYSTEM_TIMERS } from "./peer_link.ts";
import { dialUrlOf, NO_PEER_VIA, type PeerVia } from "./peer_via.ts";
import { DEFAULT_SNAPSHOT_CHUNK_BYTES, snapshotChunks } from "./snapshot_stream.ts";

/** A peer to dial: its node id and its HTTP URL. */
export interface PeerAddress {
  /** The peer's node id. */
  readonly id: NodeId;
  /** The peer's HTTP URL (its WebSocket URL is derived with {@link peerSocketUrl}). */
  readonly url: string;
}

/** Counters of one peer's link. */
export interface PeerStats {
  /** The peer's node id. */
  readonly id: NodeId;
  /** The peer's HTTP URL. */
  readonly url: string;
  /** The URL this node dials it at: `url`, or its `--peer-via` address. */
  readonly dialUrl: string;
  /** True iff the link is open. */
  readonly connected: boolean;
  /** Frames handed to the link. */
  readonly sent: number;
  /** Frames dropped because the link was down or saturated. */
  readonly dropped: number;
  /** Error frames the peer sent back (frames it refused). */
  readonly refused: number;
}

/**
 * Told what happens on the links, for metrics; called on hot paths, so it must be cheap and must
 * not throw. Peer ids are those the transport was given in `setPeers`.
 */
export interface PeerTrafficObserver {
  /** A frame of `kind` was handed to the link to `peer`. */
  sent(peer: NodeId, kind: FrameKind): void;
  /** A frame of `kind` to `peer` was dropped: the link was down or saturated. */
  dropped(peer: NodeId, kind: FrameKind): void;
  /** The connection to `peer` failed: a dial that did not open, or an open connection that went away. */
  linkFailed(peer: NodeId): void;
  /** The link to `peer` opened again after it had been open before. */
  reconnected(peer: NodeId): void;
  /** `peer` sent back an Error frame: it refused one of this node's frames. */
  refusedByPeer(peer: NodeId): void;
}

/** Link settings a transport passes to each {@link PeerLink}. */
export type LinkSettings = Omit<PeerLinkOptions, "url" | "headers" | "onOpen" | "onClose" | "onText">;

/** Options of a {@link PeerTransport}. */
export interface PeerTransportOptions {
  /** This node's id, sent in the handshake; a peer entry with this id is ignored. */
  readonly selfId: NodeId;
  /** This node's advertised HTTP URL, sent in the handshake so peers can dial back. */
  readonly selfUrl: string;
  /** The cluster token. */
  readonly token: string;
  /**
   * Peers dialed through another address than their member URL (`--peer-via`); their links, and
   * so their snapshot transfers, use it. Default: none.
   */
  readonly via?: PeerVia;
  /** Settings for every link (client constructor, high-water mark, backoff, timers). */
  readonly link?: LinkSettings;
  /** Snapshot chunk size in bytes; default 256 KiB. */
  readonly snapshotChunkBytes?: number;
  /** How long `sendSnapshot` waits for a link to drain before each chunk; default 10 s. */
  readonly snapshotDrainTimeoutMs?: number;
  /** A peer refused one of this node's frames (it sent back an Error frame). */
  readonly onPeerError?: (peer: NodeId, error: { readonly code: string; readonly message: string }) => void;
  /** A link to `peer` opened (`connected` true) or went down (false). */
  readonly onLinkChange?: (peer: NodeId, connected: boolean) => void;
  /** `peer` answered, on this node's link to it, a request this node forwarded (see `sendEncoded`). */
  readonly onForwardReply?: (peer: NodeId, frame: ForwardReplyFrame) => void;
  /** Told of every frame sent or dropped and every link failure (metrics). */
  readonly observer?: PeerTrafficObserver;
}

/** The snapshot `sendSnapshot` streams. */
export interface OutgoingSnapshot {
  /** The last log position the snapshot covers. */
  readonly position: LogPosition;
  /** The configuration at `position`. */
  readonly config: ClusterConfig;
  /** The snapshot's bytes. */
  readonly data: Uint8Array;
}

interface Peer {
  readonly url: string;
  readonly link: PeerLink;
  sent: number;
  dropped: number;
  refused: number;
}

const NO_OBSERVER: PeerTrafficObserver = {
  sent() {},
  dropped() {},
  linkFailed() {},
  reconnected() {},
  refusedByPeer() {},
};

const DRAIN_POLL_MS = 5;

/**
 * The WebSocket URL of the peer endpoint behind an HTTP URL: http becomes ws, https becomes wss,
 * and {@link PEER_PATH} is appended to the URL's path (so a path prefix is kept). Returns the
 * input unchanged if it is not an http(s) or ws(s) URL; dialing it then fails and is retried.
 */
export function peerSocketUrl(httpUrl: string): string {
  let url: URL;
  try {
    url = new URL(httpUrl);
  } catch {
    return httpUrl;
  }
  const protocols: Record<string, string> = { "http:": "ws:", "https:": "wss:", "ws:": "ws:", "wss:": "wss:" };
  const protocol = protocols[url.protocol];
  if (protocol === undefined) return httpUrl;
  const base = url.pathname.replace(/\/+$/, "");
  return `${protocol}//${url.host}${base}${PEER_PATH}`;
}

/** Outbound links to every peer, with per-peer counters. */
export class PeerTransport {
  readonly #options: PeerTransportOptions;
  readonly #peers = new Map<NodeId, Peer>();
  readonly #snapshotting = new Set<NodeId>();
  readonly #observer: PeerTrafficObserver;
  readonly #via: PeerVia;
  #snapshotCount = 0;
  #closed = false;

  /** Creates a transport with no peers; call {@link PeerTransport.setPeers}. */
  constructor(options: PeerTransportOptions) {
    this.#options = options;
    this.#observer = options.observer ?? NO_OBSERVER;
    this.#via = options.via ?? NO_PEER_VIA;
  }

  /**
   * Dials exactly `peers` (minus this node): opens links to new peers, closes links to removed
   * ones, and redials a peer whose URL changed (its counters carry over).
   */
  setPeers(peers: ReadonlyArray<PeerAddress>): void {
    if (this.#closed) return;
    const wanted = new Map<NodeId, string>();
    for (const peer of peers) if (peer.id !== this.#options.selfId) wanted.set(peer.id, peer.url);
    for (const [id, peer] of [...this.#peers]) {
      if (wanted.get(id) === peer.url) continue;
      peer.link.close();
      this.#peers.delete(id);
      const url = wanted.get(id);
      if (url !== undefined) this.#peers.set(id, { ...peer, url, link: this.#openLink(id, url) });
    }
    for (const [id, url] of wanted) {
      if (!this.#peers.has(id))
        this.#peers.set(id, { url, link: this.#openLink(id, url), sent: 0, dropped: 0, refused: 0 });
    }
  }

  /** Sends one message to `to`; false if it was dropped (unknown peer, link down or saturated). */
  send(to: NodeId, message: Message): boolean {
    return this.sendEncoded(to, encodeWire(message), frameKindOf(message));
  }

  /** Sends an already encoded frame of `kind` to `to` (lets a broadcast encode once); false if dropped. */
  sendEncoded(to: NodeId, text: WireFrame, kind: FrameKind): boolean {
    const peer = this.#peers.get(to);
    if (peer === undefined) return false; // Not a peer (any more): nothing to count against.
    const sent = peer.link.send(text);
    if (sent) {
      peer.sent += 1;
      this.#observer.sent(to, kind);
    } else {
      peer.dropped += 1;
      this.#observer.dropped(to, kind);
    }
    return sent;
  }

  /** Sends `message`, encoded once, to each of `to`; returns how many links took it. */
  broadcast(to: readonly NodeId[], message: Message): number {
    if (to.length === 0) return 0;
    const text = encodeWire(message);
    const kind = frameKindOf(message);
    let sent = 0;
    for (const id of to) if (this.sendEncoded(id, text, kind)) sent += 1;
    return sent;
  }

  /** Sends one snapshot chunk to `to`; false if it was dropped. */
  sendSnapshotChunk(to: NodeId, chunk: SnapshotChunk): boolean {
    return this.sendEncoded(to, encodeSnapshotChunk(chunk), "snapshot_chunk");
  }

  /**
   * Streams `snapshot` to `to` in chunks, waiting for the link to drain before each one. Resolves
   * true once every chunk was handed to the link; false if a transfer to `to` is already running,
   * or the link dropped a chunk, went away or stayed saturated (the caller retries later).
   */
  async sendSnapshot(to: NodeId, snapshot: OutgoingSnapshot): Promise<boolean> {
    const peer = this.#peers.get(to);
    if (peer === undefined || this.#snapshotting.has(to)) return false;
    this.#snapshotting.add(to);
    try {
      this.#snapshotCount += 1;
      const { position, config } = snapshot;
      const snapshotId = `${this.#options.selfId}.${position.term}.${position.index}.${this.#snapshotCount}`;
      const meta = { from: this.#options.selfId, snapshotId, position, config };
      const chunkBytes = this.#options.snapshotChunkBytes ?? DEFAULT_SNAPSHOT_CHUNK_BYTES;
      for (const chunk of snapshotChunks(snapshot.data, meta, chunkBytes)) {
        if (!(await this.#drained(to, peer))) return false;
        if (!this.sendSnapshotChunk(to, chunk)) return false;
      }
      return true;
    } finally {
      this.#snapshotting.delete(to);
    }
  }

  /** True iff the link to `to` is open and below its high-water mark. */
  canSend(to: NodeId): boolean {
    const link = this.#peers.get(to)?.link;
    return link?.isOpen === true && link.bufferedAmount <= this.#highWaterMark();
  }

  /** The counters of every peer, by ascending id. */
  stats(): PeerStats[] {
    const ids = [...this.#peers.keys()].sort();
    return ids.map((id) => {
      const { url, link, sent, dropped, refused } = this.#peers.get(id) as Peer;
      const dialUrl = dialUrlOf(this.#via, id, url);
      return { id, url, dialUrl, connected: link.isOpen, sent, dropped, refused };
    });
  }

  /** Closes every link; later sends are dropped and `setPeers` does nothing. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const peer of this.#peers.values()) peer.link.close();
    this.#peers.clear();
  }

  #openLink(id: NodeId, url: string): PeerLink {
    const { selfId, selfUrl, token } = this.#options;
    let opened = false;
    return new PeerLink({
      ...this.#options.link,
      url: peerSocketUrl(dialUrlOf(this.#via, id, url)),
      headers: { authorization: `Bearer ${token}`, [NODE_ID_HEADER]: selfId, [NODE_URL_HEADER]: selfUrl },
      onOpen: () => {
        if (opened) this.#observer.reconnected(id);
        opened = true;
        this.#options.onLinkChange?.(id, true);
      },
      onClose: () => {
        this.#observer.linkFailed(id); // The link calls onClose only for connections it did not close itself.
        this.#options.onLinkChange?.(id, false);
      },
      onText: (text) => this.#handleText(id, text),
    });
  }

  /** A frame the peer sent back on our link: an Error frame, or the answer to a forwarded request. */
  #handleText(id: NodeId, text: string): void {
    const decoded = decodeFrame(text);
    if (!decoded.ok) return; // A peer's bad answer is dropped; the request it answers times out.
    if (isForwardReply(decoded.frame)) {
      // An answer from another node than the one dialed is not the answer to our request.
      if (decoded.frame.from === id) this.#options.onForwardReply?.(id, decoded.frame);
      return;
    }
    if (decoded.frame.type !== "Error") return; // Outbound links carry nothing else.
    const peer = this.#peers.get(id);
    if (peer !== undefined) {
      peer.refused += 1;
      this.#observer.refusedByPeer(id);
    }
    this.#options.onPeerError?.(id, { code: decoded.frame.code, message: decoded.frame.message });
  }

  /** Waits (bounded) until `peer`'s link is open and drained to a quarter of its high-water mark. */
  async #drained(to: NodeId, peer: Peer): Promise<boolean> {
    const timers = this.#options.link?.timers ?? SYSTEM_TIMERS;
    const lowWater = this.#highWaterMark() / 4;
    const polls = Math.ceil((this.#options.snapshotDrainTimeoutMs ?? 10_000) / DRAIN_POLL_MS);
    for (let i = 0; i <= polls; i++) {
      if (this.#peers.get(to) !== peer) return false; // Removed or redialed: the transfer is void.
      if (!peer.link.isOpen) return false; // Down: a chunk now would only open a gap.
      if (peer.link.bufferedAmount <= lowWater) return true;
      await new Promise<void>((resolve) => timers.setTimeout(resolve, DRAIN_POLL_MS));
    }
    return false;
  }

  #highWaterMark(): number {
    return this.#options.link?.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
  }
}
