/**
 * Exactly-once writes through the client against a live cluster whose leader is killed (SIGKILL
 * by pid) twice while writes go on, and whose answers are lost on the way back for every fourth
 * write (the test's fetch lets the write reach the leader, then drops the answer and reports a
 * network failure, so the client retries a write that was applied).
 *
 * Two workloads: creates of unique keys (`expectRevision: 0`; a second application would answer
 * `compare_failed`, and a key would show version 2), and a counter incremented by compare-and-set
 * on the previous value (a second application of an increment would fail the next one). Then
 * every key shows version 1 and the revision its put answered, and the counter holds N at version N.
 */
import { afterAll, describe, expect } from "bun:test";
import { type ClientResult, type PutValue, RaftClient } from "../../client/src/mod.ts";
import { STOP_TIMEOUT_MS } from "../cluster/cluster_scenarios.ts";
import type { ClusterNode } from "../helpers/process_cluster.ts";
import { slowIt } from "../helpers/slow_test.ts";
import { waitFor } from "../helpers/wait_for.ts";
import { type LiveCluster, newLiveCluster, startLiveCluster } from "./live_cluster.ts";

/** Concurrent creators of unique keys, and keys each one creates. */
const WRITERS = 3;
const KEYS_PER_WRITER = 30;
/** Increments of the counter. */
const INCREMENTS = 45;
/** Every this many distinct writes loses its first successful answer. */
const DROP_EVERY = 4;

/** Marks an idempotency key whose first successful answer the fetch loses. */
const LOSE = "-lose-";

/** The idempotency key of write number `n` of a workload: every {@link DROP_EVERY}-th one loses its answer. */
function keyFor(workload: string, n: number): string {
  return `${workload}-${n}${n % DROP_EVERY === 0 ? LOSE : "-"}${crypto.randomUUID()}`;
}

/**
 * A fetch that loses answers: the first 2xx answer to a write whose idempotency key is marked
 * {@link LOSE} is read and thrown away, and the client sees a dropped connection. It also counts
 * the requests per key.
 */
class LossyFetch {
  readonly requests = new Map<string, number>();
  readonly dropped = new Set<string>();

  readonly fetch = async (request: Request): Promise<Response> => {
    const header = request.headers.get("idempotency-key");
    const key = header === null ? null : header.slice(1, -1); // The sf-string's content (no escapes in ours).
    if (key !== null) this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    const response = await fetch(request);
    if (key === null || !response.ok || !key.includes(LOSE) || this.dropped.has(key)) return response;
    await response.arrayBuffer();
    this.dropped.add(key);
    throw new TypeError("fetch failed: the test lost the answer after the write was applied");
  };
}

/** One write's outcome, with the key it was sent under. */
interface Outcome {
  readonly key: string;
  readonly idempotencyKey: string;
  readonly result: ClientResult<PutValue>;
}

/** A client with attempts enough to ride out two elections. */
function clientOf(live: LiveCluster, lossy: LossyFetch): RaftClient {
  return new RaftClient({
    endpoints: live.endpoints,
    token: live.token,
    attempts: 40,
    timeoutMs: 3000,
    backoffMs: { base: 100, max: 1000 },
    fetch: lossy.fetch,
  });
}

/** Creates `KEYS_PER_WRITER` unique keys in turn. */
async function createKeys(client: RaftClient, writer: number, out: Outcome[]): Promise<void> {
  for (let i = 0; i < KEYS_PER_WRITER; i++) {
    const key = `once/w${writer}/k${i}`;
    const idempotencyKey = keyFor(`w${writer}`, i);
    const result = await client.put(key, `v${writer}.${i}`, { expectRevision: 0, idempotencyKey });
    out.push({ key, idempotencyKey, result });
  }
}

/** Increments the counter `INCREMENTS` times by compare-and-set on the value it wrote last. */
async function countUp(client: RaftClient, out: Outcome[]): Promise<void> {
  for (let n = 1; n <= INCREMENTS; n++) {
    const idempotencyKey = keyFor("counter", n);
    const condition = n === 1 ? { expectRevision: 0 } : { expectValue: String(n - 1) };
    const result = await client.put("once/counter", String(n), { ...condition, idempotencyKey });
    out.push({ key: "once/counter", idempotencyKey, result });
    if (!result.ok) return; // The next increment's condition would be wrong.
  }
}

/** Waits until `count()` reaches `target`, then kills the leader and waits for another one among the rest. */
async function killLeaderAfter(live: LiveCluster, count: () => number, target: number): Promise<ClusterNode> {
  await waitFor(() => count() >= target, { timeoutMs: 120_000, intervalMs: 20, what: `${target} writes answered` });
  const leader = await live.cluster.waitForLeader(live.cluster.running);
  await live.cluster.kill(leader);
  await live.cluster.waitForLeader(live.cluster.running);
  return leader;
}

/** The failures among `outcomes`, for a readable assertion message. */
function failures(outcomes: readonly Outcome[]): unknown[] {
  return outcomes.filter((o) => !o.result.ok).map((o) => ({ key: o.key, error: !o.result.ok && o.result.error }));
}

describe("exactly-once writes through the client while the leader dies", () => {
  const cluster = newLiveCluster();
  afterAll(() => cluster.stop(), { timeout: STOP_TIMEOUT_MS });

  slowIt(
    "every logical write is applied once: unique creates and a compare-and-set counter",
    async () => {
      const live = await startLiveCluster(cluster);
      const lossy = new LossyFetch();
      const client = clientOf(live, lossy);
      const created: Outcome[] = [];
      const counted: Outcome[] = [];
      const total = () => created.length + counted.length;
      const work = Promise.all([
        ...Array.from({ length: WRITERS }, (_, w) => createKeys(client, w, created)),
        countUp(client, counted),
      ]);
      const all = WRITERS * KEYS_PER_WRITER + INCREMENTS;
      const first = await killLeaderAfter(live, total, Math.floor(all / 3));
      await cluster.restart(first);
      await killLeaderAfter(live, total, Math.floor((2 * all) / 3));
      await work;

      expect(failures([...created, ...counted])).toEqual([]);
      expect(created.length).toBe(WRITERS * KEYS_PER_WRITER);
      expect(counted.length).toBe(INCREMENTS);
      await checkUniqueKeys(client, created, lossy);
      await checkCounter(client, counted, lossy);
      // Lost answers and dead leaders made the client retry; at least every lost answer did.
      const retried = [...lossy.requests.values()].filter((n) => n > 1).length;
      const marked = [...created, ...counted].filter((o) => o.idempotencyKey.includes(LOSE)).length;
      expect(lossy.dropped.size).toBe(marked);
      expect(retried).toBeGreaterThanOrEqual(lossy.dropped.size);
    },
    { timeoutMs: 300_000, onFailure: () => cluster.printLogs("exactly-once") },
  );
});

/** Every unique key: version 1, its value, and the revision the (maybe replayed) answer named. */
async function checkUniqueKeys(client: RaftClient, created: readonly Outcome[], lossy: LossyFetch): Promise<void> {
  for (const { key, idempotencyKey, result } of created) {
    if (!result.ok) throw new Error(`unreachable: ${key} failed`);
    const stored = await client.get(key);
    if (!stored.ok || stored.value === null) throw new Error(`cannot read ${key}: ${JSON.stringify(stored)}`);
    expect({ key, version: stored.value.version, revision: stored.value.revision }).toEqual({
      key,
      version: 1,
      revision: result.value.revision,
    });
    // An answer lost after the write applied comes back as the first write's result, replayed.
    if (lossy.dropped.has(idempotencyKey)) expect({ key, replayed: result.replayed }).toEqual({ key, replayed: true });
  }
}

/** The counter holds INCREMENTS at version INCREMENTS, and each increment's revision rose. */
async function checkCounter(client: RaftClient, counted: readonly Outcome[], lossy: LossyFetch): Promise<void> {
  const stored = await client.get("once/counter");
  if (!stored.ok || stored.value === null) throw new Error(`cannot read the counter: ${JSON.stringify(stored)}`);
  expect({ value: stored.value.value, version: stored.value.version }).toEqual({
    value: String(INCREMENTS),
    version: INCREMENTS,
  });
  const revisions = counted.map((o) => (o.result.ok ? o.result.value.revision : -1));
  for (let i = 1; i < revisions.length; i++) expect(revisions[i]).toBeGreaterThan(revisions[i - 1]);
  expect(revisions.at(-1)).toBe(stored.value.revision);
  const replays = counted.filter((o) => lossy.dropped.has(o.idempotencyKey));
  expect(replays.length).toBeGreaterThan(0);
  for (const o of replays) expect(o.result.ok && o.result.replayed).toBe(true);
}
