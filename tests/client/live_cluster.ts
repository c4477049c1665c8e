/**
 * The live cluster of the client's end-to-end tests: three Bun node processes, bootstrapped, with
 * the endpoints listed followers first, so every client has to find the leader itself.
 */
import { expect } from "bun:test";
import { RaftClient } from "../../client/src/mod.ts";
import { type ClusterNode, ProcessCluster } from "../helpers/process_cluster.ts";

/** A running cluster and how clients reach it. */
export interface LiveCluster {
  readonly cluster: ProcessCluster;
  /** The leader when the cluster started. */
  readonly leader: ClusterNode;
  /** Every node's URL, the followers first. */
  readonly endpoints: readonly string[];
  /** The admin token. */
  readonly token: string;
}

/** A 3-node Bun cluster that is not started yet (a 1 s election timeout keeps leadership steady on a loaded machine). */
export function newLiveCluster(): ProcessCluster {
  return new ProcessCluster({ runtimes: ["bun", "bun", "bun"], electionTimeoutMs: 1000, heartbeatMs: 100 });
}

/** Starts `cluster`, bootstraps it through the client and waits until every node agrees on the leader and the members. */
export async function startLiveCluster(cluster: ProcessCluster): Promise<LiveCluster> {
  await cluster.start();
  const members = cluster.nodes.map((n) => ({ id: n.id, url: n.url }));
  const first = new RaftClient({ endpoints: [cluster.nodes[0].url], token: cluster.adminToken });
  const boot = await first.bootstrap(members);
  expect(boot).toMatchObject({ ok: true, value: { members }, servedBy: "n1" });
  const leader = await cluster.waitForLeader();
  await cluster.waitForMembers();
  const followers = cluster.nodes.filter((n) => n.id !== leader.id);
  expect(followers.length).toBe(2);
  return { cluster, leader, endpoints: [...followers.map((n) => n.url), leader.url], token: cluster.adminToken };
}

/**
 * Checks that `servedBy` is the leader: the one of the start or, if leadership moved meanwhile
 * (a busy machine may delay heartbeats), the one now.
 */
export async function expectLeader(live: LiveCluster, servedBy: unknown): Promise<void> {
  if (servedBy === live.leader.id) return;
  const now = await live.cluster.waitForLeader();
  expect(servedBy).toBe(now.id);
}
