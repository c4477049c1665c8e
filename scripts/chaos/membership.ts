/**
 * Membership changes of the fault run through the HTTP API (any node; followers forward): remove a
 * voter, and make a node a voter again from empty storage (added as a learner that is promoted
 * automatically, or explicitly), with bounded retries.
 */
import { describeAnswer, httpJson, type JsonAnswer } from "../../tests/helpers/http_json.ts";
import { delay } from "../../tests/helpers/wait_for.ts";
import type { Prng } from "../../tests/sim/prng.ts";
import type { ChaosCluster } from "./cluster.ts";

/** How long one membership request may take (the nodes wait up to 10 s on a change). */
const CHANGE_REQUEST_TIMEOUT_MS = 15_000;
/** How long making a node a voter again may take in all. */
const ENSURE_VOTER_DEADLINE_MS = 90_000;

/** The answer of an admin request, or undefined when none came. */
export async function adminRequest(
  cluster: ChaosCluster,
  via: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<JsonAnswer | undefined> {
  try {
    return await httpJson(method, `${cluster.node(via).url}${path}`, { body, timeoutMs: CHANGE_REQUEST_TIMEOUT_MS });
  } catch {
    return undefined;
  }
}

/** A random up voter other than `except`, if there is one. */
export function someUpVoter(cluster: ChaosCluster, random: Prng, except?: string): string | undefined {
  const candidates = [...cluster.voters].filter((id) => id !== except && cluster.isUp(id)).sort();
  return candidates.length === 0 ? undefined : random.pick(candidates);
}

/** The role of `id` in the configuration of the current leader; undefined if no leader answers. */
export async function roleInLeaderConfig(cluster: ChaosCluster, id: string): Promise<string | null | undefined> {
  const leader = await cluster.leader();
  if (leader === undefined) return undefined;
  const status = (await cluster.statuses([leader])).get(leader);
  if (status === undefined) return undefined;
  return status.members.find((m) => m.id === id)?.role ?? null;
}

/** Asks the cluster to remove voter `id`; a one-line description of what happened. */
export async function removeVoter(cluster: ChaosCluster, random: Prng, id: string): Promise<string> {
  const via = someUpVoter(cluster, random, id) ?? id;
  const answer = await adminRequest(cluster, via, "DELETE", `/v1/cluster/members/${id}`);
  if (answer === undefined) return `DELETE ${id} via ${via}: no answer`;
  return `DELETE ${id} via ${via}: ${answer.status} ${answer.body?.error?.code ?? ""}`.trim();
}

/**
 * Makes `id` a voter again if the leader's configuration does not have it as one: kills whatever
 * runs as `id`, restarts it with empty storage, adds it (as a learner promoted explicitly when
 * `explicitPromote`, else one the leader promotes once caught up) and waits until it votes.
 * Returns what it did, one line per step; throws if the deadline passes.
 */
export async function ensureVoter(
  cluster: ChaosCluster,
  random: Prng,
  id: string,
  explicitPromote: boolean,
): Promise<string[]> {
  const steps: string[] = [];
  const deadline = Date.now() + ENSURE_VOTER_DEADLINE_MS;
  let role = await roleInLeaderConfig(cluster, id);
  for (; role === undefined && Date.now() < deadline; role = await roleInLeaderConfig(cluster, id)) await delay(250);
  if (role === "voter") {
    cluster.voters.add(id);
    return steps;
  }
  if (role === null) {
    await cluster.kill(id);
    await cluster.restart(id, true);
    steps.push(`restarted ${id} with empty storage`);
  }
  while (Date.now() < deadline) {
    role = await roleInLeaderConfig(cluster, id);
    if (role === "voter") {
      cluster.voters.add(id);
      steps.push(`${id} votes again`);
      return steps;
    }
    const via = someUpVoter(cluster, random, id);
    if (via !== undefined && role === null) {
      const body = { id, url: cluster.node(id).url, learner: explicitPromote };
      const answer = await adminRequest(cluster, via, "POST", "/v1/cluster/members", body);
      steps.push(`add ${id} via ${via}: ${answer === undefined ? "no answer" : describeAnswer(answer).slice(0, 80)}`);
    } else if (via !== undefined && role === "learner") {
      const answer = await adminRequest(cluster, via, "POST", `/v1/cluster/members/${id}/promote`);
      if (answer?.status === 200) steps.push(`promote ${id} via ${via}: 200`);
    }
    await delay(500);
  }
  throw new Error(`${id} did not become a voter again within ${ENSURE_VOTER_DEADLINE_MS} ms: ${steps.join("; ")}`);
}
