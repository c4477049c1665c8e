/**
 * Membership through the REST API on five Bun node processes (three founders, two spares), under
 * a steady write load: grow 3 → 5 (one learner promoted automatically once caught up, one kept a
 * learner and promoted explicitly), transfer leadership, remove the leader, shrink back to 3, and
 * refuse a removal that would leave no reachable quorum — reading back every acknowledged write.
 */
import { afterAll, describe, expect } from "bun:test";
import { type AckedWrites, expectValue, keyUrl } from "../helpers/cluster_kv.ts";
import { describeAnswer, httpJson, type JsonAnswer } from "../helpers/http_json.ts";
import { type ClusterNode, ProcessCluster } from "../helpers/process_cluster.ts";
import { waitFor } from "../helpers/wait_for.ts";
import { clusterIt, STOP_TIMEOUT_MS } from "./cluster_scenarios.ts";

const CHANGE_TIMEOUT_MS = 30_000;
/** Writes the background load makes at most (it stops earlier when the test ends). */
const MAX_LOAD_WRITES = 5000;
/** Concurrent writers of the load. */
const WRITERS = 3;
/** How long a writer waits after a refused write (no leader, a transfer under way). */
const RETRY_PAUSE_MS = 25;

interface MemberRow {
  id: string;
  url: string | null;
  role: string;
  leader: boolean;
  matchIndex: number | null;
  lag: number | null;
  reachable: boolean | null;
  promotionPending: boolean;
}

/** Keeps writing keys through `nodes` (round robin) until stopped; records every acknowledged write. */
class WriteLoad {
  readonly acked: AckedWrites = new Map();
  #stopped = false;
  #done: Promise<void> = Promise.resolve();
  refused = 0;
  /** Refusals by status and error code. */
  readonly codes = new Map<string, number>();

  /** Starts `WRITERS` writers; each writes through the nodes `nodes()` names, round robin. */
  start(nodes: () => readonly ClusterNode[]): void {
    this.#done = Promise.all(Array.from({ length: WRITERS }, (_, w) => this.#writer(w, nodes))).then(() => {});
  }

  async #writer(w: number, nodes: () => readonly ClusterNode[]): Promise<void> {
    for (let i = w; i < MAX_LOAD_WRITES && !this.#stopped; i += WRITERS) {
      const list = nodes();
      const node = list[i % list.length];
      const key = `load/${i}`;
      const answer = await httpJson("PUT", keyUrl(node, key), { body: { value: `v${i}` }, timeoutMs: 10_000 }).catch(
        () => undefined,
      );
      if (answer?.status === 200) this.acked.set(key, { value: `v${i}`, index: answer.body.index as number });
      else {
        this.refused++;
        const code = answer === undefined ? "no answer" : `${answer.status} ${answer.body?.error?.code}`;
        this.codes.set(code, (this.codes.get(code) ?? 0) + 1);
        await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS)); // As a client backs off.
      }
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#done;
  }
}

async function api(method: string, node: ClusterNode, path: string, body?: unknown): Promise<JsonAnswer> {
  return await httpJson(method, `${node.url}${path}`, { body, timeoutMs: CHANGE_TIMEOUT_MS });
}

async function members(node: ClusterNode): Promise<MemberRow[]> {
  const answer = await api("GET", node, "/v1/cluster/members");
  if (answer.status !== 200) throw new Error(`GET members on ${node.id}: ${describeAnswer(answer)}`);
  return answer.body.members as MemberRow[];
}

function roles(rows: readonly MemberRow[]): Record<string, string> {
  return Object.fromEntries(rows.map((m) => [m.id, m.role]));
}

describe("membership through the REST API on five Bun node processes", () => {
  const cluster = new ProcessCluster({
    runtimes: ["bun", "bun", "bun", "bun", "bun"],
    voters: 3,
    snapshotEvery: 40, // The leader compacts often, so the new members catch up by snapshot.
  });
  const load = new WriteLoad();
  afterAll(async () => {
    await load.stop();
    await cluster.stop();
  }, STOP_TIMEOUT_MS + CHANGE_TIMEOUT_MS);

  clusterIt(
    cluster,
    "grow 3 → 5 under load, transfer, remove the leader, shrink to 3, refuse an unsafe removal",
    async () => {
      await cluster.start();
      await cluster.bootstrap();
      const [n1, n2, n3, n4, n5] = cluster.nodes;
      await cluster.waitForLeader([n1, n2, n3]);
      let writeTargets: ClusterNode[] = [n1, n2, n3];
      load.start(() => writeTargets);

      // n4 joins through a follower (the request is forwarded) and is promoted once caught up.
      const follower = (await members(n1)).find((m) => !m.leader && m.role === "voter") as MemberRow;
      const added = await api("POST", cluster.node(follower.id), "/v1/cluster/members", { id: n4.id, url: n4.url });
      expect(added.status).toBe(201);
      const again = await api("POST", n1, "/v1/cluster/members", { id: n4.id, url: n4.url });
      expect(again.status).toBe(200); // The same id and URL: nothing to do.
      expect(again.body.changed).toBe(false);
      const conflict = await api("POST", n1, "/v1/cluster/members", { id: n4.id, url: n5.url });
      expect([conflict.status, conflict.body.error?.code]).toEqual([409, "member_conflict"]);
      await waitFor(async () => roles(await members(n1)).n4 === "voter" || undefined, {
        what: "n4 to be promoted to voter once caught up",
        timeoutMs: CHANGE_TIMEOUT_MS,
      });

      // n5 joins as a learner that stays one, then is promoted explicitly.
      expect((await api("POST", n2, "/v1/cluster/members", { id: n5.id, url: n5.url, learner: true })).status).toBe(
        201,
      );
      // Caught up: it acknowledged entries (a learner that acknowledged none is never promoted) and lags little.
      const caughtUp = (m: { matchIndex: number | null; lag: number | null } | undefined) =>
        m !== undefined && (m.matchIndex ?? 0) > 0 && (m.lag ?? 1e9) < 50;
      await waitFor(async () => caughtUp((await members(n1)).find((m) => m.id === "n5")) || undefined, {
        what: "n5 to catch up",
        timeoutMs: CHANGE_TIMEOUT_MS,
      });
      expect(roles(await members(n1)).n5).toBe("learner");
      const promoted = await api("POST", n3, "/v1/cluster/members/n5/promote");
      expect(promoted.status).toBe(200);
      expect(roles(promoted.body.members)).toEqual({ n1: "voter", n2: "voter", n3: "voter", n4: "voter", n5: "voter" });
      writeTargets = [n1, n2, n3, n4, n5];
      await cluster.waitForLeader([n1, n2, n3, n4, n5]);

      // Transfer leadership to n4, then remove n4 (the leader) through itself.
      const moved = await api("POST", n2, "/v1/cluster/leader", { to: "n4" });
      expect(moved.status).toBe(200);
      expect(moved.body.leader).toEqual({ id: "n4", url: n4.url });
      expect((await cluster.waitForLeader([n1, n2, n3, n4, n5])).id).toBe("n4");
      writeTargets = [n1, n2, n3, n5];
      const removedLeader = await api("DELETE", n4, "/v1/cluster/members/n4");
      expect(removedLeader.status).toBe(200);
      expect(removedLeader.body.members.map((m: MemberRow) => m.id)).toEqual(["n1", "n2", "n3", "n5"]);
      const next = await cluster.waitForLeader([n1, n2, n3, n5]);
      expect(next.id).not.toBe("n4");

      // Shrink back to the founders.
      writeTargets = [n1, n2, n3];
      const removed = await api("DELETE", n1, "/v1/cluster/members/n5");
      expect(removed.status).toBe(200);
      expect(roles(removed.body.members)).toEqual({ n1: "voter", n2: "voter", n3: "voter" });
      await load.stop();
      const leader = await cluster.waitForLeader([n1, n2, n3]);

      // Every acknowledged write is there, through every remaining member.
      console.log(
        `membership under load: ${load.acked.size} writes acknowledged, ${load.refused} refused or unknown (${[...load.codes].map(([c, n]) => `${c}: ${n}`).join(", ")})`,
      );
      expect(load.acked.size).toBeGreaterThan(0);
      for (const node of [n1, n2, n3]) {
        for (const [key, write] of load.acked) await expectValue(node, key, write.value);
      }

      // With one of the three down, removing another would leave one reachable voter of two: refused.
      const down = [n1, n2, n3].find((n) => n !== leader) as ClusterNode;
      const other = [n1, n2, n3].find((n) => n !== leader && n !== down) as ClusterNode;
      await cluster.kill(down);
      await waitFor(
        async () => (await members(leader)).find((m) => m.id === down.id)?.reachable === false || undefined,
        {
          what: `the leader to see ${down.id} unreachable`,
          timeoutMs: CHANGE_TIMEOUT_MS,
        },
      );
      const unsafe = await api("DELETE", leader, `/v1/cluster/members/${other.id}`);
      expect([unsafe.status, unsafe.body.error?.code]).toEqual([409, "quorum_at_risk"]);
      expect(unsafe.body.error.definite).toBe(true);
      expect(roles(await members(leader))).toEqual({ n1: "voter", n2: "voter", n3: "voter" });
    },
  );
});
