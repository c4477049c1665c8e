/**
 * A peer link: the dialing side of the connection to one peer. It keeps one WebSocket open,
 * reconnects with capped exponential backoff and jitter, and drops frames instead of queueing
 * them when the connection is down or saturated (Raft retransmits on the next heartbeat).
 */
import type { WireFrame } from "./peer_error.ts";
import { defaultWebSocketImpl, type PeerSocket, type WebSocketImpl } from "./websocket_client.ts";

/** Timer functions, injectable so tests can drive reconnection by hand. */
export interface Timers {
  /** Runs `fn` once after `ms` milliseconds; returns a handle for `clearTimeout`. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a pending `setTimeout`. */
  clearTimeout(handle: unknown): void;
}

/** The platform timers. */
export const SYSTEM_TIMERS: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Where a link is: dialing, usable, waiting to redial, or closed for good. */
export type PeerLinkState = "connecting" | "open" | "waiting" | "closed";

/** Options of a {@link PeerLink}. Only `url` is required. */
export interface PeerLinkOptions {
  /** The peer's WebSocket URL (ws: or wss:). */
  readonly url: string;
  /** Handshake headers (token, own node id and URL). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The WebSocket client constructor; default {@link defaultWebSocketImpl}. */
  readonly WebSocket?: WebSocketImpl;
  /** `send` drops frames while more than this many bytes are buffered; default 4 MiB. */
  readonly highWaterMark?: number;
  /** First redial delay; it doubles per failed attempt up to `maxBackoffMs`. Default 50 ms. */
  readonly initialBackoffMs?: number;
  /** Cap of the redial delay; default 2000 ms. */
  readonly maxBackoffMs?: number;
  /** A dial that has not opened after this long is abandoned and retried; default 5000 ms. */
  readonly connectTimeoutMs?: number;
  /** Uniform random numbers in [0, 1) for jitter; default Math.random. */
  readonly random?: () => number;
  /** Timer functions; default {@link SYSTEM_TIMERS}. */
  readonly timers?: Timers;
  /** Called each time the connection opens. */
  readonly onOpen?: () => void;
  /** Called each time an open or opening connection goes away. */
  readonly onClose?: (code: number, reason: string) => void;
  /** Called with each frame the peer sends back on this link (binary frames decoded as UTF-8). */
  readonly onText?: (text: string) => void;
}

/** The default high-water mark of buffered bytes (4 MiB). */
export const DEFAULT_HIGH_WATER_MARK = 4 * 1024 * 1024;

const OPEN = 1;
/** Frames (and UTF-16 code units) kept while a dial is in flight. */
const MAX_PENDING_FRAMES = 64;
const MAX_PENDING_BYTES = 1024 * 1024;
const utf8 = new TextDecoder();

/** The dialing side of one peer connection, with reconnection and a bounded send buffer. */
export class PeerLink {
  readonly #options: PeerLinkOptions;
  readonly #impl: WebSocketImpl;
  readonly #timers: Timers;
  readonly #highWaterMark: number;
  #socket: PeerSocket | null = null;
  #state: PeerLinkState = "connecting";
  /** Failed dials since the last open; sets the next backoff. */
  #attempt = 0;
  /** The pending redial or connect-timeout timer. */
  #timer: unknown = null;
  /** Frames queued while a dial is in flight (bounded by MAX_PENDING_*). */
  #pending: WireFrame[] = [];
  #pendingBytes = 0;

  /** Creates the link and starts dialing at once. */
  constructor(options: PeerLinkOptions) {
    this.#options = options;
    this.#impl = options.WebSocket ?? defaultWebSocketImpl();
    this.#timers = options.timers ?? SYSTEM_TIMERS;
    this.#highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    this.#dial();
  }

  /** The peer's WebSocket URL. */
  get url(): string {
    return this.#options.url;
  }

  /** The link's current state. */
  get state(): PeerLinkState {
    return this.#state;
  }

  /** True iff a connection is open. */
  get isOpen(): boolean {
    return this.#state === "open";
  }

  /** Bytes buffered on the open connection (0 when none is open). */
  get bufferedAmount(): number {
    return this.#socket?.bufferedAmount ?? 0;
  }

  /**
   * Sends one frame (text, or binary for bytes). Returns false, dropping the frame, when no connection is open or more
   * than the high-water mark is already buffered.
   */
  send(text: WireFrame): boolean {
    const socket = this.#socket;
    if (this.#state === "connecting" && socket !== null) return this.#queueWhileDialing(text);
    if (this.#state !== "open" || socket === null || socket.readyState !== OPEN) return false;
    if (socket.bufferedAmount > this.#highWaterMark) return false; // Saturated: drop rather than grow.
    try {
      socket.send(text);
      return true;
    } catch {
      return false; // The socket closed under us; its close event schedules the redial.
    }
  }

  /** Closes the connection and stops redialing. Idempotent. */
  close(): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#clearTimer();
    this.#dropPending();
    const socket = this.#socket;
    this.#socket = null;
    if (socket !== null) closeQuietly(socket);
  }

  #dial(): void {
    this.#state = "connecting";
    let socket: PeerSocket;
    try {
      socket = new this.#impl(this.#options.url, { headers: { ...this.#options.headers } });
    } catch {
      this.#scheduleRedial(); // A malformed URL or a refused dial: retry later, never throw.
      return;
    }
    socket.binaryType = "arraybuffer";
    socket.onopen = () => this.#handleOpen(socket);
    socket.onmessage = (event) => this.#handleMessage(socket, event.data);
    socket.onclose = (event) => this.#handleGone(socket, event.code, event.reason);
    socket.onerror = () => this.#handleGone(socket, 1006, "error");
    this.#socket = socket;
    this.#timer = this.#timers.setTimeout(() => this.#handleConnectTimeout(socket), this.#connectTimeoutMs());
  }

  /**
   * Keeps a few frames while a dial is in flight (a fresh link's first messages, such as a vote
   * request or its reply, would otherwise be lost and cost an election round). Bounded; dropped if
   * the dial fails.
   */
  #queueWhileDialing(text: WireFrame): boolean {
    if (this.#pending.length >= MAX_PENDING_FRAMES || this.#pendingBytes + text.length > MAX_PENDING_BYTES) {
      return false;
    }
    this.#pending.push(text);
    this.#pendingBytes += text.length;
    return true;
  }

  #handleOpen(socket: PeerSocket): void {
    if (socket !== this.#socket) return; // A socket this link already gave up on.
    this.#clearTimer();
    this.#attempt = 0;
    this.#state = "open";
    const pending = this.#pending;
    this.#dropPending();
    for (const text of pending) this.send(text);
    this.#options.onOpen?.();
  }

  #dropPending(): void {
    this.#pending = [];
    this.#pendingBytes = 0;
  }

  #handleMessage(socket: PeerSocket, data: unknown): void {
    if (socket !== this.#socket) return; // A frame from a socket this link already gave up on.
    if (typeof data === "string") this.#options.onText?.(data);
    else if (data instanceof ArrayBuffer) this.#options.onText?.(utf8.decode(data));
  }

  #handleGone(socket: PeerSocket, code: number, reason: string): void {
    if (socket !== this.#socket) return; // Already handled (an error is followed by a close).
    this.#socket = null;
    this.#dropPending();
    this.#clearTimer();
    closeQuietly(socket);
    this.#scheduleRedial();
    this.#options.onClose?.(code, reason);
  }

  #handleConnectTimeout(socket: PeerSocket): void {
    if (socket !== this.#socket || this.#state !== "connecting") return;
    this.#timer = null;
    this.#handleGone(socket, 1006, "connect timeout");
  }

  #scheduleRedial(): void {
    if (this.#state === "closed") return;
    this.#state = "waiting";
    const delay = backoffDelay(this.#attempt, this.#options);
    this.#attempt += 1;
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = null;
      if (this.#state === "waiting") this.#dial();
    }, delay);
  }

  #clearTimer(): void {
    if (this.#timer === null) return;
    this.#timers.clearTimeout(this.#timer);
    this.#timer = null;
  }

  #connectTimeoutMs(): number {
    return this.#options.connectTimeoutMs ?? 5000;
  }
}

/**
 * The delay before redial number `attempt` (0-based): the capped exponential ceiling
 * min(max, initial * 2^attempt), jittered uniformly into [ceiling/2, ceiling).
 */
export function backoffDelay(
  attempt: number,
  options: Pick<PeerLinkOptions, "initialBackoffMs" | "maxBackoffMs" | "random"> = {},
): number {
  const initial = options.initialBackoffMs ?? 50;
  const max = options.maxBackoffMs ?? 2000;
  const ceiling = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  const random = options.random ?? Math.random;
  return ceiling / 2 + (ceiling / 2) * random();
}

function closeQuietly(socket: PeerSocket): void {
  try {
    if (socket.readyState < 2) socket.close(1000, "closing");
  } catch {
    // Closing a socket that is already failing may throw on some clients; it is gone either way.
  }
}
