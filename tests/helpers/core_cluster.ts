/**
 * Small conveniences over {@link InMemoryCluster} for core tests that need a running cluster but
 * also want to hold, drop or hand-deliver particular messages.
 */
import { expect } from "bun:test";
import type { Message, RaftNodeOptions } from "../../packages/core/src/mod.ts";
import { ids } from "./core_harness.ts";
import { InMemoryCluster } from "./in_memory_cluster.ts";

/** Bootstraps `names` on the first node and runs the cluster until it is quiet; the first node leads. */
export function bootstrapped(names: string[], options: RaftNodeOptions = {}): InMemoryCluster {
  const c = new InMemoryCluster(names, options);
  expect(c.node(names[0]).createCluster(ids(...names)).ok).toBe(true);
  c.run();
  expect(c.node(names[0]).role).toBe("leader");
  return c;
}

/**
 * Delivers every message queued now (not those it causes), draining each receiver. Messages to
 * isolated or unknown nodes, or from isolated ones, are dropped.
 */
export function deliverQueued(c: InMemoryCluster): void {
  for (const e of c.queue.splice(0)) {
    if (c.isolated.has(e.to) || c.isolated.has(e.from)) continue;
    const target = c.nodes.get(e.to);
    if (target === undefined) continue;
    target.handleMessage(e.message);
    c.drain(target);
  }
}

/** Removes and returns the queued messages addressed to `to`. */
export function takeQueued(c: InMemoryCluster, to: string): Message[] {
  const taken = c.queue.filter((e) => e.to === to).map((e) => e.message);
  c.queue.splice(0, c.queue.length, ...c.queue.filter((e) => e.to !== to));
  return taken;
}
