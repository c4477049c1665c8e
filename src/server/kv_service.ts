/**
 * The key-value node service: implements the HTTP facade ({@link NodeService}) on top of the
 * runtime loop and the replicated KV state machine. Members' URLs come from the configuration in
 * the log (see the runtime's member directory).
 */
import { LogPosition, type NodeId } from "../../packages/core/src/mod.ts";
import type { ForwardedCommand } from "../../schemas/peer_frame.ts";
import { type ApplyResult, encodeCommand, type KvCommand, KvStateMachine } from "../kv/mod.ts";
import type { Clock } from "./clock.ts";
import type { FollowerReads } from "./follower_reads.ts";
import type { LinkForwarder, ReadIndexAnswer } from "./link_forwarder.ts";
import { DEFAULT_MEMBERSHIP_SETTINGS, Membership, type MembershipSettings, roleOf } from "./membership.ts";
import type { SnapshotFileReader, SnapshotJob, StateMachine } from "./ports.ts";
import type { RaftRuntime } from "./runtime.ts";
import type {
  Consistency,
  DeleteOptions,
  GetResult,
  LeaderChange,
  ListResult,
  MemberInfo,
  MemberStatus,
  MembershipChange,
  MemberView,
  NodeService,
  NodeStatus,
  PutOptions,
  ReadinessFacts,
  ServiceError,
  SnapshotDownload,
  SnapshotInfo,
  WriteResult,
} from "./service.ts";
import { snapshotDownloadStream } from "./snapshot_download.ts";
import { fail, writeResultOf } from "./write_outcome.ts";

/** Adapts {@link KvStateMachine} to the runtime's state machine port (restore swaps the instance). */
export class KvMachineHolder implements StateMachine<ApplyResult> {
  /** The current state machine. */
  machine = new KvStateMachine();

  /** The highest applied index. */
  get appliedIndex(): number {
    return this.machine.appliedIndex;
  }

  /** Applies a command entry. */
  apply(index: number, payload: Uint8Array | string): ApplyResult {
    return this.machine.apply(index, payload);
  }

  /** Advances over a non-command entry. */
  skip(index: number): void {
    this.machine.noteIndex(index);
  }

  /** Serialises the state. */
  snapshot(): Uint8Array {
    return this.machine.snapshot();
  }

  /** Starts a snapshot serialised in slices (see {@link KvStateMachine.beginSnapshot}). */
  beginSnapshot(): SnapshotJob {
    return this.machine.beginSnapshot();
  }

  /** Resets to the empty state. */
  reset(): void {
    this.machine = new KvStateMachine();
  }

  /** Replaces the state with a snapshot's if it decodes. */
  restore(data: Uint8Array): boolean {
    const restored = KvStateMachine.restore(data);
    if (!(restored instanceof KvStateMachine)) return false;
    this.machine = restored;
    return true;
  }
}

/** The process's runtime name and version. */
export interface RuntimeInfo {
  readonly name: "bun" | "deno" | "node";
  readonly version: string;
}

/** Settings of the service. */
export interface KvServiceOptions {
  readonly self: MemberInfo;
  readonly runtimeInfo: RuntimeInfo;
  /** How long bootstrap waits for a leader before answering. */
  readonly bootstrapWaitMs: number;
  /** How membership operations behave (default {@link DEFAULT_MEMBERSHIP_SETTINGS}). */
  readonly membership?: MembershipSettings;
  /** Told how each client write ended: `applied`, or the error code (for metrics). */
  readonly onWrite?: (outcome: string) => void;
}

/** {@link NodeService} for the replicated key-value store. */
export class KvNodeService implements NodeService {
  readonly self: MemberInfo;
  readonly #options: KvServiceOptions;
  readonly #holder: KvMachineHolder;
  #runtime: RaftRuntime<ApplyResult> | null = null;
  #membership: Membership<ApplyResult> | null = null;
  #forwarder: LinkForwarder | null = null;
  #followerReads: FollowerReads | null = null;

  /** Creates the service; call {@link KvNodeService.attach} before use. */
  constructor(options: KvServiceOptions, holder: KvMachineHolder) {
    this.self = options.self;
    this.#options = options;
    this.#holder = holder;
  }

  /** Connects the runtime (created after the service's state machine holder), on the runtime's `clock`. */
  attach(runtime: RaftRuntime<ApplyResult>, clock: Clock): void {
    this.#runtime = runtime;
    const settings = this.#options.membership ?? DEFAULT_MEMBERSHIP_SETTINGS;
    this.#membership = new Membership(runtime, this.self, clock, settings, () => this.#notLeader(true));
  }

  /**
   * Lets this node, as a follower, forward key-value writes to its leader over the peer link and
   * serve linearizable reads after a read index from it (see `link_forwarder.ts`, `follower_reads.ts`).
   */
  attachForwarding(forwarder: LinkForwarder, reads: FollowerReads): void {
    this.#forwarder = forwarder;
    this.#followerReads = reads;
  }

  forwardsOverLink(): boolean {
    if (this.#forwarder === null || this.isLeader()) return false;
    const leader = this.leader();
    return leader !== null && this.#forwarder.canForward(leader.id as NodeId);
  }

  /**
   * A write a follower forwarded over its link: proposed here if this node leads, never forwarded
   * again (two nodes that disagree on the leader could otherwise pass it back and forth).
   */
  writeForwarded(command: ForwardedCommand): Promise<WriteResult | ServiceError> {
    return this.#write(command, false);
  }

  /** Leader only: a read index confirmed by a quorum, for a follower's linearizable reads. */
  async leaderReadIndex(): Promise<ReadIndexAnswer> {
    if (!this.isLeader()) return this.#notLeader(true);
    const outcome = await this.#rt.readIndex();
    if (typeof outcome === "object") return outcome;
    return this.#readFailure(outcome);
  }

  readiness(): ReadinessFacts {
    const node = this.#rt.node;
    const storageWritable = !this.#rt.down && !this.#rt.stopped;
    const applyLag = Math.max(0, node.commitIndex - this.#holder.appliedIndex);
    const leaderQuorum = this.#ms.reachableQuorum();
    const failure = this.#rt.storageFailure;
    return failure === null
      ? { storageWritable, leaderQuorum, applyLag }
      : { storageWritable, leaderQuorum, applyLag, storageFailure: failure };
  }

  members(): readonly MemberView[] {
    return this.#ms.list();
  }

  addMember(member: MemberInfo, options: { readonly learner: boolean }): Promise<MembershipChange | ServiceError> {
    if (!this.isLeader()) return Promise.resolve(this.#notLeader(true));
    return this.#ms.add(member.id as NodeId, member.url, options.learner);
  }

  promoteMember(id: string): Promise<MembershipChange | ServiceError> {
    if (!this.isLeader()) return Promise.resolve(this.#notLeader(true));
    return this.#ms.promote(id as NodeId);
  }

  removeMember(id: string, options: { readonly force: boolean }): Promise<MembershipChange | ServiceError> {
    if (!this.isLeader()) return Promise.resolve(this.#notLeader(true));
    return this.#ms.remove(id as NodeId, options.force);
  }

  transferLeader(to: string | undefined): Promise<LeaderChange | ServiceError> {
    if (!this.isLeader()) return Promise.resolve(this.#notLeader(true));
    return this.#ms.transfer(to as NodeId | undefined);
  }

  /** Stops the membership checks (the node is stopping). */
  stopMembership(): void {
    this.#membership?.stop();
  }

  leader(): MemberInfo | null {
    const id = this.#rt.node.leaderId;
    if (id === null) return null;
    const url = id === this.self.id ? this.self.url : this.#rt.urlOf(id);
    return url === undefined ? null : { id, url };
  }

  isLeader(): boolean {
    return this.#rt.node.role === "leader" && !this.#rt.stopped && !this.#rt.down;
  }

  currentTerm(): number {
    return this.#rt.node.currentTerm;
  }

  status(): NodeStatus {
    const node = this.#rt.node;
    return {
      id: this.self.id,
      url: this.self.url,
      role: node.role,
      term: node.currentTerm,
      leader: this.leader(),
      commitIndex: node.commitIndex,
      appliedIndex: this.#holder.appliedIndex,
      lastIndex: node.log.lastPosition.index,
      snapshotIndex: node.log.snapshotPosition.index,
      members: this.#members(),
      progress: this.#rt.progress(),
      options: this.#rt.options,
      runtime: this.#options.runtimeInfo,
    };
  }

  async bootstrap(
    members: readonly MemberInfo[],
  ): Promise<{ ok: true; members: readonly MemberInfo[] } | ServiceError> {
    if (!members.some((m) => m.id === this.self.id)) {
      return fail("invalid_request", `this node (${this.self.id}) must be one of the members`);
    }
    const node = this.#rt.node;
    const taken = () =>
      fail("already_bootstrapped", `node ${this.self.id} is already part of a cluster`, { definite: true });
    if (node.log.lastPosition.index > 0 || !node.config.isEmpty) return taken();
    if (!this.#rt.bootstrap(members.map((m) => ({ id: m.id as NodeId, url: m.url })))) return taken();
    await this.#rt.waitForLeader(this.#options.bootstrapWaitMs);
    return { ok: true, members };
  }

  async get(key: string, consistency: Consistency): Promise<GetResult | ServiceError> {
    const ready = await this.#readReady(consistency);
    if (typeof ready === "object") return ready;
    const machine = this.#holder.machine;
    const result: GetResult = { ok: true, kv: machine.get(key), index: machine.appliedIndex };
    return ready === undefined ? result : { ...result, servedBy: ready };
  }

  async list(
    prefix: string,
    limit: number,
    consistency: Consistency,
    after?: string,
  ): Promise<ListResult | ServiceError> {
    const ready = await this.#readReady(consistency);
    if (typeof ready === "object") return ready;
    const machine = this.#holder.machine;
    const listing = machine.list(prefix, limit, after);
    const result: ListResult = { ok: true, items: listing.items, more: listing.more, index: machine.appliedIndex };
    return ready === undefined ? result : { ...result, servedBy: ready };
  }

  put(key: string, value: string, options: PutOptions): Promise<WriteResult | ServiceError> {
    return this.#write({ op: "put", key, value, ...casOf(options) });
  }

  delete(key: string, options: DeleteOptions): Promise<WriteResult | ServiceError> {
    return this.#write({ op: "delete", key, ...casOf(options) });
  }

  async takeSnapshot(): Promise<SnapshotInfo | ServiceError> {
    const outcome = this.#rt.snapshotNow();
    switch (outcome.kind) {
      case "unavailable":
        return outcome.reason === "stopped"
          ? fail("shutting_down", "the node is stopping", { definite: true })
          : fail("storage_unavailable", `the storage of node ${this.self.id} failed; it retries reopening it`);
      case "empty":
        return fail("nothing_to_snapshot", `node ${this.self.id} has applied nothing yet (is it part of a cluster?)`, {
          definite: true,
        });
      default: {
        const opened = this.#openLatest();
        if (!("meta" in opened)) return opened;
        opened.close();
        if (!LogPosition.equals(opened.meta.position, outcome.position)) {
          return fail("internal", `the latest snapshot file is not at ${LogPosition.format(outcome.position)}`);
        }
        return infoOf(opened);
      }
    }
  }

  async downloadSnapshot(): Promise<SnapshotDownload | ServiceError> {
    if (this.#rt.stopped) return fail("shutting_down", "the node is stopping");
    const opened = this.#openLatest();
    if (!("meta" in opened)) return opened;
    return { ...infoOf(opened), sha256: opened.sha256, body: snapshotDownloadStream(opened) };
  }

  // ------------------------------------------------------------ internals

  get #ms(): Membership<ApplyResult> {
    if (this.#membership === null) throw new Error("KvNodeService used before attach()");
    return this.#membership;
  }

  /** The latest snapshot file, open (the caller closes it), or the error to answer. */
  #openLatest(): SnapshotFileReader | ServiceError {
    let reader: SnapshotFileReader | null;
    try {
      reader = this.#rt.openLatestSnapshot();
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      return fail("internal", `cannot read the latest snapshot: ${why}`);
    }
    if (reader === null) {
      return fail("not_found", `node ${this.self.id} has no snapshot yet; take one with POST /v1/snapshot`);
    }
    return reader;
  }

  get #rt(): RaftRuntime<ApplyResult> {
    if (this.#runtime === null) throw new Error("KvNodeService used before attach()");
    return this.#runtime;
  }

  /**
   * Null when a read may be served from the local state now; the leader's id when it may because
   * that leader gave this follower a read index; else the error to answer.
   */
  async #readReady(consistency: Consistency): Promise<ServiceError | string | undefined> {
    if (consistency === "stale") return undefined;
    if (!this.isLeader()) return consistency === "linearizable" ? this.#followerRead() : this.#notLeader(true);
    if (consistency === "leader") return undefined;
    const outcome = await this.#rt.readBarrier();
    return outcome === "ready" ? undefined : this.#readFailure(outcome);
  }

  /** A follower's linearizable read through a read index from the leader; `not_leader` when it cannot ask. */
  async #followerRead(): Promise<ServiceError | string> {
    const leader = this.leader();
    if (this.#followerReads === null || leader === null || !this.forwardsOverLink()) return this.#notLeader(true);
    const outcome = await this.#followerReads.read();
    if (outcome === "unsent") return this.#notLeader(true);
    if (outcome === "ready") return leader.id;
    return outcome;
  }

  #readFailure(outcome: "not_leader" | "overloaded" | "timeout" | "stopped"): ServiceError {
    switch (outcome) {
      case "not_leader":
        return this.#notLeader(true);
      case "overloaded":
        return fail("overloaded", "too many reads are waiting for a quorum; retry later");
      case "timeout":
        return fail("timeout", "a quorum did not confirm the leader in time");
      case "stopped":
        return fail("shutting_down", "the node is stopping");
    }
  }

  /** A client's write; on a follower, forwarded over the link when `forward` and the link is open. */
  async #write(
    command: KvCommand & { readonly op: "put" | "delete" },
    forward = true,
  ): Promise<WriteResult | ServiceError> {
    if (forward && !this.isLeader()) {
      const forwarded = await this.#forwardWrite(command);
      // The leader counts it among its writes; one that never left goes the other way (HTTP).
      if (forwarded !== null && forwarded !== "unsent") return forwarded;
    }
    const result = await this.#writeOnce(command);
    this.#options.onWrite?.(result.ok ? "applied" : result.code);
    return result;
  }

  async #writeOnce(command: KvCommand): Promise<WriteResult | ServiceError> {
    const encoded = encodeCommand(command);
    if (!encoded.ok) return fail("invalid_request", encoded.message, { definite: true });
    if (!this.isLeader()) return this.#notLeader(true);
    return writeResultOf(await this.#rt.submit(encoded.payload), () => this.#notLeader(true));
  }

  /**
   * A follower's write, forwarded to the leader over the link with an idempotency key (the
   * client's, or one made here) so that a leader that gets it twice replays it; null or `unsent`
   * when nothing was sent (the link is not open, or dropped the frame).
   */
  #forwardWrite(
    command: KvCommand & { readonly op: "put" | "delete" },
  ): Promise<WriteResult | ServiceError | "unsent"> | null {
    const leader = this.leader();
    if (this.#forwarder === null || leader === null || leader.id === this.self.id) return null;
    const idempotencyKey = command.idempotencyKey ?? `fwd-${this.self.id}-${crypto.randomUUID()}`;
    const keyed = { ...command, idempotencyKey };
    const encoded = encodeCommand(keyed); // What the leader would check first: refused here the same way.
    if (!encoded.ok) return Promise.resolve(fail("invalid_request", encoded.message, { definite: true }));
    return this.#forwarder.propose(leader, keyed);
  }

  #notLeader(definite: boolean): ServiceError {
    const leader = this.leader();
    if (leader === null) return fail("no_leader", "no leader is known right now; retry shortly", { definite, leader });
    return fail("not_leader", `this node is not the leader; the leader is ${leader.id}`, { definite, leader });
  }

  #members(): MemberStatus[] {
    const config = this.#rt.node.config;
    return config.uniqueNodes().map((id) => ({
      id,
      url: (id === this.self.id ? this.self.url : this.#rt.urlOf(id)) ?? null,
      role: roleOf(config, id),
    }));
  }
}

function infoOf(reader: SnapshotFileReader): SnapshotInfo {
  const { index, term } = reader.meta.position;
  return { ok: true, index, term, bytes: reader.size };
}

/** The command fields of `options`, without keys for absent options. */
function casOf(options: PutOptions): { expectValue?: string; expectRevision?: number; idempotencyKey?: string } {
  const out: { expectValue?: string; expectRevision?: number; idempotencyKey?: string } = {};
  if (options.expectValue !== undefined) out.expectValue = options.expectValue;
  if (options.expectRevision !== undefined) out.expectRevision = options.expectRevision;
  if (options.idempotencyKey !== undefined) out.idempotencyKey = options.idempotencyKey;
  return out;
}
