/**
 * Honest outcomes under failover: writes go through followers (which forward them to the leader)
 * while the leader is killed again and again. Afterwards no write that was answered
 * `definite: true` (it certainly never takes effect) is visible anywhere, and every acknowledged
 * write is.
 */
import { afterAll, describe, expect } from "bun:test";
import { expectValue, keyUrl } from "../helpers/cluster_kv.ts";
import { describeAnswer, httpJson } from "../helpers/http_json.ts";
import { type ClusterNode, ProcessCluster } from "../helpers/process_cluster.ts";
import { waitFor } from "../helpers/wait_for.ts";
import { clusterIt, STOP_TIMEOUT_MS } from "./cluster_scenarios.ts";

const KILLS = 5;
const WRITERS = 6;

/** What the client learned about one write. */
type Outcome = { kind: "acked"; value: string } | { kind: "definite"; code: string } | { kind: "unknown" };

/** Writers that send each write to a follower of the leader they last saw, recording every outcome. */
class FollowerWriters {
  readonly outcomes = new Map<string, Outcome>();
  #leader: string | null = null;
  #next = 0;
  #stopped = false;
  readonly #done: Promise<void>;

  constructor(cluster: ProcessCluster) {
    const loop = async () => {
      while (!this.#stopped && this.#next < 20_000) await this.#write(cluster, `fw/${this.#next++}`);
    };
    this.#done = Promise.all(Array.from({ length: WRITERS }, loop)).then(() => undefined);
  }

  /** Tells the writers who leads now (they write through the other running nodes). */
  set leader(id: string) {
    this.#leader = id;
  }

  /** How many writes were acknowledged. */
  get acked(): number {
    return [...this.outcomes.values()].filter((o) => o.kind === "acked").length;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#done;
  }

  async #write(cluster: ProcessCluster, key: string): Promise<void> {
    const followers = cluster.running.filter((n) => n.id !== this.#leader);
    if (followers.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return;
    }
    const node = followers[this.#next % followers.length];
    const value = `v:${key}`;
    let outcome: Outcome = { kind: "unknown" };
    try {
      const answer = await httpJson("PUT", keyUrl(node, key), { body: { value }, timeoutMs: 10_000 });
      if (answer.status === 200) outcome = { kind: "acked", value };
      else if (answer.body?.error?.definite === true) outcome = { kind: "definite", code: answer.body.error.code };
    } catch {
      // The connection to the follower failed: the write may or may not have taken effect.
    }
    this.outcomes.set(key, outcome);
    if (outcome.kind !== "acked") await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Reads `key` through `node` (retrying while the cluster is unavailable) and expects 404. */
async function expectAbsent(node: ClusterNode, key: string, code: string): Promise<void> {
  const answer = await waitFor(
    async () => {
      const got = await httpJson("GET", keyUrl(node, key), {});
      return got.status >= 502 ? undefined : got;
    },
    { timeoutMs: 20_000, what: `GET ${key} through ${node.id} to be served` },
  );
  if (answer.status !== 404) {
    throw new Error(`${key} was answered definite failure (${code}) but is visible: ${describeAnswer(answer)}`);
  }
}

describe("writes forwarded through followers while the leader is killed", () => {
  const cluster = new ProcessCluster({
    runtimes: ["bun", "bun", "bun"],
    electionTimeoutMs: 500,
    requestTimeoutMs: 3000,
  });
  afterAll(() => cluster.stop(), STOP_TIMEOUT_MS);

  clusterIt(cluster, `${KILLS} leader kills: no write answered definite: true is ever visible`, async () => {
    await cluster.start();
    await cluster.bootstrap();
    const writers = new FollowerWriters(cluster);
    try {
      for (let round = 0; round < KILLS; round++) {
        const leader = await cluster.waitForLeader();
        writers.leader = leader.id;
        const before = writers.acked;
        await waitFor(() => writers.acked >= before + 20, { timeoutMs: 30_000, what: "20 more acknowledged writes" });
        await cluster.kill(leader);
        writers.leader = (await cluster.waitForLeader(cluster.running)).id;
        await cluster.restart(leader);
      }
    } finally {
      await writers.stop();
    }
    const leader = await cluster.waitForLeader();
    const outcomes = [...writers.outcomes];
    const definite = outcomes.filter(([, o]) => o.kind === "definite");
    const acked = outcomes.filter(([, o]) => o.kind === "acked");
    console.log(
      `forwarded writes: ${outcomes.length}, acknowledged ${acked.length}, definite failures ${definite.length}, unknown ${outcomes.length - acked.length - definite.length}`,
    );
    expect(acked.length).toBeGreaterThan(KILLS * 20);
    for (const [key, o] of definite) await expectAbsent(leader, key, o.kind === "definite" ? o.code : "");
    for (const [key, o] of acked) if (o.kind === "acked") await expectValue(leader, key, o.value);
  });
});
