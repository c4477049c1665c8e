/**
 * Storage corruption end to end, on a stopped follower's files. A torn tail (the last record cut
 * short) is cut off at the next start without any flag, and the node catches up. A record corrupt
 * in the middle of the log makes the node refuse to start with a message naming the file, the
 * offset and the way out; the documented repair (remove the member, empty its data directory,
 * start it with --join) brings it back as a voter, and the cluster keeps every acknowledged write,
 * on every node.
 */
import { afterAll, describe, expect } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type AckedWrites,
  expectAllReadable,
  expectAllStaleAfterApply,
  writeThroughEach,
} from "../helpers/cluster_kv.ts";
import { httpJson } from "../helpers/http_json.ts";
import { type ClusterNode, ProcessCluster } from "../helpers/process_cluster.ts";
import { clusterIt, STOP_TIMEOUT_MS, startAndBootstrap } from "./cluster_scenarios.ts";

const cluster = new ProcessCluster({ runtimes: ["bun", "bun", "bun"] });

/** The newest segment file in `node`'s data directory. */
function lastSegment(node: ClusterNode): string {
  const names = readdirSync(node.dataDir)
    .filter((name) => /^segment-\d{20}\.log$/.test(name))
    .sort();
  expect(names.length).toBeGreaterThan(0);
  return join(node.dataDir, names[names.length - 1]);
}

/** A follower of `leader`, stopped cleanly (its files are complete). */
async function stoppedFollower(leader: ClusterNode): Promise<ClusterNode> {
  const follower = cluster.nodes.find((n) => n !== leader) as ClusterNode;
  expect(await follower.signal("SIGTERM")).toBe(true);
  return follower;
}

describe("storage corruption end to end", () => {
  afterAll(() => cluster.stop(), STOP_TIMEOUT_MS);

  clusterIt(
    cluster,
    "a follower whose log tail is torn restarts without flags, cuts it off and catches up",
    async () => {
      const leader = await startAndBootstrap(cluster);
      const acked: AckedWrites = new Map();
      await writeThroughEach(cluster.nodes, "before-tear", 4, acked);
      const follower = await stoppedFollower(leader);
      await writeThroughEach([leader], "while-stopped", 4, acked);
      const segment = lastSegment(follower);
      truncateSync(segment, statSync(segment).size - 3); // The last record is now incomplete.
      await cluster.restart(follower);
      expect(follower.lastStartOutput).toContain(`cut a torn write off ${segment}`);
      expect(follower.lastStartOutput).toContain("event=storage_recovered");
      expect(follower.lastStartOutput).toContain("tornTail=true");
      await cluster.waitForLeader(cluster.nodes);
      await expectAllStaleAfterApply(cluster, follower, acked);
      await expectAllReadable(follower, acked);
    },
  );

  clusterIt(
    cluster,
    "a follower whose log is corrupt in the middle refuses to start, and rejoins after the documented repair",
    async () => {
      const leader = await cluster.waitForLeader(cluster.nodes);
      const acked: AckedWrites = new Map();
      await writeThroughEach(cluster.nodes, "before-flip", 10, acked);
      const follower = await stoppedFollower(leader);
      const segment = lastSegment(follower);
      const bytes = readFileSync(segment);
      const at = Math.floor(bytes.length / 2); // Past the checkpoint, with intact records after it.
      bytes[at] ^= 0xff;
      writeFileSync(segment, bytes);

      follower.spawn(cluster.argsOf(follower));
      expect(await follower.waitExit(30_000)).toBe(1);
      const refusal = follower.lastStartOutput;
      expect(refusal).toContain(`${segment} is corrupt at byte`);
      expect(refusal).toContain("--repair true");
      expect(refusal).toContain(`DELETE /v1/cluster/members/${follower.id}`);
      expect(refusal).toContain("--join");
      await writeThroughEach([leader], "while-refused", 3, acked); // The other two serve meanwhile.

      // The documented repair: remove the member, empty its data directory, start it with --join.
      const removed = await httpJson("DELETE", `${leader.url}/v1/cluster/members/${follower.id}`);
      expect(removed.status).toBe(200);
      rmSync(follower.dataDir, { recursive: true, force: true });
      mkdirSync(follower.dataDir);
      await cluster.restart(follower, ["--join", leader.url]);
      await cluster.waitForMembers(30_000);
      await cluster.waitForLeader(cluster.nodes);
      await writeThroughEach(cluster.nodes, "after-repair", 2, acked);
      for (const node of cluster.nodes) await expectAllStaleAfterApply(cluster, node, acked);
      for (const node of cluster.nodes) await expectAllReadable(node, acked);
    },
  );
});
