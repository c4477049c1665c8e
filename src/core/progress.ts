/**
 * A leader's view of its followers (etcd's tracker/progress.go): for each follower how far its
 * log is known to match (`matchIndex`), where the next send starts (`nextIndex`), the corrective
 * send in flight, the restart generation and the heartbeat it echoed last. Every change goes
 * through a method here, and each asserts the invariant `matchIndex < nextIndex`.
 */
import { assert } from "./assert.ts";
import type { ClusterConfig } from "./config.ts";
import type { NodeId } from "./ids.ts";
import { hasJointMajority, jointMajorityValue } from "./quorum.ts";

/** No corrective send is on its way. */
const NO_PROBE = -1;

/** What a leader knows about one follower. */
export class Progress {
  /** Highest index known to be replicated on the follower. Invariant: matchIndex < nextIndex. */
  #matchIndex = 0;
  /** Index after the last entry sent to the follower (optimistic). */
  #nextIndex: number;
  /** Follower index a corrective send last started from since the last heartbeat; -1 if none. */
  #probeFrom = NO_PROBE;
  /** Highest restart generation seen in the follower's replies. */
  #generation = 0;
  /** Highest heartbeat sequence number the follower has echoed in this term. */
  #seqAck = 0;

  /** A follower not heard from yet: nothing matches, sends start optimistically at `nextIndex`. */
  constructor(nextIndex: number) {
    assert(nextIndex >= 1, "a follower's next index is at least 1");
    this.#nextIndex = nextIndex;
  }

  /** Highest index known to be replicated on the follower. */
  get matchIndex(): number {
    return this.#matchIndex;
  }

  /** Index of the first entry the next send to the follower carries. */
  get nextIndex(): number {
    return this.#nextIndex;
  }

  /** Highest restart generation seen in the follower's replies. */
  get generation(): number {
    return this.#generation;
  }

  /** Highest heartbeat sequence number the follower echoed. */
  get seqAck(): number {
    return this.#seqAck;
  }

  /** True iff a corrective send starting after follower index `from` is already on its way. */
  isProbing(from: number): boolean {
    return this.#probeFrom === from;
  }

  /** Records that a corrective send starting after follower index `from` left. */
  startProbe(from: number): void {
    this.#probeFrom = from;
  }

  /** Forgets the corrective send on its way (a heartbeat lets lost catch-up data be resent). */
  clearProbe(): void {
    this.#probeFrom = NO_PROBE;
  }

  /** The follower echoed heartbeat `seq` (`newest` is the leader's latest: larger ones were never sent). */
  ackSeq(seq: number, newest: number): void {
    if (seq > this.#seqAck && seq <= newest) this.#seqAck = seq;
  }

  /**
   * The follower restarted with `generation`: what it reports now is the truth, even if it lost an
   * unsynced tail, so nothing is known to match any more.
   */
  restarted(generation: number): void {
    assert(generation > this.#generation, "restart generations grow");
    this.#generation = generation;
    this.#matchIndex = 0;
    this.#probeFrom = NO_PROBE;
  }

  /** The follower's log matches ours up to `index`; returns true iff the match index grew. */
  matched(index: number): boolean {
    if (this.#nextIndex <= index) this.#nextIndex = index + 1;
    if (index <= this.#matchIndex) return false;
    this.#matchIndex = index;
    this.#check();
    return true;
  }

  /** A send carrying entries up to `lastIndex` left for the follower. */
  sentThrough(lastIndex: number): void {
    this.#nextIndex = lastIndex + 1;
    this.#check();
  }

  #check(): void {
    assert(this.#matchIndex < this.#nextIndex, "a follower's match index is below its next index");
  }
}

/** The progress of every follower of a leader, kept in step with the latest configuration. */
export class ProgressTracker implements Iterable<[NodeId, Progress]> {
  readonly #self: NodeId;
  readonly #followers = new Map<NodeId, Progress>();
  /** True iff the leader alone is a quorum of the configuration last synced. */
  #selfQuorum = false;
  /** Scratch for the quorum computations: the leader's own value. */
  #own = 0;
  readonly #matchOf = (id: NodeId): number =>
    id === this.#self ? this.#own : (this.#followers.get(id)?.matchIndex ?? 0);
  readonly #seqOf = (id: NodeId): number => (id === this.#self ? this.#own : (this.#followers.get(id)?.seqAck ?? 0));

  /** An empty tracker for the leader `self`. */
  constructor(self: NodeId) {
    this.#self = self;
  }

  /** The number of followers. */
  get size(): number {
    return this.#followers.size;
  }

  /** True iff the leader alone is a quorum of the configuration last synced. */
  get selfQuorum(): boolean {
    return this.#selfQuorum;
  }

  /** The progress of follower `id`, if it is one. */
  get(id: NodeId): Progress | undefined {
    return this.#followers.get(id);
  }

  /** True iff `id` is a follower. */
  has(id: NodeId): boolean {
    return this.#followers.has(id);
  }

  /** Iterates the followers in the order they were added. */
  [Symbol.iterator](): Iterator<[NodeId, Progress]> {
    return this.#followers[Symbol.iterator]();
  }

  /** The followers' progress, in the order they were added. */
  values(): IterableIterator<Progress> {
    return this.#followers.values();
  }

  /**
   * Makes the followers match `peers`, the members of `config` other than the leader: removed
   * members are forgotten, new ones start optimistic at `nextIndex`.
   */
  sync(config: ClusterConfig, peers: readonly NodeId[], nextIndex: number): void {
    this.#selfQuorum = hasJointMajority(config, new Set([this.#self]));
    const keep = new Set(peers);
    for (const id of this.#followers.keys()) if (!keep.has(id)) this.#followers.delete(id);
    for (const id of peers) if (!this.#followers.has(id)) this.#followers.set(id, new Progress(nextIndex));
  }

  /** Forgets every corrective send on its way. */
  clearProbes(): void {
    for (const p of this.#followers.values()) p.clearProbe();
  }

  /** The index a quorum of `config` has replicated, counting the leader at `ownMatch`. */
  quorumMatch(config: ClusterConfig, ownMatch: number): number {
    this.#own = ownMatch;
    return jointMajorityValue(config, this.#matchOf);
  }

  /** The heartbeat sequence number a quorum of `config` has echoed, counting the leader at `ownSeq`. */
  quorumSeq(config: ClusterConfig, ownSeq: number): number {
    this.#own = ownSeq;
    return jointMajorityValue(config, this.#seqOf);
  }
}
