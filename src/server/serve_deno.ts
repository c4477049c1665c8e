/** Serves a node app with Deno.serve (WebSocket peer endpoint included). */
import type { Hono } from "hono";
import { upgradeWebSocket } from "hono/deno";
import type { UpgradeWebSocket } from "hono/ws";

/** The Deno pieces a node app needs. */
export const denoHost = { upgradeWebSocket: upgradeWebSocket as UpgradeWebSocket };

/** Listens on `hostname:port`; returns the bound port and a stop function. */
export function serveWithDeno(app: Hono, hostname: string, port: number): { port: number; stop: () => Promise<void> } {
  const controller = new AbortController();
  const server = Deno.serve({ hostname, port, signal: controller.signal, onListen: () => {} }, app.fetch);
  return {
    port: server.addr.port,
    stop: async () => {
      controller.abort();
      await server.finished;
    },
  };
}
