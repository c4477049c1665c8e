/** Cluster membership: voters, joint-consensus new voters, non-voting learners, and where each member is. */
import type { NodeId } from "./ids.ts";

/** The member sets of a {@link ClusterConfig}, as plain arrays, and the members' addresses. */
export interface ClusterConfigInit {
  /** The current voters; during joint consensus, the old voters (C_old). */
  readonly voters?: readonly NodeId[];
  /** Non-empty iff joint consensus is in progress: the voters of C_new. */
  readonly newVoters?: readonly NodeId[];
  /** Learners: they replicate the log but never vote in quorums or campaign. */
  readonly nonVoters?: readonly NodeId[];
  /**
   * Where each member can be reached (for the service: its base URL). The core stores and
   * replicates addresses with the configuration but never reads them. Entries for ids that are
   * not members are dropped.
   */
  readonly addresses?: Readonly<Record<string, string>> | ReadonlyMap<NodeId, string>;
}

function sortedUnique(ids: readonly NodeId[] | undefined): readonly NodeId[] {
  if (ids === undefined || ids.length === 0) return EMPTY_IDS;
  return Object.freeze([...new Set(ids)].sort());
}

function sameIds(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function entriesOf(addresses: ClusterConfigInit["addresses"]): Iterable<readonly [string, string]> {
  if (addresses === undefined) return [];
  return addresses instanceof Map ? addresses : Object.entries(addresses);
}

/** The addresses of the members among `addresses`, sorted by id. */
function memberAddresses(
  addresses: ClusterConfigInit["addresses"],
  isMember: (id: NodeId) => boolean,
): ReadonlyMap<NodeId, string> {
  const kept: Array<[NodeId, string]> = [];
  for (const [id, address] of entriesOf(addresses)) {
    if (typeof address === "string" && isMember(id as NodeId)) kept.push([id as NodeId, address]);
  }
  if (kept.length === 0) return EMPTY_ADDRESSES;
  kept.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return new Map(kept);
}

const EMPTY_IDS: readonly NodeId[] = Object.freeze([]);
const EMPTY_ADDRESSES: ReadonlyMap<NodeId, string> = new Map();

/**
 * An immutable cluster configuration. Every set is kept sorted and de-duplicated, so iteration
 * order is deterministic and two equal configurations compare equal with {@link ClusterConfig.equals}.
 * It also carries the members' addresses, so the log that says who the members are also says
 * where they are.
 */
export class ClusterConfig {
  /** A configuration with no members: the state of a fresh node. */
  static readonly EMPTY: ClusterConfig = new ClusterConfig({});

  /** The current voters; during joint consensus, the old voters (C_old). Sorted. */
  readonly voters: readonly NodeId[];
  /** Non-empty iff joint consensus is in progress: the voters of C_new. Sorted. */
  readonly newVoters: readonly NodeId[];
  /** Learners: replicate the log, never vote or campaign. Sorted. */
  readonly nonVoters: readonly NodeId[];
  /** The known addresses of members, by id (sorted). Invariant: every key is a member. */
  readonly addresses: ReadonlyMap<NodeId, string>;
  /** Voters and new voters, for membership tests on every message (faster than scanning the arrays). */
  readonly #voterSet: ReadonlySet<NodeId>;
  /** Every member of the three sets. */
  readonly #memberSet: ReadonlySet<NodeId>;

  /** Builds a configuration from member lists (duplicates removed, sorted) and addresses. */
  constructor(init: ClusterConfigInit) {
    this.voters = sortedUnique(init.voters);
    this.newVoters = sortedUnique(init.newVoters);
    this.nonVoters = sortedUnique(init.nonVoters);
    this.#voterSet = new Set([...this.voters, ...this.newVoters]);
    this.#memberSet = new Set([...this.#voterSet, ...this.nonVoters]);
    this.addresses = memberAddresses(init.addresses, (id) => this.contains(id));
    Object.freeze(this);
  }

  /** True iff joint consensus is in progress (new voters is non-empty). */
  get isJoint(): boolean {
    return this.newVoters.length > 0;
  }

  /** True iff the configuration has no member at all (a node that never joined a cluster). */
  get isEmpty(): boolean {
    return this.voters.length === 0 && this.newVoters.length === 0 && this.nonVoters.length === 0;
  }

  /** True iff `id` is in any of the three sets. */
  contains(id: NodeId): boolean {
    return this.#memberSet.has(id);
  }

  /** True iff `id` votes: it is in voters or new voters. */
  isVoter(id: NodeId): boolean {
    return this.#voterSet.has(id);
  }

  /** The address of member `id`, if the configuration has one. */
  addressOf(id: NodeId): string | undefined {
    return this.addresses.get(id);
  }

  /** The sorted union of voters and new voters. */
  uniqueVoters(): NodeId[] {
    return [...new Set([...this.voters, ...this.newVoters])].sort();
  }

  /** The sorted union of all three sets. */
  uniqueNodes(): NodeId[] {
    return [...new Set([...this.voters, ...this.newVoters, ...this.nonVoters])].sort();
  }

  /**
   * A joint configuration whose new voters are (voters ∪ adding) \ removing; addresses are kept
   * (addresses for the added nodes may be given), and so are learners, except those in `adding`:
   * adding a learner promotes it.
   */
  toJointConsensus(
    adding: readonly NodeId[],
    removing: readonly NodeId[],
    addresses: ClusterConfigInit["addresses"] = undefined,
  ): ClusterConfig {
    const next = new Set([...this.voters, ...adding]);
    for (const id of removing) next.delete(id);
    return new ClusterConfig({
      voters: this.voters,
      newVoters: [...next],
      nonVoters: this.nonVoters.filter((id) => !adding.includes(id)),
      addresses: this.#mergedAddresses(addresses),
    });
  }

  /**
   * A copy with some sets replaced. Addresses are kept for the members that remain; `addresses`
   * in `change` add to (or replace) them.
   */
  with(change: ClusterConfigInit): ClusterConfig {
    return new ClusterConfig({
      voters: change.voters ?? this.voters,
      newVoters: change.newVoters ?? this.newVoters,
      nonVoters: change.nonVoters ?? this.nonVoters,
      addresses: this.#mergedAddresses(change.addresses),
    });
  }

  /** True iff all three sets and the addresses are equal. */
  equals(other: ClusterConfig): boolean {
    return (
      sameIds(this.voters, other.voters) &&
      sameIds(this.newVoters, other.newVoters) &&
      sameIds(this.nonVoters, other.nonVoters) &&
      sameAddresses(this.addresses, other.addresses)
    );
  }

  /** True iff the three member sets are equal (addresses aside). */
  sameMembers(other: ClusterConfig): boolean {
    return (
      sameIds(this.voters, other.voters) &&
      sameIds(this.newVoters, other.newVoters) &&
      sameIds(this.nonVoters, other.nonVoters)
    );
  }

  /** The plain form, for JSON (addresses as an object sorted by id). */
  toJSON(): { voters: NodeId[]; newVoters: NodeId[]; nonVoters: NodeId[]; addresses: Record<string, string> } {
    return {
      voters: [...this.voters],
      newVoters: [...this.newVoters],
      nonVoters: [...this.nonVoters],
      addresses: Object.fromEntries(this.addresses),
    };
  }

  #mergedAddresses(extra: ClusterConfigInit["addresses"]): Map<NodeId, string> {
    const merged = new Map(this.addresses);
    for (const [id, address] of entriesOf(extra)) merged.set(id as NodeId, address);
    return merged;
  }
}

function sameAddresses(a: ReadonlyMap<NodeId, string>, b: ReadonlyMap<NodeId, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [id, address] of a) if (b.get(id) !== address) return false;
  return true;
}
