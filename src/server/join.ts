/**
 * `--join URL`: a node asks the cluster at URL (any member; a follower forwards to the leader) to
 * add it, then catches up as the leader replicates to it (by snapshot when the log was compacted).
 * Asking again is harmless: adding the same id at the same URL changes nothing. The request is
 * retried with backoff until the cluster accepts it, the cluster refuses it for good, or the node
 * stops.
 */
import type { Logger } from "./logger.ts";

/** What a join needs. */
export interface JoinRequest {
  /** Any member's base URL. */
  readonly via: string;
  /** This node's id and advertised URL. */
  readonly self: { readonly id: string; readonly url: string };
  /** The admin token, when the cluster requires one for membership changes. */
  readonly adminToken?: string;
  /** True once this node is a voter: nothing more is needed, and no request is sent. */
  readonly isVoter: () => boolean;
  /** True once the node is stopping. */
  readonly stopped: () => boolean;
  readonly logger: Logger;
  /** Sends the request (injectable for tests); default the global fetch. */
  readonly fetch?: (url: string, init: RequestInit) => Promise<Response>;
  /** Waits between attempts (injectable for tests). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** How a join ended. */
export type JoinOutcome = "member" | "joined" | "refused" | "stopped";

const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 5000;
/** Time limit of one attempt (the cluster answers once the change is committed). */
const ATTEMPT_TIMEOUT_MS = 30_000;

/** Asks the cluster to add this node, retrying until it is accepted or refused for good. */
export async function joinCluster(request: JoinRequest): Promise<JoinOutcome> {
  const send = request.fetch ?? ((url, init) => fetch(url, init));
  const sleep = request.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const url = `${request.via.replace(/\/+$/, "")}/v1/cluster/members`;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (request.adminToken !== undefined) headers.authorization = `Bearer ${request.adminToken}`;
  const body = JSON.stringify({ id: request.self.id, url: request.self.url });
  for (let delay = FIRST_DELAY_MS; ; delay = Math.min(MAX_DELAY_MS, delay * 2)) {
    if (request.stopped()) return "stopped";
    if (request.isVoter()) return "member";
    try {
      const response = await send(url, {
        method: "POST",
        headers,
        body,
        signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
      });
      const text = await response.text();
      if (response.ok) {
        request.logger.info(`joined the cluster through ${request.via} (${response.status})`);
        return "joined";
      }
      if (
        response.status === 400 ||
        response.status === 401 ||
        (response.status === 409 && text.includes('"member_conflict"'))
      ) {
        request.logger.error(`the cluster at ${request.via} refused to add this node (${response.status}): ${text}`);
        return "refused";
      }
      request.logger.warn(`join through ${request.via}: ${response.status} ${text}; retrying in ${delay} ms`);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      request.logger.warn(`join through ${request.via}: ${why}; retrying in ${delay} ms`);
    }
    await sleep(delay);
  }
}
