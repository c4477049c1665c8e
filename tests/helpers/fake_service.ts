/**
 * An in-memory {@link NodeService} for route tests. It keeps the facade's semantics: every write
 * (including a failed compare-and-set) takes the next log index, a key's revision is the index of
 * its last change, writes and leader reads need the leader flag, and any call can be made to fail.
 */

import { createHash } from "node:crypto";
import { ClusterConfig, LogPosition, NodeId } from "../../packages/core/src/mod.ts";
import type {
  Consistency,
  DeleteOptions,
  FollowerProgressStatus,
  GetResult,
  KvEntry,
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
  ServiceErrorCode,
  SnapshotDownload,
  SnapshotInfo,
  WriteResult,
} from "../../src/server/service.ts";
import { encodeSnapshotFile } from "../../src/storage/mod.ts";

/** The service calls a test can make fail. */
export type FakeMethod =
  | "bootstrap"
  | "get"
  | "list"
  | "put"
  | "delete"
  | "addMember"
  | "promoteMember"
  | "removeMember"
  | "transferLeader"
  | "takeSnapshot"
  | "downloadSnapshot";

/** A snapshot the fake took: its position and its file's bytes. */
export interface FakeSnapshot {
  readonly index: number;
  readonly term: number;
  readonly file: Uint8Array;
}

/** Options of a {@link FakeNodeService}. */
export interface FakeServiceOptions {
  readonly id?: string;
  readonly url?: string;
  /** `true`: this node leads; a member: that node leads; `null`: no leader known. Default true. */
  readonly leader?: true | MemberInfo | null;
  /** Whether the node is already part of a cluster (default true, with itself as the only voter). */
  readonly bootstrapped?: boolean;
}

/** One recorded call. */
export interface FakeCall {
  readonly method: FakeMethod;
  readonly args: readonly unknown[];
}

/** A fake node: a sorted in-memory map behind the NodeService facade. */
export class FakeNodeService implements NodeService {
  readonly self: MemberInfo;
  /** The leader this node knows; `self` when it leads. */
  leaderInfo: MemberInfo | null;
  term = 3;
  /** Last applied log index (every write takes the next one). */
  index = 10;
  /** The members, as the status lists them. */
  roster: MemberStatus[];
  readonly entries = new Map<string, KvEntry>();
  readonly calls: FakeCall[] = [];
  /** The latest snapshot, or null (the fake starts without one). */
  snapshot: FakeSnapshot | null = null;
  readonly #failures = new Map<FakeMethod, ServiceError[]>();

  /** A fake node, by default a leader of a one-node cluster with id `n1`. */
  constructor(options: FakeServiceOptions = {}) {
    this.self = { id: options.id ?? "n1", url: options.url ?? "http://127.0.0.1:7001" };
    const leader = options.leader === undefined ? true : options.leader;
    this.leaderInfo = leader === true ? this.self : leader;
    this.roster = options.bootstrapped === false ? [] : [{ ...this.self, role: "voter" }];
  }

  /** Makes the next call of `method` fail with `code` (queued; each failure is used once). */
  failNext(method: FakeMethod, code: ServiceErrorCode, extra: Partial<Omit<ServiceError, "ok" | "code">> = {}): this {
    const queue = this.#failures.get(method) ?? [];
    queue.push({ ok: false, code, message: extra.message ?? `fake ${code}`, ...extra });
    this.#failures.set(method, queue);
    return this;
  }

  /** Stores an entry as if written at the next index (no leader check). */
  seed(key: string, value: string): KvEntry {
    return this.#write(key, value);
  }

  leader(): MemberInfo | null {
    return this.leaderInfo;
  }

  isLeader(): boolean {
    return this.leaderInfo?.id === this.self.id;
  }

  currentTerm(): number {
    return this.term;
  }

  status(): NodeStatus {
    return {
      ...this.self,
      role: this.isLeader() ? "leader" : "follower",
      term: this.term,
      leader: this.leaderInfo,
      commitIndex: this.index,
      appliedIndex: this.index,
      lastIndex: this.index,
      snapshotIndex: this.snapshot?.index ?? 0,
      members: this.roster,
      progress: this.isLeader()
        ? this.roster.filter((m) => m.id !== this.self.id).map((m) => this.#progressOf(m.id))
        : [],
      options: { preVote: true, checkQuorum: true },
      runtime: { name: "bun", version: "1.4.5" },
    };
  }

  /** A follower that is up to date and answered the last heartbeat. */
  #progressOf(id: string): FollowerProgressStatus {
    const base = { id, voter: true, matchIndex: this.index, nextIndex: this.index + 1, inflight: 0 };
    return { ...base, state: "replicate", ticksSinceContact: 0, lastContactMs: 12 };
  }

  bootstrap(members: readonly MemberInfo[]): Promise<{ ok: true; members: readonly MemberInfo[] } | ServiceError> {
    return this.#call("bootstrap", [members], () => {
      if (this.roster.length > 0) {
        return this.#error("already_bootstrapped", "This node is already part of a cluster", { definite: true });
      }
      this.roster = members.map((m) => ({ ...m, role: "voter" }));
      this.index++;
      this.leaderInfo = this.self;
      return { ok: true, members };
    });
  }

  get(key: string, consistency: Consistency): Promise<GetResult | ServiceError> {
    return this.#call("get", [key, consistency], () => {
      if (consistency !== "stale" && !this.isLeader()) return this.#notLeader();
      return { ok: true, kv: this.entries.get(key) ?? null, index: this.index };
    });
  }

  list(prefix: string, limit: number, consistency: Consistency, after?: string): Promise<ListResult | ServiceError> {
    const args = after === undefined ? [prefix, limit, consistency] : [prefix, limit, consistency, after];
    return this.#call("list", args, () => {
      if (consistency !== "stale" && !this.isLeader()) return this.#notLeader();
      const keys = [...this.entries.keys()]
        .filter((k) => k.startsWith(prefix) && (after === undefined || k > after))
        .sort();
      const items = keys.slice(0, limit).map((k) => this.entries.get(k) as KvEntry);
      return { ok: true, items, more: keys.length > limit, index: this.index };
    });
  }

  put(key: string, value: string, options: PutOptions): Promise<WriteResult | ServiceError> {
    return this.#call("put", [key, value, options], () => {
      if (!this.isLeader()) return this.#notLeader();
      const prev = this.entries.get(key) ?? null;
      const mismatch = this.#compare(prev, options);
      if (mismatch) return mismatch;
      const entry = this.#write(key, value);
      return { ok: true, index: this.index, revision: entry.revision, prev, replayed: false };
    });
  }

  delete(key: string, options: DeleteOptions): Promise<WriteResult | ServiceError> {
    return this.#call("delete", [key, options], () => {
      if (!this.isLeader()) return this.#notLeader();
      const prev = this.entries.get(key) ?? null;
      const mismatch = this.#compare(prev, options);
      if (mismatch) return mismatch;
      this.index++;
      this.entries.delete(key);
      return { ok: true, index: this.index, revision: prev === null ? 0 : this.index, prev, replayed: false };
    });
  }

  /** What `readiness()` answers; tests change it. */
  readinessFacts: ReadinessFacts = { storageWritable: true, leaderQuorum: null, applyLag: 0 };

  readiness(): ReadinessFacts {
    if (this.isLeader() && this.readinessFacts.leaderQuorum === null)
      return { ...this.readinessFacts, leaderQuorum: true };
    return this.readinessFacts;
  }

  members(): readonly MemberView[] {
    return this.roster.map((m) => {
      const isSelf = m.id === this.self.id;
      const leading = this.isLeader() && !isSelf;
      return {
        ...m,
        leader: this.leaderInfo?.id === m.id,
        matchIndex: leading ? this.index : null,
        lag: leading ? 0 : null,
        lastContactMs: leading ? 12 : null,
        reachable: isSelf ? true : leading ? true : null,
        promotionPending: false,
      };
    });
  }

  addMember(member: MemberInfo, options: { readonly learner: boolean }): Promise<MembershipChange | ServiceError> {
    return this.#call("addMember", [member, options], () => {
      if (!this.isLeader()) return this.#notLeader();
      const known = this.roster.find((m) => m.id === member.id);
      if (known !== undefined && known.url !== member.url) {
        return this.#error("member_conflict", `member ${member.id} already exists at ${known.url}`, { definite: true });
      }
      if (known !== undefined) return { ok: true, changed: false, members: this.members() };
      this.index++;
      this.roster.push({ ...member, role: options.learner ? "learner" : "voter" });
      return { ok: true, changed: true, members: this.members() };
    });
  }

  promoteMember(id: string): Promise<MembershipChange | ServiceError> {
    return this.#call("promoteMember", [id], () => {
      if (!this.isLeader()) return this.#notLeader();
      const known = this.roster.find((m) => m.id === id);
      if (known === undefined) return this.#error("not_found", `${id} is not a member`, { definite: true });
      if (known.role === "voter") return { ok: true, changed: false, members: this.members() };
      this.index += 2;
      this.roster = this.roster.map((m) => (m.id === id ? { ...m, role: "voter" } : m));
      return { ok: true, changed: true, members: this.members() };
    });
  }

  removeMember(id: string, options: { readonly force: boolean }): Promise<MembershipChange | ServiceError> {
    return this.#call("removeMember", [id, options], () => {
      if (!this.isLeader()) return this.#notLeader();
      if (!this.roster.some((m) => m.id === id))
        return this.#error("not_found", `${id} is not a member`, { definite: true });
      this.index += 2;
      this.roster = this.roster.filter((m) => m.id !== id);
      return { ok: true, changed: true, members: this.members() };
    });
  }

  transferLeader(to: string | undefined): Promise<LeaderChange | ServiceError> {
    return this.#call("transferLeader", [to], () => {
      if (!this.isLeader()) return this.#notLeader();
      const target = this.roster.find((m) => m.id === (to ?? this.roster.find((r) => r.id !== this.self.id)?.id));
      if (target === undefined || target.url === null)
        return this.#error("not_found", "no such voter", { definite: true });
      this.term++;
      this.leaderInfo = { id: target.id, url: target.url };
      return { ok: true, leader: this.leaderInfo, term: this.term };
    });
  }

  takeSnapshot(): Promise<SnapshotInfo | ServiceError> {
    return this.#call("takeSnapshot", [], () => {
      if (this.roster.length === 0)
        return this.#error("nothing_to_snapshot", "Nothing applied yet", { definite: true });
      if (this.snapshot?.index !== this.index) {
        const config = new ClusterConfig({ voters: this.roster.map((m) => NodeId.of(m.id)) });
        const data = new TextEncoder().encode(JSON.stringify([...this.entries.values()]));
        const file = encodeSnapshotFile({ position: LogPosition.of(this.term, this.index), config }, data);
        this.snapshot = { index: this.index, term: this.term, file };
      }
      return this.#info(this.snapshot);
    });
  }

  downloadSnapshot(): Promise<SnapshotDownload | ServiceError> {
    return this.#call("downloadSnapshot", [], () => {
      const snapshot = this.snapshot;
      if (snapshot === null) return this.#error("not_found", "No snapshot yet");
      const file = snapshot.file;
      let offset = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (offset >= file.length) return controller.close();
          controller.enqueue(file.slice(offset, offset + 1000));
          offset += 1000;
        },
      });
      return { ...this.#info(snapshot), sha256: createHash("sha256").update(file).digest("hex"), body };
    });
  }

  #info(snapshot: FakeSnapshot): SnapshotInfo {
    return { ok: true, index: snapshot.index, term: snapshot.term, bytes: snapshot.file.length };
  }

  /** Records the call, then answers with a queued failure or the real behaviour. */
  #call<T>(method: FakeMethod, args: readonly unknown[], run: () => T | ServiceError): Promise<T | ServiceError> {
    this.calls.push({ method, args });
    const failure = this.#failures.get(method)?.shift();
    return Promise.resolve(failure ?? run());
  }

  /** A failed compare-and-set still takes a log index (it was committed as a no-op). */
  #compare(prev: KvEntry | null, options: PutOptions): ServiceError | null {
    const revisionOk = options.expectRevision === undefined || options.expectRevision === (prev?.revision ?? 0);
    const valueOk = options.expectValue === undefined || options.expectValue === prev?.value;
    if (revisionOk && valueOk) return null;
    this.index++;
    return this.#error("compare_failed", "The key does not match the expected revision or value", {
      definite: true,
      details: { current: prev, index: this.index },
    });
  }

  #write(key: string, value: string): KvEntry {
    this.index++;
    const prev = this.entries.get(key);
    const entry: KvEntry = {
      key,
      value,
      revision: this.index,
      createRevision: prev?.createRevision ?? this.index,
      version: (prev?.version ?? 0) + 1,
    };
    this.entries.set(key, entry);
    return entry;
  }

  #notLeader(): ServiceError {
    return this.#error("not_leader", `Node ${this.self.id} is not the leader`, {
      leader: this.leaderInfo,
      definite: true,
    });
  }

  #error(code: ServiceErrorCode, message: string, extra: Partial<ServiceError> = {}): ServiceError {
    return { ok: false, code, message, ...extra };
  }
}
