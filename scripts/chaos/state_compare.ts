/**
 * Compares the nodes' state machines after a run: each node's full key listing with revisions
 * (`GET /v1/kv?consistency=stale`, page by page), taken once every node reports the same applied
 * index, must be identical.
 */
import { describeAnswer, httpJson } from "../../tests/helpers/http_json.ts";
import { delay } from "../../tests/helpers/wait_for.ts";
import type { ChaosCluster } from "./cluster.ts";

/** Keys per page of a listing (the API's maximum). */
const PAGE = 1000;
/** Most pages read per node (a bound on the loop, far above what a run writes). */
const MAX_PAGES = 10_000;

/** One node's listing: the applied index it reflects and its entries as canonical JSON. */
export interface Listing {
  readonly index: number;
  readonly entries: readonly string[];
}

/** Reads every key of node `id` from its local state; undefined if the index moved between pages. */
export async function listNode(cluster: ChaosCluster, id: string): Promise<Listing | undefined> {
  const entries: string[] = [];
  let after: string | undefined;
  let index: number | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const query = new URLSearchParams({ consistency: "stale", limit: String(PAGE) });
    if (after !== undefined) query.set("after", after);
    const answer = await httpJson("GET", `${cluster.node(id).url}/v1/kv?${query}`, { timeoutMs: 10_000 });
    if (answer.status !== 200) throw new Error(`GET /v1/kv on ${id}: ${describeAnswer(answer)}`);
    if (index !== undefined && answer.body.index !== index) return undefined;
    index = answer.body.index as number;
    for (const e of answer.body.items as Array<Record<string, unknown>>) {
      entries.push(JSON.stringify([e.key, e.value, e.revision, e.createRevision, e.version]));
    }
    if (!answer.body.more) return { index, entries };
    after = answer.body.next as string;
  }
  throw new Error(`GET /v1/kv on ${id}: more than ${MAX_PAGES} pages`);
}

/**
 * Waits (bounded) until every node's listing reflects the same applied index, then compares them.
 * Returns the problems found (empty: identical), and the index and key count compared.
 */
export async function compareStateMachines(
  cluster: ChaosCluster,
  deadlineMs: number,
): Promise<{ problems: string[]; index: number; keys: number }> {
  const deadline = Date.now() + deadlineMs;
  let last = "";
  while (Date.now() < deadline) {
    const listings = new Map<string, Listing | undefined>();
    for (const id of cluster.ids) listings.set(id, await listNode(cluster, id).catch(() => undefined));
    const indexes = [...listings.values()].map((l) => l?.index);
    last = cluster.ids.map((id, i) => `${id}@${indexes[i] ?? "?"}`).join(" ");
    if (indexes.every((i) => i !== undefined && i === indexes[0])) return diff(listings as Map<string, Listing>);
    await delay(250);
  }
  return {
    problems: [`the nodes did not reach the same applied index within ${deadlineMs} ms: ${last}`],
    index: 0,
    keys: 0,
  };
}

/** The differences between listings taken at one applied index. */
function diff(listings: Map<string, Listing>): { problems: string[]; index: number; keys: number } {
  const [[firstId, first], ...rest] = [...listings];
  const problems: string[] = [];
  for (const [id, listing] of rest) {
    if (listing.entries.length !== first.entries.length) {
      problems.push(
        `${id} has ${listing.entries.length} keys at index ${listing.index}, ${firstId} has ${first.entries.length}`,
      );
    }
    const theirs = new Set(listing.entries);
    const missing = first.entries.filter((e) => !theirs.has(e)).slice(0, 5);
    for (const entry of missing)
      problems.push(`${id} differs from ${firstId} at index ${first.index}: ${firstId} has ${entry}`);
  }
  return { problems, index: first.index, keys: first.entries.length };
}
