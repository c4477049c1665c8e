/**
 * Key-value checks against node processes over HTTP: writes that record what was acknowledged,
 * and reads of every acknowledged key through a chosen node and consistency.
 */
import { expect } from "bun:test";
import { describeAnswer, httpJson } from "./http_json.ts";
import type { ClusterNode, ProcessCluster } from "./process_cluster.ts";
import { waitFor } from "./wait_for.ts";

/** A write the cluster acknowledged (200): its value and the log index it landed at. */
export interface AckedWrite {
  readonly value: string;
  readonly index: number;
}

/** Every acknowledged write by key (a later write of a key replaces the earlier one). */
export type AckedWrites = Map<string, AckedWrite>;

/** Read consistency of the KV API. */
export type ReadConsistency = "linearizable" | "leader" | "stale";

/** The URL of one key on `node` (the key percent-encoded, so `/` travels as %2F). */
export function keyUrl(node: ClusterNode, key: string, consistency?: ReadConsistency): string {
  const query = consistency === undefined ? "" : `?consistency=${consistency}`;
  return `${node.url}/v1/kv/${encodeURIComponent(key)}${query}`;
}

/** PUTs `key` = `value` through `node`; expects 200 and records the write in `acked`. */
export async function putKey(node: ClusterNode, key: string, value: string, acked: AckedWrites): Promise<AckedWrite> {
  const answer = await httpJson("PUT", keyUrl(node, key), { body: { value } });
  if (answer.status !== 200) throw new Error(`PUT ${key} through ${node.id}: ${describeAnswer(answer)}`);
  expect(answer.body.key).toBe(key);
  expect(answer.body.revision).toBe(answer.body.index);
  const write = { value, index: answer.body.index as number };
  acked.set(key, write);
  return write;
}

/**
 * Writes `count` keys `<prefix>/<node id>/<i>` through each node of `nodes` (a follower forwards to
 * the leader), `concurrency` requests at a time per node; records each acknowledged write.
 */
export async function writeThroughEach(
  nodes: readonly ClusterNode[],
  prefix: string,
  count: number,
  acked: AckedWrites,
  concurrency = 4,
): Promise<void> {
  for (const node of nodes) {
    const keys = Array.from({ length: count }, (_, i) => `${prefix}/${node.id}/${i}`);
    await inBatches(keys, concurrency, (key) => putKey(node, key, `v:${key}`, acked));
  }
}

/** Statuses that say "not available right now" (no leader, leader unreachable, timed out): a client retries. */
const UNAVAILABLE = new Set([502, 503, 504]);
/** How long a read is retried while the cluster is unavailable (an election after a restart). */
const UNAVAILABLE_RETRY_MS = 20_000;

/**
 * Reads `key` through `node`; expects 200 with `value`. While the cluster answers that it is
 * unavailable (an election in progress), the read is retried, as a client would, within a bound;
 * any other answer (a wrong value, 404) fails at once.
 */
export async function expectValue(
  node: ClusterNode,
  key: string,
  value: string,
  consistency?: ReadConsistency,
): Promise<void> {
  const how = consistency ?? "default (linearizable)";
  const answer = await waitFor(
    async () => {
      const got = await httpJson("GET", keyUrl(node, key, consistency), {});
      return UNAVAILABLE.has(got.status) ? undefined : got;
    },
    { timeoutMs: UNAVAILABLE_RETRY_MS, intervalMs: 50, what: `GET ${key} through ${node.id} (${how}) to be served` },
  );
  if (answer.status !== 200 || answer.body.value !== value) {
    throw new Error(`GET ${key} through ${node.id} (${how}): expected '${value}', got ${describeAnswer(answer)}`);
  }
  expect(answer.body.key).toBe(key);
}

/** Reads every acknowledged key through `node` at `consistency` and expects its acknowledged value. */
export async function expectAllReadable(
  node: ClusterNode,
  acked: AckedWrites,
  consistency?: ReadConsistency,
  concurrency = 8,
): Promise<void> {
  await inBatches([...acked], concurrency, ([key, write]) => expectValue(node, key, write.value, consistency));
}

/** The highest log index among the acknowledged writes. */
export function highestIndex(acked: AckedWrites): number {
  return Math.max(0, ...[...acked.values()].map((w) => w.index));
}

/**
 * Waits until `node` has applied every acknowledged write, then reads every key through it with
 * `consistency=stale` (served from its local state, never forwarded).
 */
export async function expectAllStaleAfterApply(
  cluster: ProcessCluster,
  node: ClusterNode,
  acked: AckedWrites,
  timeoutMs?: number,
): Promise<void> {
  await cluster.waitForApplied(node, highestIndex(acked), timeoutMs);
  await expectAllReadable(node, acked, "stale");
}

/** Runs `fn` over `items`, at most `concurrency` at a time, in order of batches; rejects on the first failure. */
export async function inBatches<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<unknown>) {
  for (let i = 0; i < items.length; i += concurrency) {
    await Promise.all(items.slice(i, i + concurrency).map(fn));
  }
}

/** Options of {@link BackgroundWriter}. */
export interface BackgroundWriterOptions {
  /** Concurrent writers (default 3). */
  readonly writers?: number;
  /** Stop after this many writes in all (default 1000). */
  readonly maxWrites?: number;
  /** Stop after this many milliseconds (default 30 000). */
  readonly maxMs?: number;
  /** Per-request timeout (default 3000 ms). */
  readonly requestTimeoutMs?: number;
}

/**
 * Writes fresh keys `<prefix>/<n>` through the nodes in turn until stopped (bounded in count and
 * time), recording every acknowledged (200) write in `acked`; failures (refused connections,
 * 503, 504) are only counted: such a write may or may not take effect, and each key is written once.
 */
export class BackgroundWriter {
  /** Answers by outcome: "200", "503 no_leader", "504 timeout", "network", …. */
  readonly outcomes = new Map<string, number>();
  readonly #acked: AckedWrites;
  readonly #done: Promise<void>;
  #stopped = false;
  #next = 0;
  #ackCount = 0;

  /** Starts writing through `nodes()` (called before each write, so it may change). */
  constructor(
    nodes: () => readonly ClusterNode[],
    prefix: string,
    acked: AckedWrites,
    options: BackgroundWriterOptions = {},
  ) {
    this.#acked = acked;
    const deadline = Date.now() + (options.maxMs ?? 30_000);
    const maxWrites = options.maxWrites ?? 1000;
    const loop = async () => {
      while (!this.#stopped && this.#next < maxWrites && Date.now() < deadline) {
        const n = this.#next++;
        const list = nodes();
        await this.#write(list[n % list.length], `${prefix}/${n}`, options.requestTimeoutMs ?? 3000);
      }
    };
    this.#done = Promise.all(Array.from({ length: options.writers ?? 3 }, loop)).then(() => undefined);
  }

  /** How many writes were acknowledged so far. */
  get ackCount(): number {
    return this.#ackCount;
  }

  /** Waits until `count` more writes than now were acknowledged (`what` names the moment, for errors). */
  async waitForMoreAcks(count: number, what: string, timeoutMs = 20_000): Promise<void> {
    const target = this.#ackCount + count;
    await waitFor(() => this.#ackCount >= target, { timeoutMs, what: `${count} more acknowledged writes ${what}` });
  }

  /** Stops writing and resolves once every write in flight has ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#done;
  }

  /** A one-line summary of the outcomes, e.g. "200: 40, 503 no_leader: 3, network: 2". */
  summary(): string {
    return [...this.outcomes].map(([k, v]) => `${k}: ${v}`).join(", ");
  }

  async #write(node: ClusterNode, key: string, timeoutMs: number): Promise<void> {
    const value = `bg:${key}`;
    let outcome: string;
    try {
      const answer = await httpJson("PUT", keyUrl(node, key), { body: { value }, timeoutMs });
      outcome = answer.status === 200 ? "200" : `${answer.status} ${answer.body?.error?.code ?? ""}`.trim();
      if (answer.status === 200) {
        this.#acked.set(key, { value, index: answer.body.index as number });
        this.#ackCount++;
      }
    } catch {
      outcome = "network";
    }
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
    // Back off after a failure, as a client would (a refused connection or a 503 comes back at once).
    if (outcome !== "200") await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
