/**
 * Serves a node app with Bun.serve (WebSocket peer endpoint included). Bun's own request limits,
 * which answer with an empty 413 or 431 before the app sees the request, are raised so that the
 * app judges what it can and answers in its error envelope: the body limit is the app's own, and
 * the request head may be much longer than any valid request needs.
 */
import http from "node:http";
import type { Hono } from "hono";
import { upgradeWebSocket, websocket } from "hono/bun";
import type { UpgradeWebSocket } from "hono/ws";
import type { ServerTls } from "../server/tls.ts";

/** The Bun pieces a node app needs. */
export const bunHost = { upgradeWebSocket: upgradeWebSocket as UpgradeWebSocket };

/**
 * Longest request head (request line and headers) Bun accepts, in bytes (Bun's default: 16 KiB). A
 * valid request needs a few KiB (a key is at most 1024 bytes, 3072 percent-encoded); past this
 * limit Bun still answers an empty 431 itself.
 */
export const MAX_REQUEST_HEAD_BYTES = 256 * 1024;

/**
 * Listens on `hostname:port` (https and wss with `tls`); returns the bound port and a stop function
 * that closes sockets.
 */
export function serveWithBun(
  app: Hono,
  hostname: string,
  port: number,
  tls?: ServerTls,
): { port: number; stop: () => Promise<void> } {
  raiseRequestHeadLimit();
  const server = Bun.serve({
    hostname,
    port,
    ...(tls === undefined ? {} : { tls: { cert: tls.cert, key: tls.key } }),
    fetch: app.fetch,
    // No limit of Bun's own: the app refuses a body over its limit with 413 in the envelope, from
    // Content-Length before reading any of it; Bun discards an unread body as it arrives.
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    websocket: { ...websocket, maxPayloadLength: 16 * 1024 * 1024, idleTimeout: 120 },
  });
  return { port: server.port ?? port, stop: () => server.stop(true) };
}

/**
 * Raises Bun's request head limit (process-wide) to {@link MAX_REQUEST_HEAD_BYTES}. Bun.serve has
 * no option for it; Bun reads it from `node:http`'s `maxHeaderSize`, which Bun (unlike Node) lets a
 * program set, and which `bun --max-http-header-size=<bytes>` sets at start. A larger value given
 * that way is kept.
 */
function raiseRequestHeadLimit(): void {
  const settings = http as { maxHeaderSize: number };
  if (settings.maxHeaderSize < MAX_REQUEST_HEAD_BYTES) settings.maxHeaderSize = MAX_REQUEST_HEAD_BYTES;
}
