/**
 * The chaos actions of the simulation: crashes (any node, the leader, or every node at once),
 * partitions (random split, one node isolated, the leader isolated) and heals, membership
 * changes (a spare being added may first be seeded with the leader's snapshot), and flaky nodes
 * (one loses most of its messages for a while).
 */
import type { NodeId } from "../../packages/core/src/mod.ts";
import type { Cluster } from "./cluster.ts";
import { planConfigChange } from "./membership.ts";
import type { Network } from "./network.ts";
import type { ChaosWeights, SimOptions } from "./options.ts";
import type { Prng } from "./prng.ts";
import type { SimNode } from "./sim_node.ts";

/** Counters for the run summary. */
export interface ChaosStats {
  crashes: number;
  wholeClusterCrashes: number;
  partitions: number;
  configChanges: number;
  seeded: number;
  /** Times a node turned flaky. */
  flaky: number;
}

/** What a chaos action may touch. */
export interface ChaosContext {
  readonly options: SimOptions;
  readonly rng: Prng;
  readonly cluster: Cluster;
  readonly network: Network;
  readonly stats: ChaosStats;
  /** Crashes `node` (it answers nobody) and schedules its restart after `downtime` ticks. */
  crash(node: SimNode, downtime: number): void;
  /** Delivers `from`'s latest snapshot to `to` soon, as an operator seeding a new member would. */
  seed(from: SimNode, to: SimNode): boolean;
  /** Schedules the end of the current partition. */
  scheduleHeal(delay: number): void;
  /** Schedules the end of `id`'s flaky episode. */
  scheduleSteady(id: NodeId, delay: number): void;
  /** Marks a node as having processed input this step (it is checked afterwards). */
  touched(node: SimNode): void;
  trace(line: string): void;
}

type ChaosKind = keyof ChaosWeights;

const KINDS: readonly ChaosKind[] = [
  "crash",
  "crashAll",
  "crashLeader",
  "partition",
  "isolateLeader",
  "heal",
  "membership",
  "flaky",
];

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
    case "crashAll":
      crashAll(ctx);
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
    case "flaky":
      makeFlaky(ctx);
      break;
    case undefined:
      break;
  }
}

function crash(ctx: ChaosContext, node: SimNode | undefined): void {
  if (node === undefined || !node.up) return;
  const down = ctx.cluster.nodes.filter((n) => !n.up).length;
  if (down >= Math.floor(ctx.cluster.nodes.length / 2)) return; // Keep a majority of processes alive.
  const [lo, hi] = ctx.options.downtime;
  ctx.crash(node, ctx.rng.int(lo, hi));
  ctx.stats.crashes++;
  ctx.trace(`crash ${node.id}`);
}

/** Every node crashes at once (a power cut), each restarting after its own downtime. */
function crashAll(ctx: ChaosContext): void {
  const [lo, hi] = ctx.options.downtime;
  for (const node of ctx.cluster.nodes) if (node.up) ctx.crash(node, ctx.rng.int(lo, hi));
  ctx.stats.wholeClusterCrashes++;
  ctx.trace("crash every node");
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
  if (change.adds !== undefined && ctx.rng.chance(ctx.options.seedSnapshot)) {
    const spare = ctx.cluster.get(change.adds);
    if (spare.up && spare.raft.config.isEmpty && ctx.seed(leader, spare)) {
      ctx.stats.seeded++;
      ctx.trace(`seed ${spare.id} with ${leader.id}'s snapshot`);
    }
  }
  const ok = leader.core.runtime.proposeConfig(change.config).ok;
  ctx.touched(leader);
  if (ok) ctx.stats.configChanges++;
  ctx.trace(`membership ${change.kind} on ${leader.id}: ${ok ? "proposed" : "refused"}`);
}

/**
 * A node turns flaky for a while: it loses most of what it sends and receives. At most a minority
 * of the initial voters is flaky at once; the leader may be one of them.
 */
function makeFlaky(ctx: ChaosContext): void {
  const network = ctx.network;
  if (network.flakyNodes.length >= Math.floor(ctx.options.nodes / 2)) return;
  const candidates = ctx.cluster.ids.filter((id) => !network.isFlaky(id));
  if (candidates.length === 0) return;
  const id = ctx.rng.pick(candidates);
  const loss = ctx.rng.rate(ctx.options.flakyLoss[0], ctx.options.flakyLoss[1]);
  const [lo, hi] = ctx.options.flakyTime;
  const duration = ctx.rng.int(lo, hi);
  network.setFlaky(id, loss);
  ctx.scheduleSteady(id, duration);
  ctx.stats.flaky++;
  ctx.trace(`flaky ${id}: loses ${loss} of its messages for ${duration} ticks`);
}
