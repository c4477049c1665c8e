/**
 * The metrics and log events of a node core driven step by step: batch sizes of syncs and
 * AppendEntries, snapshots by trigger and install outcome, per-peer traffic with bounded labels,
 * and the events the runtime logs, all read back through the strict exposition parser.
 */
import { describe, expect, it } from "bun:test";
import { ClusterConfig, type Message, NodeId, Term } from "../../packages/core/src/mod.ts";
import { encodeCommand } from "../../src/kv/mod.ts";
import { createLogger } from "../../src/server/logger.ts";
import { createNodeCore, type NodeCore } from "../../src/server/node_core.ts";
import { NodeMetrics } from "../../src/server/node_metrics.ts";
import { NON_MEMBER_PEER } from "../../src/server/peer_metrics.ts";
import type { RuntimeTransport } from "../../src/server/ports.ts";
import { StorageAdapter } from "../../src/server/storage_adapter.ts";
import { MemoryDisk, openMemoryStorage } from "../../src/storage/mod.ts";
import { type Exposition, parseExposition, sampleValue } from "../helpers/prometheus_text.ts";
import { N1, N2, SteppedClock } from "../helpers/runtime_harness.ts";

/** A transport that records what the runtime hands it and takes everything. */
class RecordingTransport implements RuntimeTransport {
  readonly sent: Array<{ readonly to: readonly NodeId[]; readonly message: Message }> = [];
  send(to: NodeId, message: Message): boolean {
    this.sent.push({ to: [to], message });
    return true;
  }
  broadcast(to: readonly NodeId[], message: Message): void {
    this.sent.push({ to, message });
  }
  sendSnapshot(): Promise<boolean> {
    return Promise.resolve(true);
  }
  setPeers(): void {}
  close(): void {}
}

interface Fixture {
  readonly core: NodeCore;
  readonly clock: SteppedClock;
  readonly transport: RecordingTransport;
  /** Every log line, parsed (the json format). */
  readonly events: Array<Record<string, unknown>>;
  scrape(): Exposition;
}

/** n1 leading {n1, n2} (n2's vote granted), snapshotting every `snapshotEvery` applied entries. */
function leaderCore(snapshotEvery: number): Fixture {
  const clock = new SteppedClock();
  const transport = new RecordingTransport();
  const events: Array<Record<string, unknown>> = [];
  const logger = createLogger("n1", "debug", (line) => events.push(JSON.parse(line)), "json");
  const storage = new StorageAdapter(() => openMemoryStorage(new MemoryDisk()));
  const metrics = new NodeMetrics();
  storage.onSync = (seconds, entries) => metrics.observeSync(seconds, entries); // As the node app wires it.
  const runtime = {
    id: N1,
    electionTimeoutMs: 1000,
    heartbeatMs: 100,
    snapshotEvery,
    maxPendingProposals: 16,
    maxPendingReads: 16,
    requestTimeoutMs: 1000,
  };
  const core = createNodeCore(
    { self: { id: "n1", url: "http://n1" }, runtime, runtimeInfo: { name: "bun", version: "test" } },
    { storage, transport, clock, random: () => 0.5, logger, metrics },
  );
  core.runtime.start();
  const bootstrapped = core.runtime.bootstrap([
    { id: N1, url: "http://n1" },
    { id: N2, url: "http://n2" },
  ]);
  expect(bootstrapped).toBe(true);
  clock.flush();
  const term = core.runtime.node.currentTerm;
  core.runtime.handleMessage({ type: "RequestVoteReply", from: N2, term, voteGranted: true });
  clock.flush();
  expect(core.runtime.node.role).toBe("leader");
  return { core, clock, transport, events, scrape: () => parseExposition(core.metrics.render()) };
}

/** Proposes `n` puts on the leader and has n2 acknowledge the whole log, so they commit and apply. */
function writeAndCommit(f: Fixture, n: number): void {
  const runtime = f.core.runtime;
  for (let i = 0; i < n; i++) {
    const encoded = encodeCommand({ op: "put", key: `k${i}`, value: "v" });
    if (!encoded.ok) throw new Error("the test command does not encode");
    void runtime.submit(encoded.payload);
  }
  f.clock.flush();
  const node = runtime.node;
  runtime.handleMessage({
    type: "AppendEntriesReply",
    from: N2,
    term: node.currentTerm,
    generation: node.generation,
    lastPosition: node.log.lastPosition,
    rejected: false,
    seq: 0,
  });
  f.clock.flush();
  expect(runtime.appliedIndex).toBe(node.log.lastPosition.index);
}

describe("NodeMetrics on a node core", () => {
  it("measures entries per log sync and per AppendEntries sent", () => {
    const f = leaderCore(10_000);
    const before = f.scrape();
    const syncedBefore = sampleValue(before, "raft_log_sync_entries_sum") ?? 0;
    const appendsBefore = sampleValue(before, "raft_append_entries_sent_entries_count") ?? 0;
    writeAndCommit(f, 3);
    const after = f.scrape();
    expect(after.types.get("raft_log_sync_entries")).toBe("histogram");
    expect(after.types.get("raft_append_entries_sent_entries")).toBe("histogram");
    expect(sampleValue(after, "raft_log_sync_entries_sum")).toBe(syncedBefore + 3); // Every put made durable once.
    // The puts left in one AppendEntriesCall or more, each to the one follower.
    const calls = f.transport.sent.filter((s) => s.message.type === "AppendEntriesCall");
    const recipients = calls.reduce((n, s) => n + s.to.length, 0);
    expect(sampleValue(after, "raft_append_entries_sent_entries_count")).toBe(recipients);
    expect(recipients).toBeGreaterThan(appendsBefore);
    expect(sampleValue(after, "raft_append_entries_sent_entries_sum") ?? 0).toBeGreaterThanOrEqual(3);
    expect(sampleValue(after, "raft_log_sync_duration_seconds_count")).toBe(
      sampleValue(after, "raft_log_sync_entries_count"),
    );
  });

  it("counts snapshots by trigger, records their duration and size, and logs snapshot_taken", () => {
    const f = leaderCore(4);
    writeAndCommit(f, 5); // Past the threshold: one automatic snapshot.
    let parsed = f.scrape();
    expect(sampleValue(parsed, "raft_snapshots_taken_total", { trigger: "auto" })).toBe(1);
    expect(sampleValue(parsed, "raft_snapshots_taken_total", { trigger: "api" })).toBe(0);
    writeAndCommit(f, 1);
    expect(f.core.runtime.snapshotNow().kind).toBe("taken");
    expect(f.core.runtime.snapshotNow().kind).toBe("unchanged"); // Nothing applied since: nothing counted.
    parsed = f.scrape();
    expect(sampleValue(parsed, "raft_snapshots_taken_total", { trigger: "api" })).toBe(1);
    expect(sampleValue(parsed, "raft_snapshot_duration_seconds_count")).toBe(2);
    expect(sampleValue(parsed, "raft_snapshot_last_size_bytes")).toBeGreaterThan(0);
    const taken = f.events.filter((e) => e.event === "snapshot_taken");
    expect(taken.map((e) => e.trigger)).toEqual(["auto", "api"]);
    expect(taken[1]).toMatchObject({ index: f.core.runtime.node.log.snapshotPosition.index });
    expect(typeof taken[1].bytes).toBe("number");
  });

  it("counts snapshots received by outcome and logs the refusals", () => {
    const f = leaderCore(10_000);
    writeAndCommit(f, 2);
    const node = f.core.runtime.node;
    const config = new ClusterConfig({ voters: [N1, N2] }); // It does not name the sender n9.
    const snapshot = { position: node.log.lastPosition, config, data: new Uint8Array(8) };
    expect(f.core.runtime.handleSnapshot(NodeId.of("n9"), snapshot)).toBe(false); // Not a member.
    const own = { ...snapshot, config: node.config };
    expect(f.core.runtime.handleSnapshot(N2, own)).toBe(false); // The leader takes none: stale.
    const parsed = f.scrape();
    expect(sampleValue(parsed, "raft_snapshot_installs_total", { outcome: "not_member" })).toBe(1);
    expect(sampleValue(parsed, "raft_snapshot_installs_total", { outcome: "stale" })).toBe(1);
    expect(sampleValue(parsed, "raft_snapshot_installs_total", { outcome: "installed" })).toBe(0);
    expect(f.events.filter((e) => e.event === "snapshot_refused").map((e) => e.reason)).toEqual(["not_member"]);
  });

  it("labels peer traffic with member ids only, and refusals with their fixed reasons", () => {
    const f = leaderCore(10_000);
    const peers = f.core.metrics.peers;
    peers.sent(N2, "append_entries_call");
    peers.sent(N2, "append_entries_call");
    peers.dropped(N2, "request_vote_call");
    peers.received(N2, "append_entries_reply");
    peers.received(NodeId.of("intruder"), "request_vote_call");
    peers.received(NodeId.of("another"), "request_vote_call");
    peers.linkFailed(N2);
    peers.reconnected(N2);
    peers.refusedByPeer(N2);
    peers.rejected("invalid_json");
    const parsed = f.scrape();
    const n2 = { peer: "n2" };
    expect(sampleValue(parsed, "raft_peer_messages_sent_total", { ...n2, kind: "append_entries_call" })).toBe(2);
    expect(sampleValue(parsed, "raft_peer_messages_sent_total", { ...n2, kind: "timeout_now" })).toBe(0);
    expect(sampleValue(parsed, "raft_peer_messages_dropped_total", { ...n2, kind: "request_vote_call" })).toBe(1);
    expect(sampleValue(parsed, "raft_peer_messages_received_total", { ...n2, kind: "append_entries_reply" })).toBe(1);
    const outsiders = { peer: NON_MEMBER_PEER, kind: "request_vote_call" };
    expect(sampleValue(parsed, "raft_peer_messages_received_total", outsiders)).toBe(2);
    const labelled = parsed.samples.filter((s) => s.name.startsWith("raft_peer_") && "peer" in s.labels);
    expect([...new Set(labelled.map((s) => s.labels.peer))].sort()).toEqual([NON_MEMBER_PEER, "n2"].sort());
    expect(sampleValue(parsed, "raft_peer_link_failures_total", n2)).toBe(1);
    expect(sampleValue(parsed, "raft_peer_reconnects_total", n2)).toBe(1);
    expect(sampleValue(parsed, "raft_peer_error_frames_total", n2)).toBe(1);
    expect(sampleValue(parsed, "raft_peer_frames_rejected_total", { reason: "invalid_json" })).toBe(1);
    expect(sampleValue(parsed, "raft_peer_frames_rejected_total", { reason: "unauthorized" })).toBe(0);
    expect(() => peers.rejected("made_up" as never)).toThrow("unknown peer reject reason");
  });

  it("logs role changes, elections and committed configurations as events with fields", () => {
    const f = leaderCore(10_000);
    expect(f.events.some((e) => e.event === "config_committed")).toBe(false); // n2 acknowledged nothing yet.
    writeAndCommit(f, 1);
    const events = f.events;
    const started = events.find((e) => e.event === "election_started");
    expect(started).toMatchObject({ term: 1, role: "candidate" });
    const roles = events.filter((e) => e.event === "role_changed");
    expect(roles.at(-1)).toMatchObject({ level: "info", node: "n1", role: "leader", term: 1, leader: "n1" });
    const config = events.find((e) => e.event === "config_committed");
    expect(config).toMatchObject({ index: 1, voters: ["n1", "n2"], learners: [], joint: false });
    expect(events.filter((e) => e.event === "config_committed").length).toBe(1); // Once per configuration.
    expect(f.core.runtime.node.currentTerm).toBe(Term.of(1));
  });
});
