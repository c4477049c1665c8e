/**
 * The composition root of a node: storage, state machine, runtime loop, peer transport and HTTP
 * API wired together into one Hono app. Runtime-neutral: the per-runtime entry passes its
 * `upgradeWebSocket` and serves `app.fetch`.
 */
import type { Hono } from "hono";
import type { UpgradeWebSocket } from "hono/ws";
import { NodeId } from "../packages/core/src/mod.ts";
import { createHttpApp } from "../routes/mod.ts";
import type { NodeConfig } from "../schemas/node_config.ts";
import type { ForwardReplyFrame } from "../schemas/peer_frame.ts";
import { type ApiAuth, OPEN_API } from "./http/api_auth.ts";
import { forwardTimeoutsFor } from "./http/forward.ts";
import type { ApplyResult } from "./kv/mod.ts";
import { systemClock } from "./server/clock.ts";
import { FollowerReads } from "./server/follower_reads.ts";
import { answerForwardRequest } from "./server/forward_server.ts";
import type { KvNodeService, RuntimeInfo } from "./server/kv_service.ts";
import { LinkForwarder } from "./server/link_forwarder.ts";
import { createLogger, type Logger } from "./server/logger.ts";
import { DEFAULT_MEMBERSHIP_SETTINGS } from "./server/membership.ts";
import { createNodeCore, type NodeCore } from "./server/node_core.ts";
import { NodeMetrics } from "./server/node_metrics.ts";
import type { RaftRuntime, RuntimeOptions } from "./server/runtime.ts";
import { StorageAdapter } from "./server/storage_adapter.ts";
import { acquireDirLock, openFileStorage, type StorageFaultHook, storageFaultWarning } from "./storage/mod.ts";
import {
  type ClientFetch,
  encodeForwardFrame,
  frameKindOf,
  PeerTransport,
  peerViaOf,
  registerPeerEndpoint,
  SnapshotReceiver,
  type WebSocketImpl,
} from "./transport/mod.ts";

/** Per-runtime pieces handed in by the entry file. */
export interface NodeAppHost {
  readonly upgradeWebSocket: UpgradeWebSocket;
  readonly runtimeInfo: RuntimeInfo;
  /** The WebSocket client constructor for peer links. */
  readonly webSocket: WebSocketImpl;
  /** The fetch that forwards requests to the leader; default the global fetch. */
  readonly fetch?: ClientFetch;
  /** The fetch for forwarded requests a resend cannot harm (see `LeaderRouterOptions`); default the global fetch. */
  readonly pooledFetch?: ClientFetch;
  /** Where log lines go; default stderr. */
  readonly writeLog?: (line: string) => void;
  /** The storage fault test hook, when `RAFT_TEST_STORAGE_FAULTS` turned it on; default off. */
  readonly storageFaults?: StorageFaultHook;
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

/**
 * Opens storage and wires the node. Throws a StorageError if the storage is corrupt, and a
 * StartupError if the stored state is one the node cannot run from.
 */
export function createNodeApp(config: NodeConfig, host: NodeAppHost): NodeApp {
  const logger = createLogger(config.id, config.logLevel, host.writeLog, config.logFormat);
  const self = { id: config.id, url: config.advertiseUrl };
  const faults = host.storageFaults;
  if (faults !== undefined) {
    logger.warn(storageFaultWarning(faults), { event: "storage_fault_hook", controlDir: faults.controlDir });
  }
  const lock = acquireDirLock(config.dataDir);
  let storage: StorageAdapter;
  try {
    storage = new StorageAdapter(() =>
      openFileStorage(config.dataDir, { repair: config.repair, log: (m) => logger.warn(m), fs: faults?.fs }),
    );
  } catch (error) {
    lock.release();
    throw error;
  }
  logRecovery(logger, storage);
  const metrics = new NodeMetrics();
  const peerVia = peerViaOf(config.peerVia);
  const forwardTimeouts = forwardTimeoutsFor(config.requestTimeoutMs, DEFAULT_MEMBERSHIP_SETTINGS.changeTimeoutMs);
  let forwarder: LinkForwarder | null = null; // Built over the transport, which reports to it.
  const transport = new PeerTransport({
    selfId: NodeId.of(config.id),
    selfUrl: config.advertiseUrl,
    token: config.clusterToken,
    via: peerVia,
    link: { WebSocket: host.webSocket },
    onPeerError: (peer, e) =>
      logger.warn(`peer ${peer} refused a frame: ${e.code}: ${e.message}`, {
        event: "peer_refused_frame",
        peer,
        code: e.code,
      }),
    observer: metrics.peers,
    onForwardReply: (peer, frame) => forwarder?.handleReply(peer, frame),
    onLinkChange: (peer, connected) => {
      if (!connected) forwarder?.linkDown(peer);
    },
  });
  let core: NodeCore;
  try {
    core = createNodeCore(
      { self, runtime: runtimeOptions(config), runtimeInfo: host.runtimeInfo },
      { storage, transport, clock: systemClock, random: Math.random, logger, metrics },
    );
  } catch (error) {
    storage.close();
    lock.release();
    throw error;
  }
  const { runtime, service } = core;
  forwarder = new LinkForwarder(transport, {
    selfId: NodeId.of(config.id),
    capacity: config.maxPendingProposals + config.maxPendingReads,
    timeoutMs: forwardTimeouts.request,
    clock: systemClock,
    onOutcome: (kind, outcome) => metrics.countForward(kind, outcome),
  });
  const links = forwarder;
  metrics.watchForwards(() => links.size);
  const followerReads = new FollowerReads(
    {
      leader: () => service.leader(),
      readIndex: (leader) => links.readIndex(leader),
      waitApplied: (index) => runtime.waitApplied(index),
    },
    { clock: systemClock, capacity: config.maxPendingReads, onBatch: (reads) => metrics.observeReadBatch(reads) },
  );
  service.attachForwarding(links, followerReads);
  warnOnAddressMismatch(logger, runtime, config);
  storage.onSync = (seconds, entries) => metrics.observeSync(seconds, entries);
  const recoveredSnapshot = storage.recovered.snapshot;
  if (recoveredSnapshot !== null) metrics.snapshotRecovered(recoveredSnapshot.data.byteLength);
  storage.releaseRecoveredSnapshot(); // The state machine holds the state now.
  const receiver = new SnapshotReceiver({});
  // One app, so the peer endpoint and every unmatched request get the API's error envelopes.
  const app = createHttpApp(service, {
    auth: apiAuthOf(config),
    fetch: host.fetch,
    pooledFetch: host.pooledFetch,
    peerVia,
    // A follower waits a little longer than the leader may, so the leader's own answer comes through.
    forwardTimeouts,
    logger,
    maxConcurrentRequests: config.maxConcurrentRequests,
    corsOrigins: config.corsOrigin,
    metrics,
  });
  registerPeerEndpoint(app, host.upgradeWebSocket, {
    token: config.clusterToken,
    onMessage: (from, message) => {
      metrics.peers.received(from, frameKindOf(message));
      runtime.handleMessage(message);
    },
    onSnapshotChunk: (from, chunk) => {
      metrics.peers.received(from, "snapshot_chunk");
      const result = receiver.accept(chunk);
      if (result.status === "complete") runtime.handleSnapshot(from, result.received.snapshot);
      else if (result.status === "rejected") {
        metrics.snapshotInstall("transfer_failed", chunk.totalBytes);
        logger.warn(`snapshot chunk from ${from} refused: ${result.message}`, {
          event: "snapshot_refused",
          from,
          reason: "transfer_failed",
        });
      }
    },
    onForwardRequest: (from, frame, reply) => {
      const kind = frame.type === "ForwardProposal" ? "proposal" : "read_index";
      metrics.peers.received(from, kind === "proposal" ? "forward_proposal" : "read_index_request");
      const failed = (e: unknown) =>
        logger.error(`answering a request forwarded by ${from} failed: ${String(e)}`, {
          event: "forward_failed",
          from,
        });
      const send = (answer: ForwardReplyFrame) => {
        metrics.countForwardServed(kind);
        reply(encodeForwardFrame(answer)); // False: the follower's link dropped; it counts the request as unanswered.
      };
      void answerForwardRequest(service, frame, send, failed);
    },
    onPeerOpen: (peer) => {
      if (peer.url !== null) runtime.learnAddress(peer.id, peer.url);
    },
    onPeerClose: (peer) => receiver.abort(peer.id),
    onUpgradeError: (e) => logger.warn(`peer endpoint: the WebSocket upgrade failed: ${String(e)}`),
    onReject: (reason) => metrics.peers.rejected(reason),
  });
  return {
    app: app as unknown as Hono, // The API app; its per-request variables are its own business.
    runtime,
    service,
    logger,
    start: () => runtime.start(),
    stop: () => {
      links.stop();
      service.stopMembership();
      runtime.stop();
      receiver.close();
      metrics.stop();
      lock.release();
    },
  };
}

/**
 * Warns when the stored configuration has this node at another URL than the one it now
 * advertises: peers and forwarding followers dial the stored URL, so they will not reach it.
 */
function warnOnAddressMismatch(logger: Logger, runtime: RaftRuntime<ApplyResult>, config: NodeConfig): void {
  const stored = runtime.urlOf(NodeId.of(config.id));
  const advertised = config.advertiseUrl;
  if (stored === undefined || stored === advertised) return;
  logger.warn(
    `the cluster configuration has ${config.id} at ${stored}, but it now advertises ${advertised}: other nodes dial ${stored}; start it with --listen or --advertise-url for ${stored}, or remove and re-add it at the new URL`,
    { event: "address_mismatch", stored, advertised },
  );
}

/** Logs what opening the storage found (one `storage_recovered` event). */
function logRecovery(logger: Logger, storage: StorageAdapter): void {
  const summary = storage.recoverySummary;
  const what = summary.isNew
    ? "created new storage"
    : `recovered ${summary.entries} entries up to index ${summary.lastIndex} after snapshot index ${summary.snapshotIndex}`;
  const torn = summary.tornTail ? `; cut a torn tail of ${summary.tornTailBytes} bytes` : "";
  logger.info(`${what}${torn}`, { event: "storage_recovered", ...summary });
}

/** The API's tokens from the configuration (which insists on a token or an explicit `--insecure-no-auth`). */
function apiAuthOf(config: NodeConfig): ApiAuth {
  if (config.adminToken === undefined) return OPEN_API;
  return { mode: "tokens", adminToken: config.adminToken, readToken: config.readToken };
}

function runtimeOptions(config: NodeConfig): RuntimeOptions {
  return {
    id: NodeId.of(config.id),
    electionTimeoutMs: config.electionTimeoutMs,
    heartbeatMs: config.heartbeatMs,
    snapshotEvery: config.snapshotEvery,
    maxPendingProposals: config.maxPendingProposals,
    maxPendingReads: config.maxPendingReads,
    requestTimeoutMs: config.requestTimeoutMs,
    preVote: config.preVote,
    checkQuorum: config.checkQuorum,
  };
}
