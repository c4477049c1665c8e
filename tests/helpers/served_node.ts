/**
 * The node app exactly as a node process serves it, in the test process: built by createNodeApp
 * and served by serveWithBun or serveWithDeno, whichever runtime runs the tests.
 */
import type { Hono } from "hono";
import type { NodeAppHost } from "../../src/node_app.ts";
import { defaultWebSocketImpl } from "../../src/transport/mod.ts";
import { IS_DENO } from "./slow_test.ts";

/** Serves `app` on `hostname:port`; resolves the bound port and a stop function. */
export type Serve = (app: Hono, hostname: string, port: number) => { port: number; stop: () => Promise<void> };

/** This runtime's host pieces and serve function, as the node's entry picks them. */
export async function runtimeServing(): Promise<{ host: NodeAppHost; serve: Serve }> {
  const webSocket = defaultWebSocketImpl();
  if (!IS_DENO) {
    const { bunHost, serveWithBun } = await import("../../src/http/serve_bun.ts");
    return { host: { ...bunHost, webSocket, runtimeInfo: { name: "bun", version: Bun.version } }, serve: serveWithBun };
  }
  const { denoHost, serveWithDeno } = await import("../../src/http/serve_deno.ts");
  return {
    host: { ...denoHost, webSocket, runtimeInfo: { name: "deno", version: Deno.version.deno } },
    serve: serveWithDeno,
  };
}
