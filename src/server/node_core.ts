/**
 * A node without its I/O: the runtime loop over given ports, the replicated KV state machine and
 * the service facade, wired together. The node process builds it over files, WebSocket links and
 * the system clock; the simulator over the in-memory storage twin, a simulated network and a
 * virtual clock — so what the simulator checks is what ships.
 */
import type { ApplyResult } from "../kv/mod.ts";
import type { Clock } from "./clock.ts";
import { KvMachineHolder, KvNodeService, type RuntimeInfo } from "./kv_service.ts";
import type { Logger } from "./logger.ts";
import { NodeMetrics } from "./node_metrics.ts";
import type { RuntimeStorage, RuntimeTransport, StateMachine } from "./ports.ts";
import { RaftRuntime, type RuntimeOptions } from "./runtime.ts";
import type { MemberInfo } from "./service.ts";

/** How long `POST /v1/cluster` waits for the new cluster to elect a leader before answering. */
export const BOOTSTRAP_WAIT_MS = 5000;

/** What a node is and how it behaves. */
export interface NodeCoreOptions {
  /** This node's id and advertised URL. */
  readonly self: MemberInfo;
  /** The runtime loop's settings. */
  readonly runtime: RuntimeOptions;
  /** The process's runtime name and version, for the status. */
  readonly runtimeInfo: RuntimeInfo;
}

/** The ports a node runs over. */
export interface NodeCorePorts {
  readonly storage: RuntimeStorage;
  readonly transport: RuntimeTransport;
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: Logger;
  /** The metrics to report to (the node process builds them first, for its transport); default: new ones. */
  readonly metrics?: NodeMetrics;
  /** Wraps the state machine the runtime applies entries to (the simulator observes applies). */
  readonly decorateMachine?: (machine: StateMachine<ApplyResult>) => StateMachine<ApplyResult>;
}

/** A wired node: its runtime loop, its state machine and the facade the HTTP API uses. */
export interface NodeCore {
  readonly runtime: RaftRuntime<ApplyResult>;
  readonly service: KvNodeService;
  readonly machine: KvMachineHolder;
  /** What the node measures (served at `/metrics`). */
  readonly metrics: NodeMetrics;
}

/** Builds a node over `ports` (throws StartupError if the stored state cannot be run from). */
export function createNodeCore(options: NodeCoreOptions, ports: NodeCorePorts): NodeCore {
  const machine = new KvMachineHolder();
  const service = new KvNodeService(
    {
      self: options.self,
      runtimeInfo: options.runtimeInfo,
      bootstrapWaitMs: BOOTSTRAP_WAIT_MS,
      onWrite: (outcome) => metrics.countWrite(outcome),
    },
    machine,
  );
  const metrics = ports.metrics ?? new NodeMetrics();
  const runtime = new RaftRuntime<ApplyResult>(options.runtime, {
    storage: ports.storage,
    transport: ports.transport,
    stateMachine: ports.decorateMachine?.(machine) ?? machine,
    clock: ports.clock,
    random: ports.random,
    logger: ports.logger,
    metrics,
  });
  service.attach(runtime, ports.clock);
  metrics.attach({ status: () => service.status(), isMember: (id) => runtime.node.config.contains(id) });
  return { runtime, service, machine, metrics };
}
