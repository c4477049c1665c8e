/**
 * The node app exactly as a node process serves it, in the test process: built by createNodeApp
 * and served by serveWithBun or serveWithDeno, whichever runtime runs the tests.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hono } from "hono";
import { createNodeApp, type NodeApp, type NodeAppHost } from "../../src/node_app.ts";
import { loadConfig } from "../../src/server/config.ts";
import { defaultWebSocketImpl } from "../../src/transport/mod.ts";
import { forgetBearerToken, useBearerToken } from "./http_json.ts";
import { freePorts } from "./process_cluster.ts";
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

/** A node n1 built and served as a node process would, in the test process. */
export interface ServedNodeApp {
  readonly node: NodeApp;
  readonly port: number;
  readonly url: string;
  /** Stops the node and the server and deletes the data. */
  stop(): Promise<void>;
}

/**
 * Loads the configuration of node n1 from `--cluster-token token` and `flags` (on a free port, in a
 * fresh data directory), builds it with createNodeApp, serves it and starts it. Nothing is bootstrapped.
 * Unless `flags` choose the API's auth, the node gets a random admin token that `httpJson` sends it.
 */
export async function serveNodeApp(token: string, flags: readonly string[]): Promise<ServedNodeApp> {
  const [port] = await freePorts(1);
  const dataDir = mkdtempSync(join(tmpdir(), "raftbare-served-"));
  const argv = [
    "--id",
    "n1",
    "--listen",
    `127.0.0.1:${port}`,
    "--cluster-token",
    token,
    "--data-dir",
    dataDir,
    ...flags,
  ];
  const choosesAuth = flags.some((f) => /^--(admin-token|insecure-no-auth)/.test(f));
  const adminToken = randomBytes(18).toString("base64url");
  if (!choosesAuth) argv.push("--admin-token", adminToken);
  const loaded = loadConfig(argv, {});
  if (!loaded.ok) throw new Error(loaded.errors.join("; "));
  const { host, serve } = await runtimeServing();
  const node = createNodeApp(loaded.config, host);
  const server = serve(node.app, "127.0.0.1", port);
  node.start();
  const url = `http://127.0.0.1:${server.port}`;
  if (!choosesAuth) useBearerToken(url, adminToken);
  return {
    node,
    port: server.port,
    url,
    stop: async () => {
      forgetBearerToken(url);
      node.stop();
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
