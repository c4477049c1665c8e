/**
 * Requests the runtime's own HTTP parser refuses before the app sees them, so their answers are
 * the runtime's (an empty 400, 431 or 505, or a closed connection), not the envelope: unknown
 * method tokens, raw bytes that are not UTF-8 or not allowed in the request line, a bad
 * Content-Length, a request head over the runtime's limit, WebSocket frame bytes with no HTTP
 * request at all. The property: none is ever a success, and the node stays up and unchanged.
 * Also a real chunked body over the node's limit, which the app itself answers with 413.
 */
import { afterAll, beforeAll, describe, expect } from "bun:test";
import { connect } from "node:net";
import fc from "fast-check";
import { rawHttp } from "../helpers/raw_http.ts";
import { slowIt } from "../helpers/slow_test.ts";
import { FUZZ_TOKENS, type FuzzNode, startFuzzNode } from "./fuzz_node.ts";
import { fuzzParameters, fuzzRuns, fuzzTimeoutMs } from "./fuzz_runs.ts";

const CI_RUNS = 40;
const auth = { authorization: `Bearer ${FUZZ_TOKENS.admin}` };

/** Writes `bytes` to the node's port and resolves once the connection closes (or after 10 s). */
function rawBytes(port: number, bytes: Uint8Array): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let got = "";
    const timer = setTimeout(() => socket.destroy(), 10_000);
    socket.on("connect", () => socket.end(bytes));
    socket.on("data", (chunk) => {
      got += chunk.toString("latin1");
    });
    const done = () => {
      clearTimeout(timer);
      resolve(got);
    };
    socket.on("close", done);
    socket.on("error", () => undefined); // A close follows.
  });
}

/** A masked WebSocket text frame carrying `text` (what a peer sends after a handshake). */
function webSocketFrame(text: string): Uint8Array {
  const payload = new TextEncoder().encode(text.slice(0, 100));
  const mask = [1, 2, 3, 4];
  return new Uint8Array([0x81, 0x80 | payload.length, ...mask, ...payload.map((b, i) => b ^ mask[i % 4])]);
}

const runtimeRefusedArb = fc.oneof(
  fc.constantFrom("FUZZ", "G=T", "CONNECT").map((method) => ({ method, path: "/v1/kv/k", headers: auth })),
  fc
    .constantFrom("/v1/kv/a b", "/v1/kv/\u0001", "/v1/kv/\u00ff", "/v1/kv?x=\u00fe")
    .map((path) => ({ method: "GET", path, headers: auth })),
  fc.constantFrom("abc", "-1", "1, 2", "0x10").map((length) => ({
    method: "PUT",
    path: "/v1/kv/k",
    headers: { ...auth, "content-type": "application/json", "content-length": length },
    body: '{"value":"v"}',
  })),
  fc.constant({ method: "GET", path: "/v1/kv/k", headers: { ...auth, "x-huge": "h".repeat(300 * 1024) } }),
);

describe("requests the runtime refuses itself", () => {
  let node: FuzzNode;
  beforeAll(async () => {
    node = await startFuzzNode();
  }, 60_000);
  afterAll(() => node?.served.stop(), 60_000);

  slowIt(
    "are never answered with a success, and the node stays up and unchanged",
    async () => {
      const before = await node.fingerprint();
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            runtimeRefusedArb.map((r) => ({ http: r })),
            fc.string().map((t) => ({ frame: t })),
          ),
          async (c) => {
            if ("http" in c) {
              const answer = await rawHttp(node.served.port, { ...c.http, headEncoding: "latin1" });
              expect(answer.status === 0 || answer.status >= 400).toBe(true);
            } else {
              const reply = await rawBytes(node.served.port, webSocketFrame(c.frame));
              expect(/^HTTP\/1\.1 [23]/.test(reply)).toBe(false);
            }
            expect(await node.isLive()).toBe(true);
          },
        ),
        fuzzParameters(CI_RUNS),
      );
      expect(await node.fingerprint()).toBe(before);
    },
    { timeoutMs: fuzzTimeoutMs(fuzzRuns(CI_RUNS), 200) },
  );

  slowIt(
    "a chunked body that grows past 16 MiB answers 413 payload_too_large in the envelope",
    async () => {
      const before = await node.fingerprint();
      const chunk = `${(1024 * 1024).toString(16)}\r\n${"a".repeat(1024 * 1024)}\r\n`;
      const body = `${chunk.repeat(17)}0\r\n\r\n`;
      const headers = { ...auth, "content-type": "application/json", "transfer-encoding": "chunked" };
      const answer = await rawHttp(node.served.port, {
        method: "PUT",
        path: "/v1/kv/k",
        headers,
        body,
        timeoutMs: 30_000,
      });
      expect({ status: answer.status, code: answer.body?.error?.code }).toEqual({
        status: 413,
        code: "payload_too_large",
      });
      expect(await node.isLive()).toBe(true);
      expect(await node.fingerprint()).toBe(before);
    },
    { timeoutMs: 60_000 },
  );
});
