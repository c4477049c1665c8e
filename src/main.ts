/**
 * The node process: `bun src/main.ts --id n1 --listen 127.0.0.1:7001 --cluster-token …`
 * (or `deno run --allow-all src/main.ts …`, or the single executable `scripts/build_binary.ts`
 * compiles). Every flag also reads from a `RAFT_*` variable; run with `--help` for the list, and
 * `--version` for the version. Stops cleanly on SIGINT/SIGTERM, and with `--exit-with-parent true`
 * also once the process that started it has exited.
 */

import { mkdirSync } from "node:fs";
import { basename } from "node:path";
import process from "node:process";
import { CONFIG_KEYS, type NodeConfig } from "../schemas/node_config.ts";
import { API_VERSION } from "./http/openapi_document.ts";
import type { NodeApp, NodeAppHost } from "./node_app.ts";
import { type BootstrapDecision, checkBootstrap } from "./server/bootstrap_check.ts";
import { envName, flagName, loadConfig } from "./server/config.ts";
import { joinCluster } from "./server/join.ts";
import { StartupError } from "./server/runtime.ts";
import { waitForStopRequest } from "./server/stop_request.ts";
import { readNodeTls, type ServerTls } from "./server/tls.ts";
import { StorageError, storageFaultsFromEnv, storageFaultWarning } from "./storage/mod.ts";
import { type OutboundClients, outboundClients } from "./transport/mod.ts";

type Serve = (
  app: import("hono").Hono,
  host: string,
  port: number,
  tls?: ServerTls,
) => { port: number; stop: () => Promise<void> };

async function runtimeHost(clients: OutboundClients): Promise<{ host: NodeAppHost; serve: Serve }> {
  const { WebSocket: webSocket, fetch, pooledFetch } = clients;
  if (typeof Bun !== "undefined") {
    const { bunHost, serveWithBun } = await import("./http/serve_bun.ts");
    const runtimeInfo = { name: "bun" as const, version: Bun.version };
    return { host: { ...bunHost, webSocket, fetch, pooledFetch, runtimeInfo }, serve: serveWithBun };
  }
  if (typeof Deno !== "undefined") {
    const { denoHost, serveWithDeno } = await import("./http/serve_deno.ts");
    const runtimeInfo = { name: "deno" as const, version: Deno.version.deno };
    return { host: { ...denoHost, webSocket, fetch, pooledFetch, runtimeInfo }, serve: serveWithDeno };
  }
  throw new Error("run the node with Bun or Deno (Node.js needs a build step this project does not ship)");
}

/** The command that runs this node, as the usage line shows it: the executable's name once compiled into one. */
function programName(): string {
  // A compiled Bun executable runs its bundled code from its embedded file system, /$bunfs/.
  if (import.meta.url.startsWith("file:///$bunfs/")) return basename(process.execPath);
  return typeof Deno !== "undefined" ? "deno run --allow-all src/main.ts" : "bun src/main.ts";
}

/** `raftbare-ts 0.1.0 (bun 1.4.5)`: the package version and the runtime. */
function versionLine(): string {
  const runtime = typeof Bun !== "undefined" ? `bun ${Bun.version}` : `deno ${Deno.version.deno}`;
  return `raftbare-ts ${API_VERSION} (${runtime})`;
}

function usage(): string {
  const lines = CONFIG_KEYS.map((k) => `  --${flagName(k)}  (${envName(k)})`);
  const head = `usage: ${programName()} --id <id> --cluster-token <token> [options]`;
  return `${versionLine()}\n${head}\n${lines.join("\n")}\n  --help | --version`;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes("--help")) {
    console.log(usage());
    return 0;
  }
  if (argv.includes("--version")) {
    console.log(versionLine());
    return 0;
  }
  const loaded = loadConfig(argv, process.env);
  if (!loaded.ok) {
    console.error(`invalid configuration:\n  ${loaded.errors.join("\n  ")}\n\n${usage()}`);
    return 2;
  }
  const config = loaded.config;
  const tls = readNodeTls(config);
  if (!tls.ok) {
    console.error(`cannot start node ${config.id}: unusable TLS files:\n  ${tls.errors.join("\n  ")}`);
    return 2;
  }
  const faults = storageFaultsFromEnv(process.env);
  if (faults.kind === "invalid") {
    console.error(`cannot start node ${config.id}: ${faults.message}`);
    return 2;
  }
  if (faults.kind === "on") console.error(storageFaultWarning(faults.hook));
  mkdirSync(config.dataDir, { recursive: true });
  const clients = outboundClients(tls.tls.ca);
  const runtime = await runtimeHost(clients);
  const serve = runtime.serve;
  const host: NodeAppHost = faults.kind === "on" ? { ...runtime.host, storageFaults: faults.hook } : runtime.host;
  const { createNodeApp } = await import("./node_app.ts");
  let node: ReturnType<typeof createNodeApp>;
  try {
    node = createNodeApp(config, host);
  } catch (error) {
    if (!(error instanceof StorageError) && !(error instanceof StartupError)) throw error;
    console.error(`cannot start node ${config.id}: ${error.message}`);
    if (error instanceof StorageError && error.code === "corrupt") console.error(corruptionAdvice(config));
    return 1;
  }
  const decision = bootstrapDecision(config, node);
  if (decision.action === "refuse") {
    console.error(`cannot start node ${config.id}: ${decision.message}`);
    node.stop();
    return 2;
  }
  const server = serve(node.app, config.listen.hostname, config.listen.port, tls.tls.server);
  node.start();
  node.logger.info(
    `listening on ${config.listen.hostname}:${server.port} as ${config.advertiseUrl} (${host.runtimeInfo.name} ${host.runtimeInfo.version})`,
    {
      event: "node_started",
      url: config.advertiseUrl,
      runtime: host.runtimeInfo.name,
      version: host.runtimeInfo.version,
    },
  );
  if (decision.action === "bootstrap" && config.bootstrap !== undefined) {
    const result = await node.service.bootstrap(config.bootstrap);
    node.logger.info(result.ok ? "bootstrapped a new cluster" : `bootstrap: ${result.message}`);
  } else if (config.bootstrap !== undefined) {
    node.logger.info("restarting from stored data; --bootstrap matches the stored members");
  }
  if (config.join !== undefined) {
    const raft = () => node.runtime.node;
    void joinCluster({
      via: config.join,
      self: { id: config.id, url: config.advertiseUrl },
      adminToken: config.adminToken,
      fetch: clients.fetch,
      // Until it votes: a learner that restarts before its promotion asks again, and the leader
      // then promotes it once caught up.
      isVoter: () => raft().config.isVoter(raft().id),
      stopped: () => node.runtime.stopped,
      logger: node.logger,
    });
  }
  node.logger.info(await waitForStopRequest({ exitWithParent: config.exitWithParent }));
  node.stop();
  await server.stop();
  return 0;
}

/** What to do about a corrupt log: replace the member; `--repair` only where no other copy exists. */
function corruptionAdvice(config: NodeConfig): string {
  return [
    `the data of node ${config.id} is damaged and cannot be trusted. In a cluster, replace it:`,
    `  1. on the leader: DELETE /v1/cluster/members/${config.id}`,
    `  2. empty its data directory ${config.dataDir} (move it aside to keep it for inspection)`,
    "  3. start it again with --join <a member's URL>: it comes back as a learner, catches up and is promoted",
    '  (docs/operations.md, "Replacing a node whose disk failed").',
    "--repair true instead truncates the log at the damaged record; it may drop entries and votes this node",
    "acknowledged, so a repaired voter can break Raft's guarantees: use it only for a single-node cluster,",
    "or when no quorum of other copies is left, and replace the member afterwards all the same.",
  ].join("\n");
}

/** What `--bootstrap` (if given) means for the stored state: nothing to do without it. */
function bootstrapDecision(config: NodeConfig, node: NodeApp): BootstrapDecision {
  if (config.bootstrap === undefined) return { action: "restart" };
  const raft = node.runtime.node;
  return checkBootstrap(
    config.bootstrap,
    { config: raft.config, lastIndex: raft.log.lastPosition.index },
    config.dataDir,
  );
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`node failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
