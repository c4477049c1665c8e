/**
 * Serves a node app with Deno.serve (WebSocket peer endpoint included). Deno sets no body limit
 * (the app's own answers 413 in its envelope), but its request head limit is fixed: a request line
 * and headers over 64 KiB together get an empty 400 from Deno itself, and Deno.serve has no option
 * to raise it (a key of the maximum 1024 bytes needs at most 3 KiB, percent-encoded).
 */
import type { Hono } from "hono";
import { upgradeWebSocket } from "hono/deno";
import type { UpgradeWebSocket } from "hono/ws";
import type { ServerTls } from "../server/tls.ts";

/** The Deno pieces a node app needs. */
export const denoHost = { upgradeWebSocket: upgradeWebSocket as UpgradeWebSocket };

/** Listens on `hostname:port` (https and wss with `tls`); returns the bound port and a stop function. */
export function serveWithDeno(
  app: Hono,
  hostname: string,
  port: number,
  tls?: ServerTls,
): { port: number; stop: () => Promise<void> } {
  const controller = new AbortController();
  const options = { hostname, port, signal: controller.signal, onListen: () => {} };
  const server = Deno.serve(tls === undefined ? options : { ...options, cert: tls.cert, key: tls.key }, app.fetch);
  return {
    port: server.addr.port,
    stop: async () => {
      controller.abort();
      await server.finished;
    },
  };
}
