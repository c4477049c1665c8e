/**
 * The node the peer endpoint's property and fuzz tests attack: n1 of the cluster {n1, n2}, served
 * in the test process, where the test plays n2 over its peer socket. Its election timeout is long,
 * so no timer fires during a run.
 */
import { NodeId } from "../../packages/core/src/mod.ts";
import type { NodeApp } from "../../src/node_app.ts";
import { Peer } from "../helpers/peer_socket.ts";
import { parseExposition } from "../helpers/prometheus_text.ts";
import { rawHttp } from "../helpers/raw_http.ts";
import { serveNodeApp } from "../helpers/served_node.ts";
import { waitFor } from "../helpers/wait_for.ts";

/** The cluster token of the attacked node. */
export const PEER_TOKEN = "peer-property-token";
/** Nobody listens here: the node's own links to n2 fail, which the tests do not need. */
const N2_URL = "http://127.0.0.1:9";

/** A served node n1 of {n1, n2}. */
export interface PeerFixture {
  readonly node: NodeApp;
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Serves and bootstraps n1 with `flags` added (e.g. `--check-quorum false`). */
export async function servePeerNode(flags: readonly string[] = []): Promise<PeerFixture> {
  const all = ["--log-level", "error", "--election-timeout-ms", "60000", "--heartbeat-ms", "1000", ...flags];
  const { node, url, port, stop } = await serveNodeApp(PEER_TOKEN, all);
  const members = [
    { id: NodeId.of("n1"), url },
    { id: NodeId.of("n2"), url: N2_URL },
  ];
  if (!node.runtime.bootstrap(members)) throw new Error("n1 did not bootstrap");
  return { node, url, port, stop };
}

/** What an outsider, or a refused frame, may never change. */
export function stateOf(node: NodeApp) {
  const raft = node.runtime.node;
  return {
    term: raft.currentTerm,
    votedFor: raft.votedFor,
    role: raft.role,
    leader: raft.leaderId,
    last: raft.log.lastPosition,
    commit: raft.commitIndex,
  };
}

/** Makes n1 lead: as n2, grant its vote for its current term. */
export async function makeLeader(fixture: PeerFixture, n2: Peer): Promise<void> {
  const term = fixture.node.runtime.node.currentTerm;
  await n2.send(JSON.stringify({ v: 1, type: "RequestVoteReply", from: "n2", term, voteGranted: true }));
  await waitFor(() => fixture.node.runtime.node.role === "leader", { timeoutMs: 20_000, what: "n1 to lead" });
}

/** The node answers `GET /livez` with 200 and its Raft loop runs. */
export async function isServing(fixture: PeerFixture): Promise<boolean> {
  const answer = await rawHttp(fixture.port, { method: "GET", path: "/livez" });
  return answer.status === 200 && !fixture.node.runtime.stopped;
}

/** `raft_peer_frames_rejected_total` by reason, as `/metrics` shows it. */
export async function rejectedByReason(fixture: PeerFixture): Promise<Record<string, number>> {
  const answer = await rawHttp(fixture.port, { method: "GET", path: "/metrics" });
  const out: Record<string, number> = {};
  for (const s of parseExposition(answer.text).samples) {
    if (s.name === "raft_peer_frames_rejected_total") out[s.labels.reason] = s.value;
  }
  return out;
}

export { Peer };
