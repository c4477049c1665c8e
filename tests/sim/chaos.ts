/**
 * The chaos actions of the simulation: crashes (any node or the leader), partitions (random
 * split, one node isolated, the leader isolated) and heals, membership changes, and the client
 * that proposes commands with unique payloads to a leader.
 */
import type { NodeId } from "../../src/core/mod.ts";
import type { Cluster } from "./cluster.ts";
import { planConfigChange } from "./membership.ts";
import type { Network } from "./network.ts";
import type { ChaosWeights, SimOptions } from "./options.ts";
import type { Prng } from "./prng.ts";
import type { SimNode } from "./sim_node.ts";

/** Counters for the run summary. */
export interface ChaosStats {
  crashes: number;
  partitions: number;
  configChanges: number;
  proposals: number;
}

/** What a chaos action may touch. */
export interface ChaosContext {
  readonly options: SimOptions;
  readonly rng: Prng;
  readonly cluster: Cluster;
  readonly network: Network;
  readonly stats: ChaosStats;
  /** Schedules the restart of a crashed node. */
  scheduleRestart(node: SimNode, delay: number): void;
  /** Schedules the end of the current partition. */
  scheduleHeal(delay: number): void;
  /** Marks a node as having processed input this step (it is checked afterwards). */
  touched(node: SimNode): void;
  trace(line: string): void;
}

type ChaosKind = keyof ChaosWeights;

const KINDS: readonly ChaosKind[] = ["crash", "crashLeader", "partition", "isolateLeader", "heal", "membership"];

function pickKind(rng: Prng, weights: ChaosWeights): ChaosKind | undefined {
  const total = KINDS.reduce((sum, k) => sum + weights[k], 0);
  if (total === 0) return undefined;
  let r = rng.int(0, total - 1);
  for (const k of KINDS) {
    if (r < weights[k]) return k;
    r -= weights[k];
  }
  return undefined;
}

/** Runs one randomly chosen chaos action. */
export function runChaos(ctx: ChaosContext): void {
  switch (pickKind(ctx.rng, ctx.options.weights)) {
    case "crash":
      crash(ctx, ctx.rng.pick(ctx.cluster.nodes));
      break;
    case "crashLeader":
      crash(ctx, ctx.cluster.leader());
      break;
    case "partition":
      partition(ctx);
      break;
    case "isolateLeader":
      isolate(ctx, ctx.cluster.leader());
      break;
    case "heal":
      heal(ctx);
      break;
    case "membership":
      changeMembership(ctx);
      break;
    case undefined:
      break;
  }
}

function crash(ctx: ChaosContext, node: SimNode | undefined): void {
  if (node === undefined || !node.up) return;
  const down = ctx.cluster.nodes.filter((n) => !n.up).length;
  if (down >= Math.floor(ctx.cluster.nodes.length / 2)) return; // Keep a majority of processes alive.
  node.crash();
  ctx.stats.crashes++;
  const [lo, hi] = ctx.options.downtime;
  ctx.scheduleRestart(node, ctx.rng.int(lo, hi));
  ctx.trace(`crash ${node.id}`);
}

function partition(ctx: ChaosContext): void {
  const ids = [...ctx.cluster.ids];
  if (ctx.rng.chance(0.5)) {
    isolate(ctx, ctx.cluster.get(ctx.rng.pick(ids)));
    return;
  }
  for (let k = ids.length - 1; k > 0; k--) {
    const j = ctx.rng.int(0, k);
    [ids[k], ids[j]] = [ids[j], ids[k]];
  }
  const cut = ctx.rng.int(1, ids.length - 1);
  split(ctx, [ids.slice(0, cut)]);
}

function isolate(ctx: ChaosContext, node: SimNode | undefined): void {
  if (node !== undefined) split(ctx, [[node.id]]);
}

function split(ctx: ChaosContext, groups: readonly (readonly NodeId[])[]): void {
  ctx.network.partition(groups);
  ctx.stats.partitions++;
  const [lo, hi] = ctx.options.partitionTime;
  ctx.scheduleHeal(ctx.rng.int(lo, hi));
  ctx.trace(`partition ${groups.map((g) => `{${g.join(",")}}`).join(" ")} | rest`);
}

function heal(ctx: ChaosContext): void {
  if (!ctx.network.partitioned) return;
  ctx.network.heal();
  ctx.trace("heal partition");
}

function changeMembership(ctx: ChaosContext): void {
  const leader = ctx.cluster.leader();
  if (leader === undefined) return;
  const change = planConfigChange(leader.raft.config, leader.id, ctx.cluster.ids, ctx.rng);
  if (change === undefined) return;
  const ok = leader.proposeConfig(change.config);
  ctx.touched(leader);
  if (ok) ctx.stats.configChanges++;
  ctx.trace(`membership ${change.kind} on ${leader.id}: ${ok ? "proposed" : "refused"}`);
}

/** The client: proposes one to three commands with unique payloads to a random live leader. */
export function propose(ctx: ChaosContext, nextPayload: () => string): void {
  const leaders = ctx.cluster.leaders();
  if (leaders.length === 0) return;
  const leader = ctx.rng.pick(leaders);
  const count = ctx.rng.int(1, 3);
  for (let k = 0; k < count; k++) {
    const payload = nextPayload();
    const result = leader.raft.proposeCommand(payload);
    if (result.ok) ctx.stats.proposals++;
  }
  leader.afterInput(leader.checkedCommit);
  ctx.touched(leader);
  ctx.trace(`propose ${count} on ${leader.id}`);
}
