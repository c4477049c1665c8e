/** Pure majority arithmetic over a configuration's voter sets (joint-consensus aware). */
import type { ClusterConfig } from "./config.ts";
import type { NodeId } from "./ids.ts";

/**
 * The largest value that a majority of `voters` has reached: the (⌊n/2⌋+1)-th largest of their
 * values. With no voters there is no majority, and the result is 0.
 */
export function majorityValue(voters: readonly NodeId[], valueFor: (id: NodeId) => number): number {
  const n = voters.length;
  if (n === 0) return 0;
  if (n === 1) return valueFor(voters[0]);
  // Insertion sort (descending) into a reused scratch array: clusters are small and this runs per reply.
  const values = scratch;
  for (let i = 0; i < n; i++) {
    const v = valueFor(voters[i]);
    let j = i;
    while (j > 0 && values[j - 1] < v) {
      values[j] = values[j - 1];
      j--;
    }
    values[j] = v;
  }
  return values[n >> 1];
}

const scratch: number[] = [];

/** The value a majority of the voters has reached; during joint consensus, of both voter sets. */
export function jointMajorityValue(config: ClusterConfig, valueFor: (id: NodeId) => number): number {
  const old = majorityValue(config.voters, valueFor);
  return config.isJoint ? Math.min(old, majorityValue(config.newVoters, valueFor)) : old;
}

/** True iff more than half of `voters` are in `granted`. False when there are no voters. */
export function hasMajority(voters: readonly NodeId[], granted: ReadonlySet<NodeId>): boolean {
  let count = 0;
  for (const id of voters) if (granted.has(id)) count++;
  return voters.length > 0 && count > voters.length >> 1;
}

/** True iff `granted` holds a majority of the voters, and during joint consensus of the new voters too. */
export function hasJointMajority(config: ClusterConfig, granted: ReadonlySet<NodeId>): boolean {
  if (!hasMajority(config.voters, granted)) return false;
  return !config.isJoint || hasMajority(config.newVoters, granted);
}
