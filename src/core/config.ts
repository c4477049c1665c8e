/** Cluster membership: voters, joint-consensus new voters, and non-voting learners. */
import type { NodeId } from "./ids.ts";

/** The three member sets of a {@link ClusterConfig}, as plain arrays. */
export interface ClusterConfigInit {
  /** The current voters; during joint consensus, the old voters (C_old). */
  readonly voters?: readonly NodeId[];
  /** Non-empty iff joint consensus is in progress: the voters of C_new. */
  readonly newVoters?: readonly NodeId[];
  /** Learners: they replicate the log but never vote in quorums or campaign. */
  readonly nonVoters?: readonly NodeId[];
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

const EMPTY_IDS: readonly NodeId[] = Object.freeze([]);

/**
 * An immutable cluster configuration. Every set is kept sorted and de-duplicated, so iteration
 * order is deterministic and two equal configurations compare equal with {@link ClusterConfig.equals}.
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

  /** Builds a configuration from member lists (duplicates removed, sorted). */
  constructor(init: ClusterConfigInit) {
    this.voters = sortedUnique(init.voters);
    this.newVoters = sortedUnique(init.newVoters);
    this.nonVoters = sortedUnique(init.nonVoters);
    Object.freeze(this);
  }

  /** True iff joint consensus is in progress (new voters is non-empty). */
  get isJoint(): boolean {
    return this.newVoters.length > 0;
  }

  /** True iff `id` is in any of the three sets. */
  contains(id: NodeId): boolean {
    return this.voters.includes(id) || this.newVoters.includes(id) || this.nonVoters.includes(id);
  }

  /** True iff `id` votes: it is in voters or new voters. */
  isVoter(id: NodeId): boolean {
    return this.voters.includes(id) || this.newVoters.includes(id);
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
   * A joint configuration whose new voters are (voters ∪ adding) \ removing; learners are kept.
   * To promote a learner, also drop it from `nonVoters` (see {@link ClusterConfig.with}).
   */
  toJointConsensus(adding: readonly NodeId[], removing: readonly NodeId[]): ClusterConfig {
    const next = new Set([...this.voters, ...adding]);
    for (const id of removing) next.delete(id);
    return new ClusterConfig({ voters: this.voters, newVoters: [...next], nonVoters: this.nonVoters });
  }

  /** A copy with some sets replaced. */
  with(change: ClusterConfigInit): ClusterConfig {
    return new ClusterConfig({
      voters: change.voters ?? this.voters,
      newVoters: change.newVoters ?? this.newVoters,
      nonVoters: change.nonVoters ?? this.nonVoters,
    });
  }

  /** True iff all three sets are equal. */
  equals(other: ClusterConfig): boolean {
    return (
      sameIds(this.voters, other.voters) &&
      sameIds(this.newVoters, other.newVoters) &&
      sameIds(this.nonVoters, other.nonVoters)
    );
  }

  /** The plain form, for JSON. */
  toJSON(): { voters: NodeId[]; newVoters: NodeId[]; nonVoters: NodeId[] } {
    return { voters: [...this.voters], newVoters: [...this.newVoters], nonVoters: [...this.nonVoters] };
  }
}
