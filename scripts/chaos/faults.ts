/**
 * The fault registry: one definition per name of {@link FAULT_NAMES}. A fault starts (kills,
 * pauses, cuts links, changes membership) and returns how to heal it; the schedule holds it for a
 * while, then heals it. To add a fault, add its name to `fault_names.ts` and its definition to
 * {@link FAULTS}: its `start` gets the {@link FaultContext}, with the cluster's processes (pids, data
 * directories, kill, restart, storage faults). The storage faults live in `storage_faults.ts`.
 */

import { delay } from "../../tests/helpers/wait_for.ts";
import type { Prng } from "../../tests/sim/prng.ts";
import type { ChaosCluster, Link } from "./cluster.ts";
import type { FaultName } from "./fault_names.ts";
import { adminRequest, ensureVoter, removeVoter, someUpVoter } from "./membership.ts";
import type { RelayMode } from "./relay.ts";
import { STORAGE_FAULTS } from "./storage_faults.ts";

/** What a fault may use. */
export interface FaultContext {
  readonly cluster: ChaosCluster;
  /** The schedule's seeded generator: every choice of a fault comes from it. */
  readonly random: Prng;
  /** The nodes' base election timeout. */
  readonly electionTimeoutMs: number;
}

/** A fault in force. */
export interface ActiveFault {
  /** The nodes it hit. */
  readonly nodes: readonly string[];
  /** What exactly it did, for the fault log. */
  readonly detail: string;
  /** Undoes it (restart, resume, heal links, re-add); safe to call once whatever happened meanwhile. */
  heal(): Promise<string>;
}

/** One fault of the registry. */
export interface FaultDefinition {
  /** One line for the usage and the README. */
  readonly description: string;
  /** True for faults that act at once and need no hold (a leadership transfer). */
  readonly instant?: boolean;
  /** Starts the fault; `undefined` when it cannot run now (say, no leader to target). */
  start(ctx: FaultContext): Promise<ActiveFault | undefined>;
}

/** A fault that needs no healing. */
function done(nodes: readonly string[], detail: string): ActiveFault {
  return { nodes, detail, heal: async () => "nothing to heal" };
}

/** The current leader, or a random up voter when none is known (a fault must hit someone). */
async function leaderOrAny(ctx: FaultContext): Promise<string | undefined> {
  return (await ctx.cluster.leader()) ?? someUpVoter(ctx.cluster, ctx.random);
}

/** Kills `ids` (kill -9); healing restarts them on their data. */
async function killNodes(ctx: FaultContext, ids: readonly string[]): Promise<ActiveFault | undefined> {
  const victims = ids.filter((id) => ctx.cluster.node(id).running);
  if (victims.length === 0) return undefined;
  for (const id of victims) await ctx.cluster.kill(id);
  return {
    nodes: victims,
    detail: `kill -9 ${victims.join(" ")}`,
    heal: async () => {
      for (const id of victims) await ctx.cluster.restart(id);
      return `restarted ${victims.join(" ")}`;
    },
  };
}

/** Pauses `id` (SIGSTOP); healing resumes it (SIGCONT). */
function pauseNode(ctx: FaultContext, id: string | undefined): ActiveFault | undefined {
  if (id === undefined || !ctx.cluster.isUp(id)) return undefined;
  ctx.cluster.pause(id);
  return {
    nodes: [id],
    detail: `SIGSTOP ${id}`,
    heal: async () => {
      ctx.cluster.resume(id);
      return `SIGCONT ${id}`;
    },
  };
}

/** A cut's mode: a stall (iptables DROP) or, one time in three, resets. */
function cutMode(random: Prng): RelayMode {
  return random.chance(1 / 3) ? { kind: "reset" } : { kind: "stall" };
}

/** Both directions of every link between a node of `a` and a node of `b`. */
function linksBetween(a: readonly string[], b: readonly string[]): Link[] {
  return a.flatMap((x) =>
    b.flatMap((y) => [
      { from: x, to: y },
      { from: y, to: x },
    ]),
  );
}

/** Every link of one random node (both directions), or half the time every link of the cluster. */
function oneNodeOrEveryLink(ctx: FaultContext): { readonly links: Link[]; readonly what: string } {
  const all = ctx.random.chance(0.5);
  const id = ctx.random.pick(ctx.cluster.ids);
  if (all) return { links: ctx.cluster.allLinks(), what: "every link" };
  const others = ctx.cluster.ids.filter((x) => x !== id);
  return { links: linksBetween([id], others), what: `links of ${id}` };
}

/** Sets `mode` on `links`; healing sets every relay back to pass. */
function degrade(ctx: FaultContext, links: readonly Link[], mode: RelayMode, what: string): ActiveFault {
  for (const link of links) ctx.cluster.setLink(link, mode);
  const nodes = [...new Set(links.flatMap((l) => [l.from, l.to]))].sort();
  const detail = `${what} (${mode.kind}${modeDetail(mode)}): ${links.map((l) => `${l.from}->${l.to}`).join(" ")}`;
  return {
    nodes,
    detail,
    heal: async () => {
      ctx.cluster.healLinks();
      return "every link passes";
    },
  };
}

function modeDetail(mode: RelayMode): string {
  if (mode.kind === "slow") return ` ${mode.delayMs} ms`;
  if (mode.kind === "flaky") return ` p=${mode.probability}`;
  return "";
}

/** A seeded shuffle of `items`. */
function shuffled<T>(random: Prng, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * A ring: node i keeps its links to its neighbours i±1 only, so each sees a majority (with 5 nodes)
 * but no two see the same one. With 3 nodes every pair is neighbours, so it cuts one pair instead
 * and the third node bridges the two halves.
 */
function ringCuts(random: Prng, ids: readonly string[]): Link[] {
  const order = shuffled(random, ids);
  if (order.length <= 3) return linksBetween([order[0]], [order[2]]);
  const n = order.length;
  const cut: Link[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const distance = Math.min(j - i, n - (j - i));
      if (distance > 1) cut.push(...linksBetween([order[i]], [order[j]]));
    }
  }
  return cut;
}

/** Every fault the run knows, by name. */
export const FAULTS: Record<FaultName, FaultDefinition> = {
  "kill-leader": {
    description: "kill -9 the leader; restart it on its data when healed",
    start: async (ctx) => {
      const id = await leaderOrAny(ctx);
      return id === undefined ? undefined : killNodes(ctx, [id]);
    },
  },
  "kill-random": {
    description: "kill -9 a random voter; restart it when healed",
    start: async (ctx) => {
      const id = someUpVoter(ctx.cluster, ctx.random);
      return id === undefined ? undefined : killNodes(ctx, [id]);
    },
  },
  "kill-all": {
    description: "kill -9 every node; restart them all when healed",
    start: (ctx) => killNodes(ctx, ctx.cluster.ids),
  },
  "pause-leader": {
    description: "SIGSTOP the leader for longer than an election timeout, then SIGCONT",
    start: async (ctx) => pauseNode(ctx, await leaderOrAny(ctx)),
  },
  "pause-random": {
    description: "SIGSTOP a random voter for longer than an election timeout, then SIGCONT",
    start: async (ctx) => pauseNode(ctx, someUpVoter(ctx.cluster, ctx.random)),
  },
  "partition-leader": {
    description: "cut every link to and from the leader (stall or reset)",
    start: async (ctx) => {
      const id = await leaderOrAny(ctx);
      if (id === undefined) return undefined;
      const others = ctx.cluster.ids.filter((x) => x !== id);
      return degrade(ctx, linksBetween([id], others), cutMode(ctx.random), `isolate ${id}`);
    },
  },
  "partition-halves": {
    description: "split the nodes into a random majority and minority",
    start: async (ctx) => {
      const order = shuffled(ctx.random, ctx.cluster.ids);
      const minority = order.slice(0, Math.floor(order.length / 2)).sort();
      const majority = order.slice(minority.length).sort();
      const what = `{${minority.join(" ")}} | {${majority.join(" ")}}`;
      return degrade(ctx, linksBetween(minority, majority), cutMode(ctx.random), what);
    },
  },
  "partition-one-way": {
    description: "cut only one side's dials: a node cannot send to the others (or cannot hear them)",
    start: async (ctx) => {
      const id = ctx.random.chance(0.5) ? await leaderOrAny(ctx) : ctx.random.pick(ctx.cluster.ids);
      if (id === undefined) return undefined;
      const others = ctx.cluster.ids.filter((x) => x !== id);
      const outbound = ctx.random.chance(0.5);
      const links = others.map((o) => (outbound ? { from: id, to: o } : { from: o, to: id }));
      const what = outbound ? `${id} cannot send` : `${id} cannot hear`;
      return degrade(ctx, links, cutMode(ctx.random), what);
    },
  },
  "partition-ring": {
    description: "each node keeps only its ring neighbours (with 3 nodes: one pair cut, a bridge)",
    start: async (ctx) => degrade(ctx, ringCuts(ctx.random, ctx.cluster.ids), cutMode(ctx.random), "ring"),
  },
  "slow-links": {
    description: "delay every chunk on every link of a random node, or of all nodes",
    start: async (ctx) => {
      const mode: RelayMode = { kind: "slow", delayMs: ctx.random.int(20, 250) };
      const { links, what } = oneNodeOrEveryLink(ctx);
      return degrade(ctx, links, mode, what);
    },
  },
  "flaky-links": {
    description: "randomly stall or reset connections on every link of a random node, or of all nodes",
    start: async (ctx) => {
      const mode: RelayMode = { kind: "flaky", probability: ctx.random.rate(0.05, 0.3) };
      const { links, what } = oneNodeOrEveryLink(ctx);
      return degrade(ctx, links, mode, what);
    },
  },
  "member-replace": {
    description: "remove a random voter (the leader too), then add it back from empty storage and promote it",
    start: async (ctx) => {
      const id = someUpVoter(ctx.cluster, ctx.random);
      if (id === undefined || ctx.cluster.voters.size < ctx.cluster.ids.length) return undefined;
      const removal = await removeVoter(ctx.cluster, ctx.random, id);
      const removed = removal.includes(": 200");
      if (removed) {
        ctx.cluster.voters.delete(id);
        await ctx.cluster.kill(id);
      }
      const explicitPromote = ctx.random.chance(0.5);
      return {
        nodes: [id],
        detail: `${removal}${removed ? `; killed ${id}` : ""}`,
        heal: async () =>
          (await ensureVoter(ctx.cluster, ctx.random, id, explicitPromote)).join("; ") || "still a voter",
      };
    },
  },
  "transfer-leader": {
    description: "hand leadership to a random voter (or the most caught-up one)",
    instant: true,
    start: async (ctx) => {
      const via = someUpVoter(ctx.cluster, ctx.random);
      if (via === undefined) return undefined;
      const to = ctx.random.chance(0.7) ? someUpVoter(ctx.cluster, ctx.random) : undefined;
      const answer = await adminRequest(ctx.cluster, via, "POST", "/v1/cluster/leader", to === undefined ? {} : { to });
      const result =
        answer === undefined
          ? "no answer"
          : `${answer.status} ${answer.body?.error?.code ?? answer.body?.leader?.id ?? ""}`;
      await delay(ctx.electionTimeoutMs); // Let the transfer settle before the next fault.
      return done(to === undefined ? [] : [to], `transfer to ${to ?? "(most caught-up)"} via ${via}: ${result}`);
    },
  },
  ...STORAGE_FAULTS,
};
