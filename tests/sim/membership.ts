/**
 * Random membership changes for the simulation: add or remove voters through joint consensus,
 * add, remove and promote learners, and remove the leader itself.
 */
import type { ClusterConfig, NodeId } from "../../packages/core/src/mod.ts";
import type { Prng } from "./prng.ts";
import { simAddress } from "./sim_transport.ts";

/** A planned change: its name (for the trace), the configuration to propose, and the node it adds. */
export interface ConfigChange {
  readonly kind: string;
  readonly config: ClusterConfig;
  readonly adds?: NodeId;
}

/** The fewest voters a change may leave. */
const MIN_VOTERS = 1;

function without(ids: readonly NodeId[], id: NodeId): NodeId[] {
  return ids.filter((x) => x !== id);
}

/** Every change that `current` allows, given the id pool and the leader proposing it. */
function candidates(current: ClusterConfig, leader: NodeId, pool: readonly NodeId[], rng: Prng): ConfigChange[] {
  const outsiders = pool.filter((id) => !current.contains(id));
  const changes: ConfigChange[] = [];
  const canShrink = current.voters.length > MIN_VOTERS;
  if (outsiders.length > 0) {
    const x = rng.pick(outsiders);
    const addresses = { [x]: simAddress(x) };
    changes.push({ kind: `add voter ${x}`, config: current.toJointConsensus([x], [], addresses), adds: x });
    const learners = current.with({ nonVoters: [...current.nonVoters, x], addresses });
    changes.push({ kind: `add learner ${x}`, config: learners, adds: x });
    const y = rng.pick(current.voters);
    changes.push({
      kind: `replace voter ${y} by ${x}`,
      config: current.toJointConsensus([x], [y], addresses),
      adds: x,
    });
  }
  if (canShrink) {
    const y = rng.pick(current.voters);
    changes.push({ kind: `remove voter ${y}`, config: current.toJointConsensus([], [y]) });
    if (current.voters.includes(leader)) {
      changes.push({ kind: `remove leader ${leader}`, config: current.toJointConsensus([], [leader]) });
    }
  }
  if (current.nonVoters.length > 0) {
    const z = rng.pick(current.nonVoters);
    changes.push({ kind: `remove learner ${z}`, config: current.with({ nonVoters: without(current.nonVoters, z) }) });
    const promoted = current.toJointConsensus([z], []).with({ nonVoters: without(current.nonVoters, z) });
    changes.push({ kind: `promote learner ${z}`, config: promoted });
  }
  return changes;
}

/**
 * A random change to propose on `leader`, whose latest configuration is `current`; `pool` lists
 * every node id of the simulation. Undefined if no change applies.
 */
export function planConfigChange(
  current: ClusterConfig,
  leader: NodeId,
  pool: readonly NodeId[],
  rng: Prng,
): ConfigChange | undefined {
  const changes = candidates(current, leader, pool, rng);
  return changes.length === 0 ? undefined : rng.pick(changes);
}
