/**
 * The peer endpoint of the node app as it is served, seen through `GET /metrics`: refused
 * handshakes and frames count under their fixed reason, valid frames count per peer and kind,
 * frames from a token holder outside the configuration count under the non-member label (its id
 * never becomes a label), and the node's own failing link to a peer counts as link failures.
 */
import { afterAll, beforeAll, describe, expect } from "bun:test";
import { NodeId } from "../../packages/core/src/mod.ts";
import { NON_MEMBER_PEER } from "../../src/server/peer_metrics.ts";
import { Peer } from "../helpers/peer_socket.ts";
import { parseExposition, sampleValue } from "../helpers/prometheus_text.ts";
import { type ServedNodeApp, serveNodeApp } from "../helpers/served_node.ts";
import { slowIt } from "../helpers/slow_test.ts";
import { waitFor } from "../helpers/wait_for.ts";

const TOKEN = "peer-metrics-token";
/** Nobody listens here: the node's link to n2 keeps failing. */
const N2_URL = "http://127.0.0.1:9";

describe("peer endpoint metrics", () => {
  let served: ServedNodeApp;
  beforeAll(async () => {
    const flags = ["--log-level", "error", "--election-timeout-ms", "60000", "--heartbeat-ms", "1000"];
    served = await serveNodeApp(TOKEN, flags);
    const members = [
      { id: NodeId.of("n1"), url: served.url },
      { id: NodeId.of("n2"), url: N2_URL },
    ];
    if (!served.node.runtime.bootstrap(members)) throw new Error("n1 did not bootstrap");
  });
  afterAll(() => served.stop());

  const scrape = async () => {
    const response = await fetch(`${served.url}/metrics`);
    expect(response.status).toBe(200);
    return parseExposition(await response.text());
  };
  const rejected = async (reason: string) => sampleValue(await scrape(), "raft_peer_frames_rejected_total", { reason });

  slowIt(
    "counts refused handshakes and frames by reason, and valid frames per member and kind",
    async () => {
      expect(await rejected("invalid_json")).toBe(0); // Every reason is shown from the start.
      const badToken = await fetch(`${served.url}/v1/raft`, {
        headers: { authorization: "Bearer not-the-token", "x-raft-node-id": "n2", upgrade: "websocket" },
      });
      expect(badToken.status).toBe(401);
      await badToken.body?.cancel();
      const plain = await fetch(`${served.url}/v1/raft`, {
        headers: { authorization: `Bearer ${TOKEN}`, "x-raft-node-id": "n2" },
      });
      expect(plain.status).toBe(426);
      await plain.body?.cancel();
      expect(await rejected("unauthorized")).toBe(1);
      expect(await rejected("upgrade_required")).toBe(1);

      const n2 = await Peer.open(served.url, "n2", TOKEN);
      try {
        await n2.send("this is not json"); // Waits until the node answered it (with a sentinel frame).
        await n2.send(JSON.stringify({ v: 1, type: "RequestVoteReply", from: "n2", term: 0, voteGranted: false }));
      } finally {
        n2.close();
      }
      const parsed = await scrape();
      expect(sampleValue(parsed, "raft_peer_frames_rejected_total", { reason: "invalid_json" })).toBe(1);
      // Each send's sentinel is a frame whose sender differs from the handshake's: refused.
      expect(sampleValue(parsed, "raft_peer_frames_rejected_total", { reason: "sender_mismatch" })).toBe(2);
      const reply = { peer: "n2", kind: "request_vote_reply" };
      expect(sampleValue(parsed, "raft_peer_messages_received_total", reply)).toBe(1);
    },
    { timeoutMs: 60_000 },
  );

  slowIt(
    "labels frames from a token holder outside the configuration as a non-member",
    async () => {
      const outsider = await Peer.open(served.url, "intruder", TOKEN);
      try {
        const frame = { v: 1, type: "RequestVoteReply", from: "intruder", term: 0, voteGranted: false };
        await outsider.send(JSON.stringify(frame));
      } finally {
        outsider.close();
      }
      const parsed = await scrape();
      const kind = "request_vote_reply";
      expect(sampleValue(parsed, "raft_peer_messages_received_total", { peer: NON_MEMBER_PEER, kind })).toBe(1);
      expect(parsed.samples.some((s) => s.labels.peer === "intruder")).toBe(false);
    },
    { timeoutMs: 60_000 },
  );

  slowIt(
    "counts the node's failed dials to a peer nobody serves",
    async () => {
      const failures = await waitFor(
        async () => {
          const value = sampleValue(await scrape(), "raft_peer_link_failures_total", { peer: "n2" }) ?? 0;
          return value >= 2 ? value : undefined;
        },
        { what: "two failed dials to n2", timeoutMs: 30_000 },
      );
      expect(failures).toBeGreaterThanOrEqual(2);
      expect(sampleValue(await scrape(), "raft_peer_reconnects_total", { peer: "n2" })).toBe(0);
    },
    { timeoutMs: 60_000 },
  );
});
