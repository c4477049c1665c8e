/**
 * A cluster of two Bun node processes and one Deno node process: the failover scenario across
 * runtimes, and a snapshot streamed from a Bun leader to the Deno node. The Deno node is n1, which
 * receives the bootstrap call and so usually leads first (and is the node killed as leader).
 */
import { expect } from "bun:test";
import { expectAllStaleAfterApply } from "../helpers/cluster_kv.ts";
import type { ClusterNode, ProcessCluster } from "../helpers/process_cluster.ts";
import { checkSnapshotCatchUp, clusterIt, describeFailover, expectReadableThrough } from "./cluster_scenarios.ts";

/** Makes sure `node` is a follower (killing and restarting it if it leads); resolves with the leader. */
async function demote(cluster: ProcessCluster, node: ClusterNode): Promise<ClusterNode> {
  if ((await cluster.waitForLeader(cluster.nodes)) === node) {
    await cluster.kill(node);
    await cluster.waitForLeader(cluster.running);
    await cluster.restart(node);
  }
  return await cluster.waitForLeader(cluster.nodes);
}

describeFailover(
  "two Bun node processes and one Deno node process",
  { runtimes: ["deno", "bun", "bun"], snapshotEvery: 20 },
  (cluster, acked) => {
    clusterIt(cluster, "the Deno node reports runtime deno and serves stale reads of every key", async () => {
      const deno = cluster.node("n1");
      const status = await deno.status();
      expect(status.runtime.name).toBe("deno");
      expect(status.runtime.version).toMatch(/^\d+\.\d+\.\d+/);
      for (const node of cluster.nodes.slice(1)) expect((await node.status()).runtime.name).toBe("bun");
      await expectAllStaleAfterApply(cluster, deno, acked);
    });

    clusterIt(cluster, "the Deno node catches up through a snapshot streamed from a Bun leader", async () => {
      const deno = cluster.node("n1");
      const leader = await demote(cluster, deno);
      expect(leader.runtime).toBe("bun");
      await checkSnapshotCatchUp(cluster, deno, acked, "deno-snap");
      await expectReadableThrough(cluster.nodes, acked);
    });
  },
);
