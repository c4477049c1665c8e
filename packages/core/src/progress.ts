/**
 * A leader's view of its followers (etcd's tracker/progress.go): for each follower how far its
 * log is known to match (`matchIndex`), where the next send starts (`nextIndex`), the corrective
 * send in flight, the restart generation and the heartbeat it echoed last. Every change goes
 * through a method here, and each asserts the invariant `matchIndex < nextIndex`.
 */
import { assert } from "./assert.ts";
import type { ClusterConfig } from "./config.ts";
import type { NodeId } from "./ids.ts";
import { hasJointMajority } from "./quorum.ts";

/** No corrective send is on its way. */
const NO_PROBE = -1;
/**
 * With an unlimited window, at most this many sends are tracked: past it the newest slot is
 * extended instead (the count then understates, memory stays bounded).
 */
const MAX_TRACKED_SENDS = 1024;

/**
 * How a leader replicates to a follower: `probe` (it does not know where the follower's log ends
 * and sends corrective data after each refusal), `replicate` (it knows, and streams new entries
 * optimistically within the in-flight window), or `snapshot` (the follower is behind the leader's
 * snapshot and is being sent one).
 */
export type ReplicationState = "probe" | "replicate" | "snapshot";

/** A read-only view of one follower's progress, for status pages and learner promotion. */
export interface FollowerProgress {
  /** The follower. */
  readonly id: NodeId;
  /** True iff it votes in the latest configuration. */
  readonly voter: boolean;
  /** Highest index known to be replicated on it. */
  readonly matchIndex: number;
  /** Index of the first entry the next send to it carries. */
  readonly nextIndex: number;
  /** AppendEntriesCalls with entries sent to it and not yet acknowledged. */
  readonly inflight: number;
  /** How the leader replicates to it. */
  readonly state: ReplicationState;
  /** Expiries of the leader's heartbeat timer since it last answered (0: in the current interval). */
  readonly ticksSinceContact: number;
}

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
  #state: ReplicationState = "probe";
  /** Last indexes of the sends with entries not yet acknowledged, ascending. */
  readonly #inflight: number[] = [];
  /** Leader timer expiries since the follower last answered. */
  #ticksSinceContact = 0;
  /** True iff the follower answered since the last check-quorum round. */
  #recentlyActive = false;

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

  /** How the leader replicates to the follower. */
  get state(): ReplicationState {
    return this.#state;
  }

  /** Sends with entries not yet acknowledged. */
  get inflight(): number {
    return this.#inflight.length;
  }

  /** Leader timer expiries since the follower last answered. */
  get ticksSinceContact(): number {
    return this.#ticksSinceContact;
  }

  /** True iff the follower answered since the last check-quorum round. */
  get recentlyActive(): boolean {
    return this.#recentlyActive;
  }

  /** True iff `window` sends with entries are unacknowledged: send the follower no more entries. */
  isPaused(window: number): boolean {
    return this.#inflight.length >= window;
  }

  /** The follower answered (in the leader's term). */
  heard(): void {
    this.#ticksSinceContact = 0;
    this.#recentlyActive = true;
  }

  /** The leader's timer expired once more. */
  tick(): void {
    this.#ticksSinceContact += 1;
  }

  /** A check-quorum round ended: activity is counted afresh. */
  resetActivity(): void {
    this.#recentlyActive = false;
  }

  /**
   * The follower refused entries (they did not attach to its log): the sends in flight are lost
   * or useless, and the leader probes again.
   */
  refusedEntries(): void {
    this.#inflight.length = 0;
    this.#state = "probe";
  }

  /** The follower is behind the leader's snapshot and is being sent one. */
  needsSnapshot(): void {
    this.#inflight.length = 0;
    this.#state = "snapshot";
  }

  /** A heartbeat round found the window full: the oldest send is presumed lost, which lets one more go. */
  freeOldest(): void {
    this.#inflight.shift();
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
    this.#inflight.length = 0;
    this.#state = "probe";
  }

  /** The follower's log matches ours up to `index`; returns true iff the match index grew. */
  matched(index: number): boolean {
    if (this.#nextIndex <= index) this.#nextIndex = index + 1;
    this.#state = "replicate";
    let acked = 0;
    while (acked < this.#inflight.length && this.#inflight[acked] <= index) acked++;
    if (acked > 0) this.#inflight.splice(0, acked);
    if (index <= this.#matchIndex) return false;
    this.#matchIndex = index;
    this.#check();
    return true;
  }

  /**
   * A send to the follower now reaches `lastIndex`; `carriesEntries` says whether it holds any
   * (a heartbeat does not count against the window). With `extended`, the send is the pending
   * one grown by more entries (messages merge before they leave), not a new one.
   */
  sentThrough(lastIndex: number, carriesEntries: boolean, extended = false): void {
    if (carriesEntries) this.#trackSend(lastIndex, extended);
    this.#nextIndex = lastIndex + 1;
    this.#check();
  }

  #trackSend(lastIndex: number, extended: boolean): void {
    const sends = this.#inflight;
    const newest = sends.length - 1;
    if (newest >= 0 && (extended || sends.length >= MAX_TRACKED_SENDS || sends[newest] >= lastIndex)) {
      sends[newest] = Math.max(sends[newest], lastIndex);
      return;
    }
    sends.push(lastIndex);
  }

  #check(): void {
    assert(this.#matchIndex < this.#nextIndex, "a follower's match index is below its next index");
  }

  /** The read-only view of this progress for follower `id`. */
  view(id: NodeId, voter: boolean): FollowerProgress {
    return {
      id,
      voter,
      matchIndex: this.#matchIndex,
      nextIndex: this.#nextIndex,
      inflight: this.#inflight.length,
      state: this.#state,
      ticksSinceContact: this.#ticksSinceContact,
    };
  }
}

/** The progress of every follower of a leader, kept in step with the latest configuration. */
export class ProgressTracker implements Iterable<[NodeId, Progress]> {
  readonly #self: NodeId;
  readonly #followers = new Map<NodeId, Progress>();
  /** True iff the leader alone is a quorum of the configuration last synced. */
  #selfQuorum = false;
  /** The followers' ids and progress as arrays, in the map's order (rebuilt by sync). */
  #ids: NodeId[] = [];
  #list: Progress[] = [];
  /** The configuration whose voter slots are cached below; null after a sync. */
  #slotsConfig: ClusterConfig | null = null;
  /** Per voter of `#slotsConfig` (in its order): its progress, SELF for the leader, undefined if not followed. */
  #voterSlots: Slot[] = [];
  /** The same for the new voters of a joint configuration. */
  #newVoterSlots: Slot[] = [];

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

  /** The followers' ids, in the order they were added (read-only; replaced by the next sync). */
  get ids(): readonly NodeId[] {
    return this.#ids;
  }

  /** The followers' progress, in the order of {@link ProgressTracker.ids} (read-only; replaced by the next sync). */
  get list(): readonly Progress[] {
    return this.#list;
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
    this.#slotsConfig = null; // Followers come and go here: the slots are rebuilt when next needed.
    const keep = new Set(peers);
    for (const id of this.#followers.keys()) if (!keep.has(id)) this.#followers.delete(id);
    for (const id of peers) if (!this.#followers.has(id)) this.#followers.set(id, new Progress(nextIndex));
    this.#ids = [...this.#followers.keys()];
    this.#list = [...this.#followers.values()];
  }

  /** Forgets every corrective send on its way. */
  clearProbes(): void {
    for (const p of this.#followers.values()) p.clearProbe();
  }

  /** The leader's timer expired once more. */
  tick(): void {
    for (const p of this.#followers.values()) p.tick();
  }

  /**
   * Ends a check-quorum round: true iff the leader and the followers that answered since the last
   * round form a quorum of `config`. Activity is then counted afresh.
   */
  endQuorumRound(config: ClusterConfig): boolean {
    const active = new Set([this.#self]);
    for (const [id, p] of this.#followers) if (p.recentlyActive) active.add(id);
    for (const p of this.#followers.values()) p.resetActivity();
    return hasJointMajority(config, active);
  }

  /** The index a quorum of `config` has replicated, counting the leader at `ownMatch`. */
  quorumMatch(config: ClusterConfig, ownMatch: number): number {
    return this.#jointMajority(config, ownMatch, false);
  }

  /** The heartbeat sequence number a quorum of `config` has echoed, counting the leader at `ownSeq`. */
  quorumSeq(config: ClusterConfig, ownSeq: number): number {
    return this.#jointMajority(config, ownSeq, true);
  }

  /** As jointMajorityValue (quorum.ts) computes it, over the cached slots (no lookup by id per voter and call). */
  #jointMajority(config: ClusterConfig, own: number, seq: boolean): number {
    if (config !== this.#slotsConfig) {
      this.#voterSlots = config.voters.map((id) => this.#slotOf(id));
      this.#newVoterSlots = config.newVoters.map((id) => this.#slotOf(id));
      this.#slotsConfig = config;
    }
    const old = slotMajority(this.#voterSlots, own, seq);
    return config.isJoint ? Math.min(old, slotMajority(this.#newVoterSlots, own, seq)) : old;
  }

  #slotOf(id: NodeId): Slot {
    return id === this.#self ? SELF : this.#followers.get(id);
  }
}

/** A voter's place in a quorum count: its progress, the leader itself, or a voter not followed (0). */
type Slot = Progress | typeof SELF | undefined;
const SELF = null;

/** Scratch for {@link slotMajority}: clusters are small and this runs per reply. */
const scratch: number[] = [];

/**
 * The largest value a majority of `slots` has reached (the (⌊n/2⌋+1)-th largest), as
 * majorityValue computes it: match indexes, or with `seq` echoed heartbeats; `own` for the leader.
 */
function slotMajority(slots: readonly Slot[], own: number, seq: boolean): number {
  const n = slots.length;
  if (n === 0) return 0;
  const values = scratch;
  for (let i = 0; i < n; i++) {
    const slot = slots[i];
    const v = slot === SELF ? own : slot === undefined ? 0 : seq ? slot.seqAck : slot.matchIndex;
    let j = i; // Insertion sort, descending.
    while (j > 0 && values[j - 1] < v) {
      values[j] = values[j - 1];
      j--;
    }
    values[j] = v;
  }
  return values[n >> 1];
}
