/** What the launcher asks the nodes over HTTP: liveness, status, bootstrap, and who leads. */
import type { NodeSpec } from "./layout.ts";

/** How long one HTTP request to a node may take. */
const REQUEST_TIMEOUT_MS = 3_000;
/** Pause between polls. */
const POLL_MS = 100;

/** The fields of `GET /v1/status` the launcher reads. */
interface NodeStatus {
  readonly role: string;
  readonly lastIndex: number;
  readonly leader: { readonly id: string } | null;
  readonly members: readonly unknown[];
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The request headers that carry the API's admin token. */
function bearer(adminToken: string): Record<string, string> {
  return { authorization: `Bearer ${adminToken}` };
}

/** `GET url` (with the admin token when given) with a timeout; undefined if the node does not answer. */
async function get(url: string, adminToken?: string): Promise<Response | undefined> {
  try {
    const headers = adminToken === undefined ? {} : bearer(adminToken);
    return await fetch(url, { headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch {
    return undefined; // Not listening yet, or too slow this time.
  }
}

/** The node's status, or undefined if it does not answer. */
async function status(node: NodeSpec, adminToken: string): Promise<NodeStatus | undefined> {
  const res = await get(`${node.url}/v1/status`, adminToken);
  if (res?.ok) return (await res.json()) as NodeStatus;
  if (res?.status === 401)
    throw new Error(`Cannot start the cluster: ${node.id} refused the admin token (was it started with another one?)`);
  await res?.body?.cancel();
  return undefined;
}

/** Waits until `node` answers `GET /livez`; throws after `timeoutMs`. */
export async function waitUntilLive(node: NodeSpec, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await get(`${node.url}/livez`);
    const live = res?.ok === true;
    await res?.body?.cancel();
    if (live) return;
    await pause(POLL_MS);
  }
  throw new Error(`Cannot start the cluster: ${node.id} did not answer ${node.url}/livez within ${timeoutMs / 1000} s`);
}

/** True if no node has a log or members yet (a first start), false if some node has data. */
export async function isNewCluster(nodes: readonly NodeSpec[], adminToken: string): Promise<boolean> {
  const statuses = await Promise.all(nodes.map((n) => status(n, adminToken)));
  const missing = nodes.filter((_, i) => statuses[i] === undefined).map((n) => n.id);
  if (missing.length > 0) throw new Error(`Cannot start the cluster: GET /v1/status failed on ${missing.join(", ")}`);
  return statuses.every((s) => s !== undefined && s.lastIndex === 0 && s.members.length === 0);
}

/**
 * `POST /v1/cluster` on the first node with every node as a voter. Resolves with true when it
 * created the cluster, false when the node answered 409 `already_bootstrapped`; throws otherwise.
 */
export async function bootstrap(nodes: readonly NodeSpec[], adminToken: string): Promise<boolean> {
  const members = nodes.map((n) => ({ id: n.id, url: n.url }));
  const url = `${nodes[0].url}/v1/cluster`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...bearer(adminToken) },
      body: JSON.stringify({ members }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS * 5),
    });
  } catch (error) {
    throw new Error(`Cannot bootstrap the cluster: POST ${url} failed (${String(error)})`);
  }
  const text = await res.text();
  if (res.status === 201) return true;
  if (res.status === 409 && text.includes("already_bootstrapped")) return false;
  throw new Error(`Cannot bootstrap the cluster: POST ${url} answered ${res.status} ${text}`);
}

/** One line per node on what it reports about the leader, for an error message. */
function describeStatuses(nodes: readonly NodeSpec[], statuses: ReadonlyArray<NodeStatus | undefined>): string {
  return nodes
    .map((n, i) => {
      const s = statuses[i];
      return s === undefined ? `${n.id}: no answer` : `${n.id}: ${s.role}, leader ${s.leader?.id ?? "unknown"}`;
    })
    .join("; ");
}

/** Waits until every node of `nodes` reports the same leader; its id. Throws after `timeoutMs`. */
export async function waitForLeader(
  nodes: readonly NodeSpec[],
  adminToken: string,
  timeoutMs: number,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let statuses: Array<NodeStatus | undefined> = [];
  while (Date.now() < deadline) {
    statuses = await Promise.all(nodes.map((n) => status(n, adminToken)));
    const leader = statuses[0]?.leader?.id;
    if (leader !== undefined && statuses.every((s) => s?.leader?.id === leader)) return leader;
    await pause(POLL_MS);
  }
  throw new Error(
    `Cannot start the cluster: no leader was elected within ${timeoutMs / 1000} s (${describeStatuses(nodes, statuses)})`,
  );
}
