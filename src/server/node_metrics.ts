/**
 * What a node measures: its Raft state and each follower's replication (read when scraped), log
 * syncs and batch sizes, peer traffic, snapshots, the outcomes of client writes, and API requests
 * by route and status with their durations.
 */
import process from "node:process";
import { assert, type NodeId } from "../../packages/core/src/mod.ts";
import { FORWARD_KINDS, FORWARD_OUTCOMES, type ForwardKind, type ForwardOutcome } from "./link_forwarder.ts";
import { LoopMonitor } from "./loop_monitor.ts";
import {
  type Counter,
  type CounterChild,
  type Histogram,
  type HistogramChild,
  type Labels,
  MetricsRegistry,
} from "./metrics.ts";
import { PeerMetrics } from "./peer_metrics.ts";
import {
  type RuntimeMetrics,
  SNAPSHOT_INSTALL_OUTCOMES,
  SNAPSHOT_TRIGGERS,
  type SnapshotInstallOutcome,
  type SnapshotTrigger,
} from "./runtime_metrics.ts";
import type { NodeStatus } from "./service.ts";

/** Upper bounds of the request-duration buckets, in seconds. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Upper bounds of the log-sync buckets, in seconds (an fsync takes from microseconds to seconds). */
const SYNC_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Upper bounds of the batch-size buckets, in entries (0: a sync of the term or vote only, or a heartbeat). */
const ENTRY_BUCKETS = [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];
/** Upper bounds of the snapshot-duration buckets, in seconds. */
const SNAPSHOT_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const ROLES: ReadonlyArray<NodeStatus["role"]> = ["follower", "precandidate", "candidate", "leader"];

/** What the metrics read at scrape time: the node's status, and which ids are members. */
export interface MetricsSource {
  /** The node's status. */
  status(): NodeStatus;
  /** True iff `id` is a member of the node's configuration (only members are `peer` labels). */
  isMember(id: NodeId): boolean;
}

/** The metrics of one node. */
export class NodeMetrics implements RuntimeMetrics {
  readonly #registry = new MetricsRegistry();
  /** Per-peer traffic: the transport's observer, and the peer endpoint reports to it. */
  readonly peers: PeerMetrics;
  readonly #writes: Counter;
  readonly #forwards = new Map<string, CounterChild>();
  readonly #forwardsServed = new Map<ForwardKind, CounterChild>();
  readonly #readBatches: HistogramChild;
  readonly #requests: Counter;
  readonly #authFailures: Counter;
  readonly #durations: Histogram;
  /** The series of each request's labels and of each write outcome, looked up once (hot paths). */
  readonly #requestSeries = new Map<string, { count: CounterChild; duration: HistogramChild }>();
  readonly #writeSeries = new Map<string, CounterChild>();
  readonly #syncs: HistogramChild;
  readonly #syncEntries: HistogramChild;
  readonly #stalledStepDowns: CounterChild;
  readonly #appendSizes: HistogramChild;
  readonly #snapshotsTaken = new Map<SnapshotTrigger, CounterChild>();
  readonly #snapshotInstalls = new Map<SnapshotInstallOutcome, CounterChild>();
  readonly #snapshotDurations: HistogramChild;
  /** The size of the latest snapshot taken or installed (or recovered at startup); null: none yet. */
  #snapshotBytes: number | null = null;
  #source: MetricsSource | null = null;
  /** The event-loop probe behind `raft_event_loop_stall_max_seconds`; stopped by {@link NodeMetrics.stop}. */
  readonly #loop = new LoopMonitor();
  /** How many requests this follower forwarded over the link wait for an answer (0 until told). */
  #forwardsWaiting: () => number = () => 0;

  /**
   * The metrics of a node; call {@link NodeMetrics.attach} once the node exists (the transport
   * that reports to {@link NodeMetrics.peers} is built before it).
   */
  constructor() {
    const r = this.#registry;
    const status = () => {
      assert(this.#source !== null, "the metrics are attached to a node before they are scraped");
      return this.#source.status();
    };
    const one = (read: (s: NodeStatus) => number) => () => [[{}, read(status())] as const];
    r.gauge(
      "raft_term",
      "The node's current term.",
      one((s) => s.term),
    );
    r.gauge(
      "raft_commit_index",
      "The highest log index known to be committed.",
      one((s) => s.commitIndex),
    );
    r.gauge(
      "raft_applied_index",
      "The highest log index applied to the state machine.",
      one((s) => s.appliedIndex),
    );
    r.gauge(
      "raft_last_index",
      "The index of the last entry in the node's log.",
      one((s) => s.lastIndex),
    );
    r.gauge(
      "raft_snapshot_index",
      "The index the latest snapshot covers.",
      one((s) => s.snapshotIndex),
    );
    r.gauge(
      "raft_event_loop_stall_max_seconds",
      "The longest the event loop was busy past a 20 ms probe timer's due time, since start.",
      () => [[{}, this.#loop.maxStallSeconds] as const],
    );
    r.gauge("process_resident_memory_bytes", "Resident memory size in bytes.", () => [
      [{}, process.memoryUsage().rss] as const,
    ]);
    r.gauge("raft_role", "1 for the node's current role, 0 for the others.", () => {
      const role = status().role;
      return ROLES.map((name) => [{ role: name }, name === role ? 1 : 0] as const);
    });
    r.gauge("raft_members", "Members of the latest configuration, by role.", () => {
      const counts = new Map<string, number>();
      for (const m of status().members) counts.set(m.role, (counts.get(m.role) ?? 0) + 1);
      return [...counts].map(([role, n]) => [{ role }, n] as const);
    });
    r.gauge("raft_follower_match_index", "On the leader: the highest index known in each follower's log.", () =>
      status().progress.map((p) => [{ peer: p.id }, p.matchIndex] as const),
    );
    r.gauge("raft_follower_inflight", "On the leader: AppendEntries calls with entries in flight per follower.", () =>
      status().progress.map((p) => [{ peer: p.id }, p.inflight] as const),
    );
    r.gauge("raft_follower_last_contact_seconds", "On the leader: seconds since each follower last answered.", () =>
      status().progress.flatMap((p) =>
        p.lastContactMs === null ? [] : [[{ peer: p.id }, p.lastContactMs / 1000] as const],
      ),
    );
    this.#syncs = r
      .histogram(
        "raft_log_sync_duration_seconds",
        "Durations of log syncs (one write and one fdatasync per group commit).",
        SYNC_BUCKETS,
      )
      .child();
    this.#syncEntries = r
      .histogram("raft_log_sync_entries", "Log entries made durable per log sync (group commit).", ENTRY_BUCKETS)
      .child();
    this.#stalledStepDowns = r
      .counter(
        "raft_stalled_flush_stepdowns_total",
        "Times this node stepped down as leader because its log flush had not completed within an election timeout.",
      )
      .child();
    this.#appendSizes = r
      .histogram(
        "raft_append_entries_sent_entries",
        "Entries per AppendEntries call handed to the transport, one observation per recipient.",
        ENTRY_BUCKETS,
      )
      .child();
    this.peers = new PeerMetrics(r, (id) => this.#source?.isMember(id) ?? false);
    this.#snapshotDurations = this.#registerSnapshots(r);
    this.#writes = r.counter("raft_client_writes_total", "Client writes by outcome (applied, or the error code).");
    this.#readBatches = this.#registerForwards(r);
    this.#requests = r.counter("http_requests_total", "API requests by method, route and status.");
    this.#authFailures = r.counter(
      "http_auth_failures_total",
      "API requests refused by the token check, by reason (missing, malformed, wrong_token, read_only).",
    );
    this.#durations = r.histogram(
      "http_request_duration_seconds",
      "API request durations by method and route.",
      DURATION_BUCKETS,
    );
  }

  /** Registers the snapshot metrics; returns the duration histogram. */
  #registerSnapshots(r: MetricsRegistry): HistogramChild {
    const taken = r.counter(
      "raft_snapshots_taken_total",
      "Snapshots this node took, by trigger (auto, api, transfer).",
    );
    for (const trigger of SNAPSHOT_TRIGGERS) this.#snapshotsTaken.set(trigger, taken.child({ trigger }));
    const durations = r
      .histogram(
        "raft_snapshot_duration_seconds",
        "Durations of taking a snapshot (state machine and durable snapshot file).",
        SNAPSHOT_BUCKETS,
      )
      .child();
    const installs = r.counter("raft_snapshot_installs_total", "Snapshots received from the leader, by outcome.");
    for (const outcome of SNAPSHOT_INSTALL_OUTCOMES) this.#snapshotInstalls.set(outcome, installs.child({ outcome }));
    r.gauge("raft_snapshot_last_size_bytes", "The size of the latest snapshot taken, installed or recovered.", () =>
      this.#snapshotBytes === null ? [] : [[{}, this.#snapshotBytes] as const],
    );
    return durations;
  }

  /** Registers the metrics of forwarding over the peer link; returns the read-batch histogram. */
  #registerForwards(r: MetricsRegistry): HistogramChild {
    const forwards = r.counter(
      "raft_link_forwards_total",
      "Requests this follower forwarded to its leader over the peer link, by kind (proposal, read_index) and outcome.",
    );
    for (const kind of FORWARD_KINDS) {
      for (const outcome of FORWARD_OUTCOMES)
        this.#forwards.set(`${kind}/${outcome}`, forwards.child({ kind, outcome }));
    }
    const served = r.counter(
      "raft_link_forwards_served_total",
      "Requests followers forwarded to this node over the peer link that it answered, by kind.",
    );
    for (const kind of FORWARD_KINDS) this.#forwardsServed.set(kind, served.child({ kind }));
    r.gauge(
      "raft_link_forwards_waiting",
      "Requests this follower forwarded to its leader over the peer link that wait for an answer.",
      () => [[{}, this.#forwardsWaiting()] as const],
    );
    return r
      .histogram(
        "raft_follower_read_batch_reads",
        "Linearizable reads served per read-index request this follower sent its leader.",
        ENTRY_BUCKETS,
      )
      .child();
  }

  /** Reads how many forwarded requests wait for an answer from `waiting` from now on. */
  watchForwards(waiting: () => number): void {
    this.#forwardsWaiting = waiting;
  }

  /** A request forwarded over the link ended with `outcome`. */
  countForward(kind: ForwardKind, outcome: ForwardOutcome): void {
    this.#forwards.get(`${kind}/${outcome}`)?.inc();
  }

  /** This node answered a request a follower forwarded over the link. */
  countForwardServed(kind: ForwardKind): void {
    this.#forwardsServed.get(kind)?.inc();
  }

  /** A read-index request went out on behalf of `reads` reads. */
  observeReadBatch(reads: number): void {
    this.#readBatches.observe(reads);
  }

  /** Reads the node's status and members from `source` from now on (once). */
  attach(source: MetricsSource): void {
    assert(this.#source === null, "the metrics are attached to one node");
    this.#source = source;
  }

  /** A log sync (write plus fdatasync) made `entries` entries durable in `seconds`. */
  observeSync(seconds: number, entries: number): void {
    this.#syncs.observe(seconds);
    this.#syncEntries.observe(entries);
  }

  appendEntriesSent(entries: number, recipients: number): void {
    for (let i = 0; i < recipients; i++) this.#appendSizes.observe(entries);
  }

  snapshotTaken(trigger: SnapshotTrigger, bytes: number, seconds: number): void {
    this.#snapshotsTaken.get(trigger)?.inc();
    this.#snapshotDurations.observe(seconds);
    this.#snapshotBytes = bytes;
  }

  stalledFlushStepDown(): void {
    this.#stalledStepDowns.inc();
  }

  snapshotInstall(outcome: SnapshotInstallOutcome, bytes: number): void {
    this.#snapshotInstalls.get(outcome)?.inc();
    if (outcome === "installed") this.#snapshotBytes = bytes;
  }

  /** The node started from a stored snapshot of `bytes` bytes. */
  snapshotRecovered(bytes: number): void {
    this.#snapshotBytes = bytes;
  }

  /** A client write ended with `outcome` (`applied` or an error code). */
  countWrite(outcome: string): void {
    cached(this.#writeSeries, outcome, () => this.#writes.child({ outcome })).inc();
  }

  /** An API request for `route` (the route pattern) answered `status` after `seconds`. */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const series = cached(this.#requestSeries, `${method} ${status} ${route}`, () => {
      const labels: Labels = { method, route };
      return {
        count: this.#requests.child({ ...labels, status: String(status) }),
        duration: this.#durations.child(labels),
      };
    });
    series.count.inc();
    series.duration.observe(seconds);
  }

  /** A `/v1` request was refused by the token check, for `why`. */
  observeAuthFailure(why: string): void {
    this.#authFailures.inc({ reason: why });
  }

  /** Stops the event-loop probe. */
  stop(): void {
    this.#loop.stop();
  }

  /** Every metric in the Prometheus text format. */
  render(): string {
    return this.#registry.render();
  }
}

/** Most label sets whose series a hot path keeps looked up; past it, lookups go through the registry. */
const MAX_CACHED_SERIES = 1024;

/** The series `key` names in `cache`, made by `make` the first time (bounded by {@link MAX_CACHED_SERIES}). */
function cached<T>(cache: Map<string, T>, key: string, make: () => T): T {
  const found = cache.get(key);
  if (found !== undefined) return found;
  const made = make();
  if (cache.size < MAX_CACHED_SERIES) cache.set(key, made);
  return made;
}
