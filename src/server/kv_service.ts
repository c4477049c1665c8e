/**
 * The key-value node service: implements the HTTP facade ({@link NodeService}) on top of the
 * runtime loop and the replicated KV state machine, and keeps the address book (node id → URL)
 * in step with the replicated member directory.
 */
import type { NodeId } from "../core/mod.ts";
import { type ApplyResult, encodeCommand, type KvCommand, KvStateMachine } from "../kv/mod.ts";
import type { StateMachine } from "./ports.ts";
import type { RaftRuntime, SubmitOutcome } from "./runtime.ts";
import type {
  Consistency,
  DeleteOptions,
  GetResult,
  ListResult,
  MemberInfo,
  MemberStatus,
  NodeService,
  NodeStatus,
  PutOptions,
  ServiceError,
  ServiceErrorCode,
  WriteResult,
} from "./service.ts";

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
}

function fail(code: ServiceErrorCode, message: string, extra: Partial<ServiceError> = {}): ServiceError {
  return { ok: false, code, message, ...extra };
}

/** {@link NodeService} for the replicated key-value store. */
export class KvNodeService implements NodeService {
  readonly self: MemberInfo;
  readonly #options: KvServiceOptions;
  readonly #holder: KvMachineHolder;
  readonly #addresses = new Map<string, string>();
  #runtime: RaftRuntime<ApplyResult> | null = null;
  #directoryProposal = false;

  /** Creates the service; call {@link KvNodeService.attach} before use. */
  constructor(options: KvServiceOptions, holder: KvMachineHolder) {
    this.self = options.self;
    this.#options = options;
    this.#holder = holder;
    this.#addresses.set(options.self.id, options.self.url);
  }

  /** Connects the runtime (created after the service, because it needs the address book). */
  attach(runtime: RaftRuntime<ApplyResult>): void {
    this.#runtime = runtime;
    this.#mergeDirectory();
  }

  /** The URL of a node, from the replicated directory, bootstrap or handshakes. */
  resolveUrl(id: string): string | undefined {
    return this.#addresses.get(id);
  }

  /** Records a peer's advertised URL (from a handshake); the replicated directory wins over it. */
  learnAddress(id: string, url: string): void {
    if (this.#holder.machine.memberUrl(id) !== null || this.#addresses.get(id) === url) return;
    this.#addresses.set(id, url);
    this.#runtime?.refreshPeers();
    this.#syncDirectory();
  }

  /** Called by the runtime after entries were applied. */
  onApplied(): void {
    this.#mergeDirectory();
    this.#syncDirectory();
  }

  leader(): MemberInfo | null {
    const id = this.#rt.node.leaderId;
    if (id === null) return null;
    const url = this.#addresses.get(id);
    return url === undefined ? null : { id, url };
  }

  isLeader(): boolean {
    return this.#rt.node.role === "leader" && !this.#rt.stopped;
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
    if (node.log.lastPosition.index > 0 || node.config.voters.length > 0) {
      return fail("already_bootstrapped", `node ${this.self.id} is already part of a cluster`, { definite: true });
    }
    for (const m of members) if (m.id !== this.self.id) this.#addresses.set(m.id, m.url);
    if (!this.#rt.bootstrap(members.map((m) => m.id as NodeId))) {
      return fail("already_bootstrapped", `node ${this.self.id} is already part of a cluster`, { definite: true });
    }
    await this.#waitForLeader(this.#options.bootstrapWaitMs);
    return { ok: true, members };
  }

  async get(key: string, consistency: Consistency): Promise<GetResult | ServiceError> {
    const ready = await this.#readReady(consistency);
    if (ready !== null) return ready;
    const machine = this.#holder.machine;
    return { ok: true, kv: machine.get(key), index: machine.appliedIndex };
  }

  async list(prefix: string, limit: number, consistency: Consistency): Promise<ListResult | ServiceError> {
    const ready = await this.#readReady(consistency);
    if (ready !== null) return ready;
    const machine = this.#holder.machine;
    const listing = machine.list(prefix, limit);
    return { ok: true, items: listing.items, more: listing.more, index: machine.appliedIndex };
  }

  put(key: string, value: string, options: PutOptions): Promise<WriteResult | ServiceError> {
    return this.#write({ op: "put", key, value, ...casOf(options) });
  }

  delete(key: string, options: DeleteOptions): Promise<WriteResult | ServiceError> {
    return this.#write({ op: "delete", key, ...casOf(options) });
  }

  // ------------------------------------------------------------ internals

  get #rt(): RaftRuntime<ApplyResult> {
    if (this.#runtime === null) throw new Error("KvNodeService used before attach()");
    return this.#runtime;
  }

  async #readReady(consistency: Consistency): Promise<ServiceError | null> {
    if (consistency === "stale") return null;
    if (!this.isLeader()) return this.#notLeader(true);
    if (consistency === "leader") return null;
    const outcome = await this.#rt.readBarrier();
    switch (outcome) {
      case "ready":
        return null;
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

  async #write(command: KvCommand): Promise<WriteResult | ServiceError> {
    const encoded = encodeCommand(command);
    if (!encoded.ok) return fail("invalid_request", encoded.message, { definite: true });
    if (!this.isLeader()) return this.#notLeader(true);
    return writeResultOf(await this.#rt.submit(encoded.payload), this.#notLeader(true));
  }

  #notLeader(definite: boolean): ServiceError {
    const leader = this.leader();
    if (leader === null) return fail("no_leader", "no leader is known right now; retry shortly", { definite, leader });
    return fail("not_leader", `this node is not the leader; the leader is ${leader.id}`, { definite, leader });
  }

  async #waitForLeader(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.#rt.node.leaderId === null && Date.now() < deadline && !this.#rt.stopped) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  #members(): MemberStatus[] {
    const config = this.#rt.node.config;
    return config.uniqueNodes().map((id) => ({
      id,
      url: this.#addresses.get(id) ?? null,
      role: roleOf(config, id),
    }));
  }

  /** The replicated directory overrides what handshakes and bootstrap said. */
  #mergeDirectory(): void {
    let changed = false;
    for (const m of this.#holder.machine.members()) {
      if (this.#addresses.get(m.id) === m.url) continue;
      this.#addresses.set(m.id, m.url);
      changed = true;
    }
    if (changed) this.#runtime?.refreshPeers();
  }

  /** As leader, replicate the URL of every configured member the directory does not know yet. */
  #syncDirectory(): void {
    if (this.#runtime === null || !this.isLeader() || this.#directoryProposal) return;
    const machine = this.#holder.machine;
    const missing = this.#rt.node.config
      .uniqueNodes()
      .filter((id) => machine.memberUrl(id) === null && this.#addresses.has(id))
      .map((id) => ({ id, url: this.#addresses.get(id) as string }));
    if (missing.length === 0) return;
    const encoded = encodeCommand({ op: "members", upsert: missing });
    if (!encoded.ok) return;
    this.#directoryProposal = true;
    this.#rt.submit(encoded.payload).then(() => {
      this.#directoryProposal = false;
      this.#syncDirectory();
    });
  }
}

function casOf(options: PutOptions): { expectValue?: string; expectRevision?: number } {
  const out: { expectValue?: string; expectRevision?: number } = {};
  if (options.expectValue !== undefined) out.expectValue = options.expectValue;
  if (options.expectRevision !== undefined) out.expectRevision = options.expectRevision;
  return out;
}

function writeResultOf(outcome: SubmitOutcome<ApplyResult>, notLeader: ServiceError): WriteResult | ServiceError {
  switch (outcome.kind) {
    case "applied":
      return applyResultOf(outcome.result, outcome.index);
    case "not_leader":
      return notLeader;
    case "superseded":
      return { ...notLeader, message: `leadership changed before the write committed; it did not take effect` };
    case "overloaded":
      return fail("overloaded", "too many writes are waiting to commit; retry later", { definite: true });
    case "timeout":
      return fail("timeout", "the write was proposed but its outcome is unknown (it may still commit)", {
        definite: false,
      });
    case "stopped":
      return fail("shutting_down", "the node stopped before the write's outcome was known", { definite: false });
  }
}

function applyResultOf(result: ApplyResult, index: number): WriteResult | ServiceError {
  if (result.ok) return { ok: true, index, revision: result.revision, prev: result.prev };
  if (result.code === "compare_failed") {
    return fail("compare_failed", "the key's current value or revision does not match the expectation", {
      definite: true,
      details: { current: result.current, index },
    });
  }
  return fail("internal", `the command was applied as invalid: ${result.message}`, { definite: true });
}

function roleOf(config: { voters: readonly string[]; newVoters: readonly string[]; isJoint: boolean }, id: string) {
  const old = config.voters.includes(id);
  if (!config.isJoint) return old ? "voter" : "learner";
  const next = config.newVoters.includes(id);
  if (old && next) return "voter";
  if (next) return "joining_voter";
  return old ? "leaving_voter" : "learner";
}
