/**
 * Exactly-once writes with `Idempotency-Key` against node processes: a repeat answers the first
 * result through any node, a reused key with another request is refused, the table survives
 * snapshots and a whole-cluster restart, and writes retried across leader kills apply once each.
 */
import { afterAll, describe, expect } from "bun:test";
import { keyUrl } from "../helpers/cluster_kv.ts";
import { describeAnswer, httpJson, type JsonAnswer } from "../helpers/http_json.ts";
import { type ClusterNode, ProcessCluster } from "../helpers/process_cluster.ts";
import { waitFor } from "../helpers/wait_for.ts";
import { clusterIt, STOP_TIMEOUT_MS, startAndBootstrap } from "./cluster_scenarios.ts";

/** PUT `key` = `value` through `node` with the idempotency key `ik` (an sf-string, as the draft says). */
function putOnce(node: ClusterNode, key: string, value: string, ik: string, timeoutMs = 10_000): Promise<JsonAnswer> {
  return httpJson("PUT", keyUrl(node, key), { body: { value }, headers: { "idempotency-key": `"${ik}"` }, timeoutMs });
}

/** The key's entry as the leader serves it (linearizable), retried while no leader serves. */
async function readKey(cluster: ProcessCluster, key: string): Promise<JsonAnswer> {
  return await waitFor(
    async () => {
      const node = await cluster.waitForLeader(cluster.running);
      const answer = await httpJson("GET", keyUrl(node, key));
      return answer.status === 200 || answer.status === 404 ? answer : undefined;
    },
    { timeoutMs: 20_000, what: `a read of ${key}` },
  );
}

describe("Idempotency-Key on a 3-node cluster", () => {
  const cluster = new ProcessCluster({ runtimes: ["bun", "bun", "bun"] });
  afterAll(() => cluster.stop(), STOP_TIMEOUT_MS);

  clusterIt(cluster, "a repeat through any node answers the first result and changes nothing", async () => {
    const leader = await startAndBootstrap(cluster);
    const follower = cluster.nodes.find((n) => n.id !== leader.id) as ClusterNode;
    const first = await putOnce(leader, "once", "v1", "key-1");
    expect(first.status).toBe(200);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    for (const node of [leader, follower]) {
      const again = await putOnce(node, "once", "v1", "key-1");
      expect({ status: again.status, body: again.body }).toEqual({ status: 200, body: first.body });
      expect(again.headers.get("idempotent-replayed")).toBe("true");
    }
    const entry = await readKey(cluster, "once");
    expect(entry.body).toMatchObject({ value: "v1", version: 1, revision: first.body.index });

    // The same key with another request: refused, nothing changes.
    const reused = await putOnce(follower, "once", "v2", "key-1");
    expect(reused.status).toBe(422);
    expect(reused.body.error).toMatchObject({ code: "idempotency_key_reused", definite: true });
    expect(reused.body.error.details).toEqual({ index: first.body.index });
    expect((await readKey(cluster, "once")).body).toMatchObject({ value: "v1", version: 1 });

    // Deletes too; a bare token works as the key.
    const del = (node: ClusterNode) =>
      httpJson("DELETE", keyUrl(node, "once"), { headers: { "idempotency-key": "del-1" } });
    const deleted = await del(leader);
    expect(deleted.status).toBe(200);
    expect(deleted.body.deleted).toBe(true);
    expect(await putOnce(leader, "once", "back", "key-2")).toMatchObject({ status: 200 });
    const again = await del(follower);
    expect({ status: again.status, body: again.body }).toEqual({ status: 200, body: deleted.body });
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await readKey(cluster, "once")).body).toMatchObject({ value: "back" });
  });

  clusterIt(cluster, "a malformed key is refused before anything is proposed", async () => {
    const leader = await cluster.waitForLeader();
    for (const bad of ['"unterminated', '"a"b"', "has space", '""', `"${"k".repeat(129)}"`, '"tab\there"']) {
      const answer = await httpJson("PUT", keyUrl(leader, "bad-key"), {
        body: { value: "x" },
        headers: { "idempotency-key": bad },
      });
      expect({
        bad,
        status: answer.status,
        code: answer.body.error?.code,
        definite: answer.body.error?.definite,
      }).toEqual({
        bad,
        status: 400,
        code: "validation_failed",
        definite: true,
      });
    }
    expect((await readKey(cluster, "bad-key")).status).toBe(404);
  });

  clusterIt(cluster, "the table survives snapshots on every node and a whole-cluster restart", async () => {
    const leader = await cluster.waitForLeader();
    const first = await putOnce(leader, "kept", "v", "survivor");
    expect(first.status).toBe(200);
    for (const node of cluster.nodes) {
      await cluster.waitForApplied(node, first.body.index);
      const snap = await httpJson("POST", `${node.url}/v1/snapshot`);
      expect({ node: node.id, status: snap.status }).toEqual({ node: node.id, status: 200 });
    }
    for (const node of cluster.nodes) await cluster.kill(node);
    for (const node of cluster.nodes) await cluster.restart(node);
    const newLeader = await cluster.waitForLeader();
    const again = await putOnce(newLeader, "kept", "v", "survivor");
    expect({ status: again.status, body: again.body }).toEqual({ status: 200, body: first.body });
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await readKey(cluster, "kept")).body).toMatchObject({ value: "v", version: 1 });
  });
});

/** Rounds of leader kills while the writers run. */
const KILLS = 3;
/** Writers, each writing its own key again and again. */
const WRITERS = 4;

/**
 * Writes that are retried with the same idempotency key until a definite answer, through whichever
 * node is running, while leaders are killed: like a client that cannot tell whether a write took
 * effect. Each writer puts its own key unconditionally, so every applied write bumps the key's
 * version: a duplicate would show as a version above the number of writes.
 */
class RetryingWriters {
  /** Logical writes acknowledged, per writer. */
  readonly acked: number[] = Array(WRITERS).fill(0);
  /** Attempts that ended without a definite answer and were retried. */
  retries = 0;
  /** Answers marked `Idempotent-Replayed`. */
  replayed = 0;
  #stopped = false;
  readonly #done: Promise<void>;

  constructor(readonly cluster: ProcessCluster) {
    this.#done = Promise.all(Array.from({ length: WRITERS }, (_, w) => this.#loop(w))).then(() => undefined);
  }

  get total(): number {
    return this.acked.reduce((a, b) => a + b, 0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#done;
  }

  async #loop(writer: number): Promise<void> {
    for (let n = 1; !this.#stopped && n <= 5_000; n++) {
      await this.#writeUntilDefinite(writer, n);
      this.acked[writer] = n;
      // Every fifth write is delivered twice on purpose, through another node.
      if (n % 5 === 0) await this.#writeUntilDefinite(writer, n, 1);
    }
  }

  async #writeUntilDefinite(writer: number, n: number, offset = 0): Promise<void> {
    const ik = `w${writer}-${n}`;
    const deadline = Date.now() + 60_000;
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      const running = this.cluster.running;
      if (running.length > 0) {
        const node = running[(writer + n + attempt + offset) % running.length];
        let answer: JsonAnswer | null = null;
        try {
          answer = await putOnce(node, `counter/${writer}`, `${n}`, ik, 5_000);
        } catch {
          // A dropped connection or a timeout: the write may or may not have taken effect.
        }
        if (answer?.status === 200) {
          if (answer.headers.get("idempotent-replayed") === "true") this.replayed++;
          return;
        }
        if (answer !== null && answer.status < 500) {
          throw new Error(`writer ${writer} write ${n} through ${node.id}: ${describeAnswer(answer)}`);
        }
        this.retries++;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`writer ${writer} write ${n} got no definite answer within 60 s`);
  }
}

describe("writes retried with their idempotency key across leader kills", () => {
  const cluster = new ProcessCluster({
    runtimes: ["bun", "bun", "bun"],
    electionTimeoutMs: 500,
    requestTimeoutMs: 3000,
  });
  afterAll(() => cluster.stop(), STOP_TIMEOUT_MS);

  clusterIt(cluster, `${KILLS} leader kills: every write is applied exactly once`, async () => {
    await startAndBootstrap(cluster);
    const writers = new RetryingWriters(cluster);
    try {
      for (let round = 0; round < KILLS; round++) {
        const leader = await cluster.waitForLeader();
        const before = writers.total;
        await waitFor(() => writers.total >= before + 40 || undefined, {
          timeoutMs: 30_000,
          what: "40 more acknowledged writes",
        });
        await cluster.kill(leader);
        await cluster.waitForLeader(cluster.running);
        await cluster.restart(leader);
      }
    } finally {
      await writers.stop();
    }
    console.log(
      `idempotent writes: ${writers.total} acknowledged, ${writers.retries} retried attempts, ${writers.replayed} replayed answers`,
    );
    // The deliberate second deliveries alone give replays.
    expect(writers.replayed).toBeGreaterThanOrEqual(Math.floor(writers.total / 5) - WRITERS);
    for (let w = 0; w < WRITERS; w++) {
      const entry = await readKey(cluster, `counter/${w}`);
      expect({ writer: w, value: entry.body.value, version: entry.body.version }).toEqual({
        writer: w,
        value: String(writers.acked[w]),
        version: writers.acked[w],
      });
    }
  });
});
