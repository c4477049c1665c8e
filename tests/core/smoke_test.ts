import { describe, expect, it } from "bun:test";
import { InMemoryCluster } from "../helpers/in_memory_cluster.ts";

describe("RaftNode smoke", () => {
  it("elects a leader in a 3-node cluster and commits commands", () => {
    const c = new InMemoryCluster(["n0", "n1", "n2"]);
    const r = c.node("n0").createCluster(c.node("n0").peers.length === 0 ? (["n0", "n1", "n2"] as never) : []);
    expect(r.ok).toBe(true);
    c.run();
    const leader = c.leader();
    expect(leader?.id as string | undefined).toBe("n0");
    const p = leader?.proposeCommand("hello");
    expect(p?.ok).toBe(true);
    c.run();
    if (p?.ok) {
      for (const node of c.nodes.values()) {
        leader?.heartbeat();
        c.run();
        expect(node.getCommitStatus(p.position)).toBe("committed");
      }
    }
  });
});
