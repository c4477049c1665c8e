/**
 * The node app exactly as a node process serves it: built by createNodeApp and served by
 * serveWithBun or serveWithDeno (whichever runtime runs the tests), over real sockets.
 */
import { afterAll, beforeAll, describe, expect } from "bun:test";
import { Buffer } from "node:buffer";
import { defaultWebSocketImpl } from "../../src/transport/mod.ts";
import { bearerHeaders, httpJson } from "../helpers/http_json.ts";
import { type RawAnswer, rawHttp } from "../helpers/raw_http.ts";
import { type ServedNodeApp, serveNodeApp } from "../helpers/served_node.ts";
import { IS_DENO, slowIt } from "../helpers/slow_test.ts";
import { waitFor } from "../helpers/wait_for.ts";

const TOKEN = "served-app-test-token";
const MIB = 1024 * 1024;
const RUNTIME = IS_DENO ? "Deno.serve" : "Bun.serve";

/** A served one-node cluster that leads itself. */
type ServedNode = ServedNodeApp;

async function serveNode(): Promise<ServedNode> {
  const flags = ["--log-level", "warn", "--election-timeout-ms", "200", "--heartbeat-ms", "20"];
  const served = await serveNodeApp(TOKEN, flags);
  const { node, url } = served;
  const bootstrapped = await node.service.bootstrap([{ id: "n1", url }]);
  if (!bootstrapped.ok) throw new Error(`bootstrap: ${bootstrapped.message}`);
  await waitFor(() => node.service.isLeader(), { timeoutMs: 20_000, what: "n1 to lead its one-node cluster" });
  return served;
}

/** Asserts the error envelope with `status` and `code` on a raw answer; returns its `error`. */
// biome-ignore lint/suspicious/noExplicitAny: the envelope's details are arbitrary JSON.
function expectEnvelope(answer: RawAnswer, status: number, code: string): any {
  expect({ status: answer.status, code: answer.body?.error?.code }).toEqual({ status, code });
  expect(answer.headers["content-type"]).toContain("application/json");
  expect(Object.keys(answer.body)).toEqual(["error"]);
  return answer.body.error;
}

const upgrade = {
  authorization: `Bearer ${TOKEN}`,
  "x-raft-node-id": "n2",
  upgrade: "websocket",
  connection: "Upgrade",
  "sec-websocket-version": "13",
  "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
};

describe(`the node app served by ${RUNTIME}`, () => {
  let served: ServedNode;
  const slow = { timeoutMs: 60_000 };
  // Requests carry the node's admin token, as a configured client's do (the peer endpoint's own headers win).
  const raw = (request: Parameters<typeof rawHttp>[1]) =>
    rawHttp(served.port, { ...request, headers: { ...bearerHeaders(served.url), ...request.headers } });

  beforeAll(async () => {
    served = await serveNode();
  });
  afterAll(async () => {
    await served?.stop();
  });

  slowIt(
    "an unknown route answers 404 not_found_route in the envelope",
    async () => {
      const error = expectEnvelope(await raw({ method: "GET", path: "/nope" }), 404, "not_found_route");
      expect(error.message).toBe("No route for GET /nope");
    },
    slow,
  );

  slowIt(
    "a wrong method answers 405 method_not_allowed with Allow, on API paths and on the peer endpoint",
    async () => {
      const kv = await raw({ method: "PATCH", path: "/v1/kv/a" });
      expectEnvelope(kv, 405, "method_not_allowed");
      expect(kv.headers.allow).toBe("DELETE, GET, HEAD, PUT");
      const peer = await raw({ method: "POST", path: "/v1/raft", headers: { "content-length": "0" } });
      expectEnvelope(peer, 405, "method_not_allowed");
      expect(peer.headers.allow).toBe("GET, HEAD");
      // The peer endpoint is a route of the app, not an operation of the API document.
      const paths = Object.keys((await httpJson("GET", `${served.url}/openapi.json`)).body.paths);
      expect(paths).toContain("/v1/kv/{key}");
      expect(paths).not.toContain("/v1/raft");
    },
    slow,
  );

  slowIt(
    "an empty key and the keys '.' and '..' sent as written answer in the envelope, saying they cannot be addressed",
    async () => {
      const json = { "content-type": "application/json", "content-length": "13" };
      const empty = await raw({ method: "PUT", path: "/v1/kv/", headers: json, body: '{"value":"v"}' });
      expect(expectEnvelope(empty, 400, "validation_failed").message).toContain("the key is empty");
      for (const path of ["/v1/kv/.", "/v1/kv/..", "/v1/kv/%2E%2E"]) {
        const answer = await raw({ method: "PUT", path, headers: json, body: '{"value":"v"}' });
        const code = answer.status === 404 ? "not_found_route" : "validation_failed";
        const error = expectEnvelope(answer, answer.status === 404 ? 404 : 400, code);
        expect(error.message).toContain("'.' and '..' cannot be addressed");
        expect(error.definite).toBe(true);
      }
      expect((await httpJson("GET", `${served.url}/v1/kv`)).body.items).toEqual([]);
    },
    slow,
  );

  slowIt(
    IS_DENO
      ? "a 60 KB key answers 400 saying how many bytes it has; past 64 KiB of request head Deno answers an empty 400 itself"
      : "a 100 KB key answers 400 saying how many bytes it has; past 256 KiB of request head Bun answers an empty 431 itself",
    async () => {
      const size = IS_DENO ? 60_000 : 100_000;
      const answer = await raw({ method: "GET", path: `/v1/kv/${"k".repeat(size)}` });
      const error = expectEnvelope(answer, 400, "validation_failed");
      expect(error.message).toContain(`key has ${size} UTF-8 bytes; the limit is 1024`);
      const beyond = await raw({ method: "GET", path: `/v1/kv/${"k".repeat(IS_DENO ? 70_000 : 300_000)}` });
      expect({ status: beyond.status, text: beyond.text }).toEqual({ status: IS_DENO ? 400 : 431, text: "" });
    },
    slow,
  );

  slowIt(
    "a body announced larger than 16 MiB answers 413 payload_too_large in the envelope before it is sent",
    async () => {
      const headers = { "content-type": "application/json", "content-length": String(200 * MIB) };
      const answer = await raw({ method: "PUT", path: "/v1/kv/big", headers, body: '{"value":"' });
      expect(expectEnvelope(answer, 413, "payload_too_large").definite).toBe(true);
    },
    slow,
  );

  slowIt(
    "a chunked body that passes 16 MiB answers 413 payload_too_large in the envelope",
    async () => {
      const chunk = Buffer.alloc(MIB, 0x61);
      const framed = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n")]);
      const body = Buffer.concat(Array.from({ length: 17 }, () => framed));
      const headers = { "content-type": "application/json", "transfer-encoding": "chunked" };
      const answer = await raw({ method: "PUT", path: "/v1/kv/big", headers, body, timeoutMs: 30_000 });
      expectEnvelope(answer, 413, "payload_too_large");
    },
    slow,
  );

  slowIt(
    "a DELETE with a JSON body answers 400 validation_failed, definite, and deletes nothing",
    async () => {
      expect((await httpJson("PUT", `${served.url}/v1/kv/kept`, { body: { value: "v" } })).status).toBe(200);
      const answer = await httpJson("DELETE", `${served.url}/v1/kv/kept`, { body: { expectRevision: 3 } });
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe("validation_failed");
      expect(answer.body.error.message).toContain("?expectRevision=…&expectValue=…");
      expect(answer.body.error.definite).toBe(true);
      expect((await httpJson("GET", `${served.url}/v1/kv/kept`)).status).toBe(200);
    },
    slow,
  );

  slowIt(
    "the peer endpoint answers a malformed handshake with 400 invalid_handshake and a plain request with 426, in the envelope",
    async () => {
      const badKey = await raw({
        method: "GET",
        path: "/v1/raft",
        headers: { ...upgrade, "sec-websocket-key": "bad" },
      });
      expect(expectEnvelope(badKey, 400, "invalid_handshake").message).toContain("sec-websocket-key");
      const badVersion = await raw({
        method: "GET",
        path: "/v1/raft",
        headers: { ...upgrade, "sec-websocket-version": "8" },
      });
      expectEnvelope(badVersion, 400, "invalid_handshake");
      expect(badVersion.headers["sec-websocket-version"]).toBe("13");
      const { upgrade: _, ...plainHeaders } = upgrade;
      expectEnvelope(await raw({ method: "GET", path: "/v1/raft", headers: plainHeaders }), 426, "upgrade_required");
      const wrongToken = await raw({
        method: "GET",
        path: "/v1/raft",
        headers: { ...upgrade, authorization: "Bearer x" },
      });
      expectEnvelope(wrongToken, 401, "unauthorized");
    },
    slow,
  );

  slowIt(
    "a peer with a good handshake still connects through the served app",
    async () => {
      const WebSocketImpl = defaultWebSocketImpl();
      const socket = new WebSocketImpl(`ws://127.0.0.1:${served.port}/v1/raft`, {
        headers: { authorization: `Bearer ${TOKEN}`, "x-raft-node-id": "n2" },
      });
      const opened = await new Promise<boolean>((resolve) => {
        socket.onopen = () => resolve(true);
        socket.onclose = () => resolve(false);
      });
      socket.close(1000, "done");
      expect(opened).toBe(true);
    },
    slow,
  );

  slowIt(
    "a client that goes away mid-body does not stop the node from serving",
    async () => {
      const headers = { "content-type": "application/json", "content-length": "100000" };
      for (let i = 0; i < 3; i++) {
        await raw({ method: "PUT", path: "/v1/kv/cut", headers, body: '{"value":"abc', hangUp: true });
        const live = await httpJson("GET", `${served.url}/livez`);
        expect(live.status).toBe(200);
      }
      expect((await httpJson("GET", `${served.url}/v1/kv/cut`)).status).toBe(404);
    },
    slow,
  );

  slowIt(
    "TRACE, PATCH and PROPFIND, with or without a body, answer 405 method_not_allowed in the envelope (Deno cannot rebuild a TRACE request)",
    async () => {
      for (const method of ["TRACE", "PATCH", "PROPFIND"]) {
        for (const body of [undefined, '{"value":"v"}']) {
          const headers: Record<string, string> = { ...bearerHeaders(served.url) };
          if (body !== undefined)
            Object.assign(headers, { "content-type": "application/json", "content-length": String(body.length) });
          const answer = await raw({ method, path: "/v1/kv/k", headers, body });
          expect(expectEnvelope(answer, 405, "method_not_allowed").message).toContain(`Cannot ${method} /v1/kv/k`);
        }
      }
      const announced = {
        ...bearerHeaders(served.url),
        "content-type": "application/json",
        "content-length": String(200 * MIB),
      };
      const answer = await raw({ method: "PATCH", path: "/v1/kv/k", headers: announced, body: "{" });
      expectEnvelope(answer, 405, "method_not_allowed"); // Its body is never read, however large.
    },
    slow,
  );
});
