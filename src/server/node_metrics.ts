/**
 * What a node measures: its Raft state and each follower's replication (read when scraped), the
 * outcomes of client writes, and API requests by route and status with their durations.
 */
import { type Counter, type Histogram, type Labels, MetricsRegistry } from "./metrics.ts";
import type { NodeStatus } from "./service.ts";

/** Upper bounds of the request-duration buckets, in seconds. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Upper bounds of the log-sync buckets, in seconds (an fsync takes from microseconds to seconds). */
const SYNC_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const ROLES: ReadonlyArray<NodeStatus["role"]> = ["follower", "precandidate", "candidate", "leader"];

/** The metrics of one node. */
export class NodeMetrics {
  readonly #registry = new MetricsRegistry();
  readonly #writes: Counter;
  readonly #requests: Counter;
  readonly #authFailures: Counter;
  readonly #durations: Histogram;
  readonly #syncs: Histogram;

  /** Metrics of the node whose status `status()` reads (called at scrape time only). */
  constructor(status: () => NodeStatus) {
    const r = this.#registry;
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
    this.#syncs = r.histogram(
      "raft_log_sync_duration_seconds",
      "Durations of log syncs (one write and one fdatasync per group commit).",
      SYNC_BUCKETS,
    );
    this.#writes = r.counter("raft_client_writes_total", "Client writes by outcome (applied, or the error code).");
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

  /** A log sync (write plus fdatasync) took `seconds`. */
  observeSync(seconds: number): void {
    this.#syncs.observe({}, seconds);
  }

  /** A client write ended with `outcome` (`applied` or an error code). */
  countWrite(outcome: string): void {
    this.#writes.inc({ outcome });
  }

  /** An API request for `route` (the route pattern) answered `status` after `seconds`. */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const labels: Labels = { method, route };
    this.#requests.inc({ ...labels, status: String(status) });
    this.#durations.observe(labels, seconds);
  }

  /** A `/v1` request was refused by the token check, for `why`. */
  observeAuthFailure(why: string): void {
    this.#authFailures.inc({ reason: why });
  }

  /** Every metric in the Prometheus text format. */
  render(): string {
    return this.#registry.render();
  }
}
