/**
 * Serves a Hono app on a loopback port with the runtime's own server and WebSocket upgrade
 * (Bun.serve with hono/bun, or Deno.serve with hono/deno), for tests of real connections.
 */
import type { Context, Hono } from "hono";
import type { UpgradeWebSocket, WSContext, WSEvents } from "hono/ws";

/** A running test server. */
export interface TestServer {
  /** The bound port. */
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Closes every accepted WebSocket and stops listening. Idempotent. */
  stop(): Promise<void>;
}

interface DenoServer {
  readonly addr: { readonly port: number };
  readonly finished: Promise<void>;
}

interface DenoServe {
  serve(
    options: { port: number; hostname: string; signal: AbortSignal; onListen: () => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): DenoServer;
}

/**
 * Builds the app with this runtime's `upgradeWebSocket` and serves it on 127.0.0.1:`port`
 * (0 picks a free port). Accepted sockets are tracked so `stop()` can close them on any runtime.
 */
export async function serveApp(build: (upgradeWebSocket: UpgradeWebSocket) => Hono, port = 0): Promise<TestServer> {
  const sockets = new Set<WSContext>();
  if ((globalThis as { Bun?: unknown }).Bun !== undefined) {
    const { upgradeWebSocket, websocket } = await import("hono/bun");
    const app = build(tracking(upgradeWebSocket as UpgradeWebSocket, sockets));
    const server = Bun.serve({ port, hostname: "127.0.0.1", fetch: app.fetch, websocket });
    const bound = server.port ?? port;
    return handle(bound, sockets, async () => {
      await server.stop(true);
    });
  }
  const { upgradeWebSocket } = await import("hono/deno");
  const app = build(tracking(upgradeWebSocket as UpgradeWebSocket, sockets));
  const abort = new AbortController();
  const deno = (globalThis as unknown as { Deno: DenoServe }).Deno;
  const server = deno.serve(
    { port, hostname: "127.0.0.1", signal: abort.signal, onListen: () => undefined },
    app.fetch,
  );
  return handle(server.addr.port, sockets, async () => {
    abort.abort();
    await server.finished;
  });
}

function handle(port: number, sockets: Set<WSContext>, stopServer: () => Promise<void>): TestServer {
  let stopped: Promise<void> | null = null;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    stop: () => {
      stopped ??= (async () => {
        for (const ws of sockets) ws.close(1001, "server stopping");
        sockets.clear();
        await stopServer();
      })();
      return stopped;
    },
  };
}

/** Wraps `upgradeWebSocket` (the `(c, events)` form) to remember every open socket. */
function tracking(upgradeWebSocket: UpgradeWebSocket, sockets: Set<WSContext>): UpgradeWebSocket {
  const wrapped = (c: Context, events: WSEvents) => {
    const tracked: WSEvents = {
      ...events,
      onOpen: (event, ws) => {
        sockets.add(ws);
        events.onOpen?.(event, ws);
      },
      onClose: (event, ws) => {
        for (const s of sockets) if (s.raw === ws.raw) sockets.delete(s);
        events.onClose?.(event, ws);
      },
    };
    return upgradeWebSocket(c, tracked);
  };
  return wrapped as unknown as UpgradeWebSocket;
}
