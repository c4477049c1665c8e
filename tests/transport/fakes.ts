/** Test doubles for peer links: a scripted WebSocket client and hand-driven timers. */
import type { Timers } from "../../src/transport/peer_link.ts";
import type { PeerSocket, WebSocketImpl } from "../../src/transport/websocket_client.ts";

/** A WebSocket client whose connection events the test fires by hand. */
export class FakeSocket implements PeerSocket {
  binaryType = "blob";
  readyState = 0;
  bufferedAmount = 0;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { readonly data: unknown }) => void) | null = null;
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  readonly sent: string[] = [];
  closeCalls = 0;

  constructor(
    readonly url: string,
    readonly headers: Record<string, string>,
  ) {}

  send(data: string): void {
    if (this.readyState !== 1) throw new Error("send() on a socket that is not open");
    this.sent.push(data);
  }

  close(): void {
    this.closeCalls += 1;
    this.readyState = 3;
  }

  /** The handshake succeeded. */
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  /** The connection went away. */
  drop(code = 1006): void {
    this.readyState = 3;
    this.onerror?.({});
    this.onclose?.({ code, reason: "" });
  }

  /** The peer sent a frame. */
  receive(data: unknown): void {
    this.onmessage?.({ data });
  }
}

/** A {@link WebSocketImpl} that records every socket it makes; `failNext` makes the next dial throw. */
export function fakeWebSocketImpl(): { impl: WebSocketImpl; sockets: FakeSocket[]; failNext: { value: boolean } } {
  const sockets: FakeSocket[] = [];
  const failNext = { value: false };
  const impl = class extends FakeSocket {
    constructor(url: string, options: { headers: Record<string, string> }) {
      if (failNext.value) {
        failNext.value = false;
        throw new SyntaxError(`Cannot dial ${url}`);
      }
      super(url, options.headers);
      sockets.push(this);
    }
  };
  return { impl, sockets, failNext };
}

/** Timers that only fire when the test says so. */
export class ManualTimers implements Timers {
  #next = 1;
  readonly pending = new Map<number, { fn: () => void; ms: number }>();

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.pending.set(id, { fn, ms });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** The delays of the pending timers, in creation order. */
  delays(): number[] {
    return [...this.pending.values()].map((t) => t.ms);
  }

  /** Fires the pending timer with the shortest delay (the earliest created among equals). */
  fireNext(): number {
    let best: [number, { fn: () => void; ms: number }] | undefined;
    for (const entry of this.pending) if (best === undefined || entry[1].ms < best[1].ms) best = entry;
    if (best === undefined) throw new Error("no timer is pending");
    this.pending.delete(best[0]);
    best[1].fn();
    return best[1].ms;
  }
}
