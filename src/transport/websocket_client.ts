/**
 * The WebSocket client constructor for peer links, per runtime: Bun's global client, and the `ws`
 * package everywhere else (Deno's global client stalls about 44 ms on every frame of 1-48 KiB).
 */
import WebSocketPackage from "ws";

/** The part of the standard WebSocket API a peer link uses. */
export interface PeerSocket {
  /** Set to "arraybuffer" before any frame arrives. */
  binaryType: string;
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** Bytes queued by `send` and not yet handed to the network. */
  readonly bufferedAmount: number;
  /** Called once the handshake succeeded. */
  onopen: ((event: unknown) => void) | null;
  /** Called with each frame: a string, or an ArrayBuffer for binary frames. */
  onmessage: ((event: { readonly data: unknown }) => void) | null;
  /** Called once when the connection is gone (a failed handshake included). */
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null;
  /** Called on errors; a close follows. */
  onerror: ((event: unknown) => void) | null;
  /** Queues a text frame. */
  send(data: string | Uint8Array): void;
  /** Starts the closing handshake (or aborts a pending connection). */
  close(code?: number, reason?: string): void;
}

/** A WebSocket client constructor that accepts handshake headers (Bun's global, `ws`, or a fake). */
export type WebSocketImpl = new (url: string, options: { headers: Record<string, string> }) => PeerSocket;

/** The client for this runtime: the global WebSocket on Bun, the `ws` package on Deno and Node. */
export function defaultWebSocketImpl(): WebSocketImpl {
  const onBun = (globalThis as { Bun?: unknown }).Bun !== undefined;
  return (onBun ? globalThis.WebSocket : WebSocketPackage) as unknown as WebSocketImpl;
}
