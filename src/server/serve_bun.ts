/** Serves a node app with Bun.serve (WebSocket peer endpoint included). */

import type { Hono } from "hono";
import { upgradeWebSocket, websocket } from "hono/bun";
import type { UpgradeWebSocket } from "hono/ws";

/** The Bun pieces a node app needs. */
export const bunHost = { upgradeWebSocket: upgradeWebSocket as UpgradeWebSocket };

/** Listens on `hostname:port`; returns the bound port and a stop function that closes sockets. */
export function serveWithBun(app: Hono, hostname: string, port: number): { port: number; stop: () => Promise<void> } {
  const server = Bun.serve({
    hostname,
    port,
    fetch: app.fetch,
    websocket: { ...websocket, maxPayloadLength: 16 * 1024 * 1024, idleTimeout: 120 },
  });
  return { port: server.port ?? port, stop: () => server.stop(true) };
}
