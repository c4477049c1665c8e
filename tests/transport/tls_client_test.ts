/**
 * The node's TLS client settings against the node's own TLS server, in the test process (so on
 * Bun under `bun test`, on Deno under `deno test`): the fetch and the peer-link WebSocket that
 * trust the CA bundle reach an https/wss server; without that CA, or trusting another, they are
 * refused by certificate verification; plain http to the https port gets no answer.
 */
import { afterAll, describe, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import { Hono } from "hono";
import type { UpgradeWebSocket } from "hono/ws";
import { ClusterConfig, LogPosition, type Message, NodeId, Term } from "../../packages/core/src/mod.ts";
import type { ServerTls } from "../../src/server/tls.ts";
import {
  outboundClients,
  PEER_PATH,
  PeerTransport,
  registerPeerEndpoint,
  type SnapshotChunk,
  type WebSocketImpl,
} from "../../src/transport/mod.ts";
import { failureOf } from "../helpers/failure_of.ts";
import { freePorts } from "../helpers/process_cluster.ts";
import { IS_DENO } from "../helpers/slow_test.ts";
import { hasOpenssl, makeTestCertificates } from "../helpers/test_certificates.ts";
import { waitFor } from "../helpers/wait_for.ts";

const TOKEN = "tls-test-cluster-token";
const WAIT_MS = 20_000;
/** What a refusal by certificate verification says on Bun, on Deno's fetch (in the cause) and on `ws`. */
const CERTIFICATE_REFUSAL = /certificate|UnknownIssuer|self.signed/i;

/** Serves `app` over https with the node's own serve function for this runtime. */
async function serveTls(
  build: (upgradeWebSocket: UpgradeWebSocket) => Hono,
  tls: ServerTls,
): Promise<{ port: number; stop: () => Promise<void> }> {
  const [port] = await freePorts(1);
  if (!IS_DENO) {
    const { bunHost, serveWithBun } = await import("../../src/http/serve_bun.ts");
    return serveWithBun(build(bunHost.upgradeWebSocket), "127.0.0.1", port, tls);
  }
  const { denoHost, serveWithDeno } = await import("../../src/http/serve_deno.ts");
  return serveWithDeno(build(denoHost.upgradeWebSocket), "127.0.0.1", port, tls);
}

/** Dials the peer endpoint at `url` with `WebSocket`; resolves how the attempt ended. */
function dial(WebSocket: WebSocketImpl, url: string): Promise<{ opened: boolean; error: string }> {
  const socket = new WebSocket(url, { headers: { authorization: `Bearer ${TOKEN}`, "x-raft-node-id": "probe" } });
  socket.binaryType = "arraybuffer";
  return new Promise((resolve) => {
    let error = "";
    socket.onerror = (event) => {
      const e = event as { message?: string; error?: { message?: string } };
      error = e.message ?? e.error?.message ?? String(event);
    };
    socket.onopen = () => {
      socket.close();
      resolve({ opened: true, error });
    };
    socket.onclose = () => resolve({ opened: false, error });
  });
}

function voteReply(from: NodeId): Message {
  return { type: "RequestVoteReply", from, term: Term.of(3), voteGranted: true };
}

if (!hasOpenssl()) {
  it.skip("TLS clients (skipped: the openssl command is not installed, so no test certificate can be made)", () => {});
} else {
  describe("TLS client settings against the node's TLS server", () => {
    const certs = makeTestCertificates();
    const server = { cert: certs.certPem, key: readFileSync(certs.keyFile, "utf8") };
    const messages: Array<[NodeId, Message]> = [];
    const chunks: SnapshotChunk[] = [];
    const served = serveTls((upgradeWebSocket) => {
      const app = new Hono();
      app.get("/hello", (c) => c.text("hello over tls"));
      registerPeerEndpoint(app, upgradeWebSocket, {
        token: TOKEN,
        onMessage: (from, message) => messages.push([from, message]),
        onSnapshotChunk: (_from, chunk) => chunks.push(chunk),
      });
      return app;
    }, server);
    const trusting = outboundClients(certs.certPem);
    const otherCa = outboundClients(readFileSync(certs.otherCertFile, "utf8"));
    const plain = outboundClients(undefined);
    afterAll(async () => {
      await (await served).stop();
      certs.remove();
    });

    it("the trusting fetch gets an answer over https; without the CA, or trusting another, verification refuses", async () => {
      const { port } = await served;
      const url = `https://127.0.0.1:${port}/hello`;
      const answer = await trusting.fetch(url, {});
      expect([answer.status, await answer.text()]).toEqual([200, "hello over tls"]);
      const viaLocalhost = await trusting.fetch(`https://localhost:${port}/hello`, {});
      expect(viaLocalhost.status).toBe(200); // The certificate names DNS localhost too.
      await viaLocalhost.text();
      expect(await failureOf(plain.fetch(url, {}))).toMatch(CERTIFICATE_REFUSAL);
      expect(await failureOf(otherCa.fetch(url, {}))).toMatch(CERTIFICATE_REFUSAL);
    });

    it("plain http to the https port gets no HTTP answer", async () => {
      const { port } = await served;
      const failure = await failureOf(
        plain.fetch(`http://127.0.0.1:${port}/hello`, { signal: AbortSignal.timeout(WAIT_MS) }),
      );
      expect(failure).not.toBe("resolved");
    });

    it("the trusting WebSocket opens the wss peer endpoint; without the CA it is refused by verification", async () => {
      const { port } = await served;
      const url = `wss://127.0.0.1:${port}${PEER_PATH}`;
      expect((await dial(trusting.WebSocket, url)).opened).toBe(true);
      const refused = await dial(plain.WebSocket, url);
      expect(refused.opened).toBe(false);
      expect(refused.error).toMatch(CERTIFICATE_REFUSAL);
      const other = await dial(otherCa.WebSocket, url);
      expect(other.opened).toBe(false);
      expect(other.error).toMatch(CERTIFICATE_REFUSAL);
    });

    it("a peer transport dials an https peer URL over wss: messages and a snapshot arrive", async () => {
      const { port } = await served;
      const self = NodeId.of("dialer");
      const peer = NodeId.of("server");
      const transport = new PeerTransport({
        selfId: self,
        selfUrl: "https://127.0.0.1:1",
        token: TOKEN,
        link: { WebSocket: trusting.WebSocket },
      });
      try {
        transport.setPeers([{ id: peer, url: `https://127.0.0.1:${port}` }]);
        await waitFor(() => transport.canSend(peer), { timeoutMs: WAIT_MS, what: "the wss link to open" });
        expect(transport.send(peer, voteReply(self))).toBe(true);
        await waitFor(() => messages.length > 0, { timeoutMs: WAIT_MS, what: "the message to arrive" });
        expect(messages[0][0]).toBe(self);
        const data = new Uint8Array(300 * 1024).map((_, i) => i & 0xff);
        const config = new ClusterConfig({ voters: [self, peer] });
        expect(await transport.sendSnapshot(peer, { position: LogPosition.of(3, 40), config, data })).toBe(true);
        await waitFor(() => chunks.some((c) => c.last), { timeoutMs: WAIT_MS, what: "the last snapshot chunk" });
        expect(chunks.length).toBeGreaterThan(1);
        expect(chunks.reduce((sum, c) => sum + c.data.byteLength, 0)).toBe(data.byteLength);
      } finally {
        transport.close();
      }
    });
  });
}
