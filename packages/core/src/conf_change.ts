/**
 * The rules of membership changes (etcd's confchange): which configuration may follow which, and
 * the final configuration that ends joint consensus.
 */
import { ClusterConfig } from "./config.ts";

/**
 * Why `next` may not follow `current`, or null if it may: the voters must be the same, no node may
 * be both voter and learner, and a joint configuration must leave at least one voter.
 */
export function configChangeProblem(current: ClusterConfig, next: ClusterConfig): string | null {
  if (next.voters.length !== current.voters.length || next.voters.some((id, i) => id !== current.voters[i])) {
    return `the proposed voters [${next.voters.join(", ")}] are not the current voters [${current.voters.join(", ")}]`;
  }
  const both = next.nonVoters.filter((id) => next.isVoter(id));
  if (both.length > 0) return `${both.join(", ")} would be both a voter and a learner`;
  // A plain learner change keeps the voters; a joint change must leave C_new non-empty.
  if (next.isJoint && next.newVoters.length === 0) return "the new configuration would have no voters";
  return null;
}

/** The configuration that ends the joint configuration `joint`: C_new, with its learners and addresses. */
export function finalConfigOf(joint: ClusterConfig): ClusterConfig {
  return new ClusterConfig({ voters: joint.newVoters, nonVoters: joint.nonVoters, addresses: joint.addresses });
}
