/**
 * The storage faults of the fault run, through the nodes' storage fault hook (README, "Storage
 * fault test hook"): the run starts every node with a control directory of its own when one of
 * these is selected, and toggles a fault by creating or removing a control file.
 *
 * - `power-loss`: kill -9 with unflushed writes lost; sometimes with a torn write on disk.
 * - `disk-full`: writes fail with ENOSPC; the node answers 503 `storage_unavailable` and reopens its
 *   storage (with backoff) once space is back.
 * - `disk-stall`: the leader's writes and flushes block; storage calls are synchronous, so the
 *   whole process stops (no heartbeats, no answers) until the stall ends.
 */

import type { StorageFault } from "../../tests/helpers/storage_fault_control.ts";
import { delay } from "../../tests/helpers/wait_for.ts";
import type { ChaosCluster } from "./cluster.ts";
import type { FaultName } from "./fault_names.ts";
import type { ActiveFault, FaultContext, FaultDefinition } from "./faults.ts";
import { someUpVoter } from "./membership.ts";

/** How long a torn power loss waits for the node's flush to hang before it kills anyway (ms). */
const TORN_STALL_WAIT_MS = 5000;
/** How long torn writes may land before a plain power loss kills (ms). */
const TORN_WINDOW_MS: readonly [number, number] = [100, 800];
/** How long a full disk's heal waits for the node to reopen its storage (ms); it goes on either way. */
const REOPEN_WAIT_MS = 15_000;
/** Polling interval of the waits above (ms). */
const POLL_MS = 50;

/** The current leader, or a random up voter when none is known. */
async function leaderOrAny(ctx: FaultContext): Promise<string | undefined> {
  return (await ctx.cluster.leader()) ?? someUpVoter(ctx.cluster, ctx.random);
}

/** The line the control helper writes into a node's output when it turns `fault` on or off. */
function markerOf(id: string, fault: StorageFault, on: boolean): string {
  return `the test turns the storage fault '${fault}' ${on ? "on" : "off"} for ${id}`;
}

/** True iff the node's current process printed `text` after the last `marker`. */
function printedSince(cluster: ChaosCluster, id: string, marker: string, text: string): boolean {
  const output = cluster.node(id).lastStartOutput;
  const at = output.lastIndexOf(marker);
  return at >= 0 && output.includes(text, at);
}

/** Polls {@link printedSince} until it holds or `ms` passed; resolves with whether it held. */
async function waitPrinted(cluster: ChaosCluster, id: string, what: [string, string], ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    if (printedSince(cluster, id, what[0], what[1])) return true;
    if (!cluster.node(id).running) return false;
    await delay(POLL_MS);
  }
  return printedSince(cluster, id, what[0], what[1]);
}

/** Restarts `ids` after a power loss; says for each whether it cut a torn write off at open. */
async function restartAfterPowerLoss(cluster: ChaosCluster, ids: readonly string[]): Promise<string> {
  const parts: string[] = [];
  for (const id of ids) {
    await cluster.restart(id);
    const torn = cluster.node(id).lastStartOutput.includes("cut a torn write off");
    parts.push(`restarted ${id}${torn ? " (cut a torn write off)" : ""}`);
  }
  return parts.join(", ");
}

/** The leader (or any up voter) tears its next write and hangs in its flush; then kill -9. */
async function tornPowerLoss(ctx: FaultContext): Promise<ActiveFault | undefined> {
  const id = await leaderOrAny(ctx);
  if (id === undefined) return undefined;
  const { cluster } = ctx;
  cluster.setStorageFault(id, "torn", true);
  cluster.setStorageFault(id, "stallFlush", true);
  const hung = await waitPrinted(cluster, id, [markerOf(id, "stallFlush", true), "stalls while"], TORN_STALL_WAIT_MS);
  await cluster.kill(id);
  cluster.clearStorageFaults(id); // The restarted process gets a healthy disk.
  const how = hung ? "its flush hung after a torn write" : `no flush hung within ${TORN_STALL_WAIT_MS} ms`;
  return {
    nodes: [id],
    detail: `torn + stall-flush on ${id}, ${how}; kill -9 ${id}`,
    heal: () => restartAfterPowerLoss(cluster, [id]),
  };
}

/** kill -9 of one up voter or of every node, sometimes with torn writes on for a moment first. */
async function plainPowerLoss(ctx: FaultContext, all: boolean): Promise<ActiveFault | undefined> {
  const { cluster, random } = ctx;
  const one = all ? undefined : someUpVoter(cluster, random);
  const victims = all ? cluster.ids.filter((id) => cluster.node(id).running) : one === undefined ? [] : [one];
  if (victims.length === 0) return undefined;
  const torn = random.chance(0.5);
  if (torn) {
    for (const id of victims) cluster.setStorageFault(id, "torn", true);
    await delay(random.int(TORN_WINDOW_MS[0], TORN_WINDOW_MS[1]));
  }
  for (const id of victims) await cluster.kill(id);
  for (const id of victims) cluster.clearStorageFaults(id);
  return {
    nodes: victims,
    detail: `${torn ? "torn on, then " : ""}kill -9 ${victims.join(" ")} (unflushed writes lost)`,
    heal: () => restartAfterPowerLoss(cluster, victims),
  };
}

/** A full disk on `id` until healed; the heal waits (bounded) for the node to reopen its storage. */
function fullDisk(ctx: FaultContext, id: string): ActiveFault {
  const { cluster } = ctx;
  cluster.setStorageFault(id, "full", true);
  return {
    nodes: [id],
    detail: `disk of ${id} full (ENOSPC)`,
    heal: async () => {
      const failed = printedSince(cluster, id, markerOf(id, "full", true), "event=storage_failed");
      cluster.setStorageFault(id, "full", false);
      if (!failed) return `space back on ${id} (no write had failed)`;
      const marker = markerOf(id, "full", false);
      const reopened = await waitPrinted(cluster, id, [marker, "event=storage_reopened"], REOPEN_WAIT_MS);
      return `space back on ${id}; ${reopened ? "it reopened its storage" : `not reopened within ${REOPEN_WAIT_MS} ms`}`;
    },
  };
}

/** A stalled disk on `id` until healed. */
function stalledDisk(ctx: FaultContext, id: string): ActiveFault {
  const { cluster } = ctx;
  cluster.setStorageFault(id, "stall", true);
  return {
    nodes: [id],
    detail: `disk of ${id} stalled (writes and flushes block)`,
    heal: async () => {
      const hung = printedSince(cluster, id, markerOf(id, "stall", true), "stalls while");
      cluster.setStorageFault(id, "stall", false);
      return `disk of ${id} answers again (${hung ? "it had hung" : "no call had hung"})`;
    },
  };
}

/** The storage faults, by name (part of the registry `FAULTS`). */
export const STORAGE_FAULTS: Record<Extract<FaultName, "power-loss" | "disk-full" | "disk-stall">, FaultDefinition> = {
  "power-loss": {
    description:
      "kill -9 with unflushed writes lost: the leader with a torn write and a hung flush, one voter, or every node",
    start: async (ctx) => {
      const r = ctx.random.float();
      if (r < 0.4) return tornPowerLoss(ctx);
      return plainPowerLoss(ctx, r >= 0.7);
    },
  },
  "disk-full": {
    description: "a voter's (often the leader's) writes fail with ENOSPC; space comes back when healed",
    start: async (ctx) => {
      const id = ctx.random.chance(0.5) ? await leaderOrAny(ctx) : someUpVoter(ctx.cluster, ctx.random);
      return id === undefined ? undefined : fullDisk(ctx, id);
    },
  },
  "disk-stall": {
    description: "the leader's writes and flushes block (the process stops) for at least 2.5 election timeouts",
    start: async (ctx) => {
      const id = await leaderOrAny(ctx);
      return id === undefined ? undefined : stalledDisk(ctx, id);
    },
  },
};
