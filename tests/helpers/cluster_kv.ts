/**
 * Key-value checks against node processes over HTTP: writes that record what was acknowledged,
 * and reads of every acknowledged key through a chosen node and consistency.
 */
import { expect } from "bun:test";
import { describeAnswer, httpJson } from "./http_json.ts";
import type { ClusterNode, ProcessCluster } from "./process_cluster.ts";

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

/** Reads `key` through `node`; expects 200 with `value`. */
export async function expectValue(
  node: ClusterNode,
  key: string,
  value: string,
  consistency?: ReadConsistency,
): Promise<void> {
  const answer = await httpJson("GET", keyUrl(node, key, consistency), {});
  const how = consistency ?? "default (linearizable)";
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
