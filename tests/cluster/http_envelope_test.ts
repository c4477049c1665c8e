/**
 * Every answer of a real node process is the JSON error envelope, including the requests the
 * runtime's HTTP server could have answered itself. One node that is not part of a cluster is
 * enough: none of these requests reach the Raft log.
 */
import { afterAll, describe, expect } from "bun:test";
import { Buffer } from "node:buffer";
import { type NodeRuntime, ProcessCluster } from "../helpers/process_cluster.ts";
import { type RawAnswer, type RawRequest, rawHttp } from "../helpers/raw_http.ts";
import { waitFor } from "../helpers/wait_for.ts";
import { clusterIt, STOP_TIMEOUT_MS } from "./cluster_scenarios.ts";

/** Asserts the error envelope with `status` and one of `codes`; returns its `error`. */
// biome-ignore lint/suspicious/noExplicitAny: the envelope's details are arbitrary JSON.
function expectEnvelope(answer: RawAnswer, status: number, ...codes: string[]): any {
  const summary = `${answer.status} ${answer.text.slice(0, 300)}`;
  expect({ status: answer.status, json: answer.headers["content-type"]?.includes("application/json") }).toEqual({
    status,
    json: true,
  });
  expect(codes).toContain(answer.body?.error?.code ?? summary);
  expect(typeof answer.body.error.message).toBe("string");
  return answer.body.error;
}

/** Lines of node output that belong to a stack trace or an inspected error object. */
function stackLines(output: string): string[] {
  return output.split("\n").filter((line) => /^\s+at |DOMException|Unexpected error|^\s+\w+_ERR: \d+/.test(line));
}

for (const runtime of ["bun", "deno"] as NodeRuntime[]) {
  describe(`every answer of a ${runtime} node process is the error envelope`, () => {
    const cluster = new ProcessCluster({ runtimes: [runtime], logLevel: "debug" });
    afterAll(() => cluster.stop(), { timeout: STOP_TIMEOUT_MS });
    // Requests carry the cluster's admin token, as a configured client's do (a request's own headers win).
    const raw = (request: RawRequest) =>
      rawHttp(cluster.nodes[0].port, {
        ...request,
        headers: { authorization: `Bearer ${cluster.adminToken}`, ...request.headers },
      });
    const json = (body: string) => ({ "content-type": "application/json", "content-length": String(body.length) });

    clusterIt(cluster, "an unknown route answers 404 and a wrong method 405 with Allow", async () => {
      await cluster.start();
      expectEnvelope(await raw({ method: "GET", path: "/nope" }), 404, "not_found_route");
      const wrong = await raw({ method: "PATCH", path: "/v1/kv/a" });
      expect(expectEnvelope(wrong, 405, "method_not_allowed").message).toContain("Cannot PATCH /v1/kv/a");
      expect(wrong.headers.allow).toBe("DELETE, GET, HEAD, PUT");
    });

    clusterIt(cluster, "an empty key and the keys '.' and '..' sent as written answer in the envelope", async () => {
      const body = '{"value":"v"}';
      const empty = await raw({ method: "PUT", path: "/v1/kv/", headers: json(body), body });
      expect(expectEnvelope(empty, 400, "validation_failed").message).toContain("the key is empty");
      for (const path of ["/v1/kv/.", "/v1/kv/.."]) {
        // Bun resolves the path first (so '.' is the empty key and '..' is /v1/); Deno passes it on
        // to the key route, where a node without a leader answers before looking at the key.
        const answer = await raw({ method: "PUT", path, headers: json(body), body });
        const expected = runtime === "deno" ? 503 : path === "/v1/kv/." ? 400 : 404;
        expectEnvelope(answer, expected, "validation_failed", "not_found_route", "no_leader");
        const stale = await raw({ method: "GET", path: `${path}?consistency=stale` });
        expect(expectEnvelope(stale, stale.status, "validation_failed", "not_found_route").message).toContain(
          "'.' and '..' cannot be addressed",
        );
      }
    });

    clusterIt(
      cluster,
      "a key of too many bytes answers 400 saying so (up to the runtime's request head limit)",
      async () => {
        const size = runtime === "deno" ? 60_000 : 100_000;
        const answer = await raw({ method: "GET", path: `/v1/kv/${"k".repeat(size)}?consistency=stale` });
        expect(expectEnvelope(answer, 400, "validation_failed").message).toContain(`key has ${size} UTF-8 bytes`);
        if (runtime === "deno") {
          // Deno answers a request head over 64 KiB itself, with an empty 400 (documented).
          const beyond = await raw({ method: "GET", path: `/v1/kv/${"k".repeat(100_000)}` });
          expect({ status: beyond.status, text: beyond.text }).toEqual({ status: 400, text: "" });
        }
      },
    );

    clusterIt(cluster, "a body announced over 16 MiB answers 413 before it is sent", async () => {
      const headers = { "content-type": "application/json", "content-length": String(200 * 1024 * 1024) };
      const answer = await raw({ method: "POST", path: "/v1/cluster", headers, body: '{"members":[' });
      expect(expectEnvelope(answer, 413, "payload_too_large").definite).toBe(true);
    });

    clusterIt(cluster, "a DELETE with a body answers 400 validation_failed pointing at the query string", async () => {
      const body = '{"expectRevision":3}';
      const answer = await raw({ method: "DELETE", path: "/v1/kv/a", headers: json(body), body });
      const error = expectEnvelope(answer, 400, "validation_failed");
      expect(error.message).toContain("send its conditions in the query string");
      expect(error.definite).toBe(true);
    });

    clusterIt(cluster, "a malformed Sec-WebSocket-Key answers 400 invalid_handshake", async () => {
      const headers = {
        authorization: `Bearer ${cluster.token}`,
        "x-raft-node-id": "n9",
        upgrade: "websocket",
        connection: "Upgrade",
        "sec-websocket-version": "13",
        "sec-websocket-key": "bad",
      };
      const answer = await raw({ method: "GET", path: "/v1/raft", headers });
      expect(expectEnvelope(answer, 400, "invalid_handshake").message).toContain("sec-websocket-key");
    });

    clusterIt(
      cluster,
      "clients that go away mid-body are one debug line each, never a stack, and the node serves on",
      async () => {
        const node = cluster.nodes[0];
        const before = node.output.split("Cannot read the body of").length;
        const chunked = { "content-type": "application/json", "transfer-encoding": "chunked" };
        const cut = [
          { method: "PUT", path: "/v1/kv/a", headers: chunked, body: 'a\r\n{"value":"\r\n' },
          { method: "POST", path: "/v1/cluster", headers: chunked, body: Buffer.from('c\r\n{"members":[\r\n') },
          { method: "PUT", path: "/v1/kv/a", headers: { ...json("x".repeat(100_000)) }, body: '{"value":"' },
        ];
        for (const request of cut) await raw({ ...request, hangUp: true });
        await waitFor(() => node.output.split("Cannot read the body of").length - before >= cut.length, {
          timeoutMs: 20_000,
          what: `${node.id} to log the requests cut off mid-body`,
        });
        expect((await raw({ method: "GET", path: "/livez" })).status).toBe(200);
        expect(stackLines(node.output)).toEqual([]);
        expect(node.running).toBe(true);
      },
    );
  });
}
