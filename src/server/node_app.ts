/**
 * The composition root of a node: storage, state machine, runtime loop, peer transport and HTTP
 * API wired together into one Hono app. Runtime-neutral: the per-runtime entry passes its
 * `upgradeWebSocket` and serves `app.fetch`.
 */
import type { Hono } from "hono";
import type { UpgradeWebSocket } from "hono/ws";
import type { NodeConfig } from "../../schemas/node_config.ts";
import { NodeId } from "../core/mod.ts";
import type { ApplyResult } from "../kv/mod.ts";
import { acquireDirLock, openFileStorage } from "../storage/mod.ts";
import { PeerTransport, registerPeerEndpoint, SnapshotReceiver, type WebSocketImpl } from "../transport/mod.ts";
import { systemClock } from "./clock.ts";
import { createHttpApp } from "./http_app.ts";
import { KvMachineHolder, KvNodeService, type RuntimeInfo } from "./kv_service.ts";
import { createLogger, type Logger } from "./logger.ts";
import { RaftRuntime } from "./runtime.ts";
import { StorageAdapter } from "./storage_adapter.ts";

/** Per-runtime pieces handed in by the entry file. */
export interface NodeAppHost {
  readonly upgradeWebSocket: UpgradeWebSocket;
  readonly runtimeInfo: RuntimeInfo;
  /** The WebSocket client constructor for peer links. */
  readonly webSocket: WebSocketImpl;
}

/** A wired node, ready to be served. */
export interface NodeApp {
  readonly app: Hono;
  readonly runtime: RaftRuntime<ApplyResult>;
  readonly service: KvNodeService;
  readonly logger: Logger;
  /** Starts the Raft loop (call once the HTTP server listens). */
  start(): void;
  /** Stops the loop, closes links, files and pending transfers. */
  stop(): void;
}

/** Opens storage (throws a StorageError if it is corrupt) and wires the node. */
export function createNodeApp(config: NodeConfig, host: NodeAppHost): NodeApp {
  const logger = createLogger(config.id, config.logLevel);
  const self = { id: config.id, url: config.advertiseUrl };
  const lock = acquireDirLock(config.dataDir);
  let storage: StorageAdapter;
  try {
    storage = new StorageAdapter(() =>
      openFileStorage(config.dataDir, { repair: config.repair, log: (m) => logger.warn(m) }),
    );
  } catch (error) {
    lock.release();
    throw error;
  }
  const holder = new KvMachineHolder();
  const service = new KvNodeService({ self, runtimeInfo: host.runtimeInfo, bootstrapWaitMs: 5000 }, holder);
  const transport = new PeerTransport({
    selfId: NodeId.of(config.id),
    selfUrl: config.advertiseUrl,
    token: config.clusterToken,
    link: { WebSocket: host.webSocket },
    onPeerError: (peer, e) => logger.warn(`peer ${peer} refused a frame: ${e.code}: ${e.message}`),
  });
  const runtime = new RaftRuntime<ApplyResult>(runtimeOptions(config), {
    storage,
    transport,
    stateMachine: holder,
    clock: systemClock,
    random: Math.random,
    logger,
    onApplied: () => service.onApplied(),
    resolveUrl: (id) => service.resolveUrl(id),
  });
  service.attach(runtime);
  const receiver = new SnapshotReceiver({});
  // One app, so the peer endpoint and every unmatched request get the API's error envelopes.
  const app = createHttpApp(service, { adminToken: config.adminToken, logger });
  registerPeerEndpoint(app, host.upgradeWebSocket, {
    token: config.clusterToken,
    onMessage: (_from, message) => runtime.handleMessage(message),
    onSnapshotChunk: (from, chunk) => {
      const result = receiver.accept(chunk);
      if (result.status === "complete") runtime.handleSnapshot(result.received.snapshot);
      else if (result.status === "rejected") logger.warn(`snapshot chunk from ${from} refused: ${result.message}`);
    },
    onPeerOpen: (peer) => {
      if (peer.url !== null) service.learnAddress(peer.id, peer.url);
    },
    onPeerClose: (peer) => receiver.abort(peer.id),
    onUpgradeError: (e) => logger.warn(`peer endpoint: the WebSocket upgrade failed: ${String(e)}`),
  });
  return {
    app: app as unknown as Hono, // The API app; its per-request variables are its own business.
    runtime,
    service,
    logger,
    start: () => runtime.start(),
    stop: () => {
      runtime.stop();
      receiver.close();
      lock.release();
    },
  };
}

function runtimeOptions(config: NodeConfig) {
  return {
    id: NodeId.of(config.id),
    electionTimeoutMs: config.electionTimeoutMs,
    heartbeatMs: config.heartbeatMs,
    snapshotEvery: config.snapshotEvery,
    maxPendingProposals: config.maxPendingProposals,
    maxPendingReads: config.maxPendingReads,
    requestTimeoutMs: config.requestTimeoutMs,
  };
}
