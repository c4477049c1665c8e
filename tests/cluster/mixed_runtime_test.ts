/**
 * A cluster of two Bun node processes and one Deno node process: the failover scenario across
 * runtimes. The Deno node is n1, which receives the bootstrap call and so usually leads first.
 */
import { expect } from "bun:test";
import { expectAllStaleAfterApply } from "../helpers/cluster_kv.ts";
import { clusterIt, describeFailover } from "./cluster_scenarios.ts";

describeFailover(
  "two Bun node processes and one Deno node process",
  { runtimes: ["deno", "bun", "bun"] },
  (cluster, acked) => {
    clusterIt(cluster, "the Deno node reports runtime deno and serves stale reads of every key", async () => {
      const deno = cluster.node("n1");
      const status = await deno.status();
      expect(status.runtime.name).toBe("deno");
      expect(status.runtime.version).toMatch(/^\d+\.\d+\.\d+/);
      for (const node of cluster.nodes.slice(1)) expect((await node.status()).runtime.name).toBe("bun");
      await expectAllStaleAfterApply(cluster, deno, acked);
    });
  },
);
