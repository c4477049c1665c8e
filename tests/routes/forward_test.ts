import { describe, expect, it } from "bun:test";
import { DEFAULT_FORWARD_TIMEOUTS, FORWARD_MARGIN_MS, type ForwardTimeouts } from "../../src/http/forward.ts";
import { DEFAULT_MEMBERSHIP_SETTINGS } from "../../src/server/membership.ts";
import { expectError, fixture, LEADER, RecordingFetch, send } from "./helpers.ts";

/** A follower of {@link LEADER} whose forwarded requests go to `recorder`. */
function follower(recorder = new RecordingFetch(), forwardTimeouts?: Partial<ForwardTimeouts>) {
  return { ...fixture({ leader: LEADER, fetch: recorder.fetch, forwardTimeouts }), recorder };
}

/** A fetch that never answers: it rejects only when its request is aborted. */
function silentLeader(): RecordingFetch {
  return new RecordingFetch(
    (request) =>
      new Promise((_, reject) => {
        request.signal?.addEventListener("abort", () => reject(request.signal?.reason));
      }),
  );
}

describe("forwarding to the leader", () => {
  it("PUT /v1/kv/{key} on a follower is forwarded with method, path, query, body and x-raft-forwarded", async () => {
    const { app, service, recorder } = follower();
    const headers = { authorization: "Bearer secret-token" };
    await send(app, "PUT", "/v1/kv/a%2Fb?redirect=false", { value: "v", expectRevision: 0 }, headers);
    expect(recorder.requests.length).toBe(1);
    const [request] = recorder.requests;
    expect(request.url).toBe("http://10.0.0.2:7001/v1/kv/a%2Fb?redirect=false");
    expect(request.method).toBe("PUT");
    expect(JSON.parse(request.body ?? "")).toEqual({ value: "v", expectRevision: 0 });
    expect(request.headers.get("x-raft-forwarded")).toBe("n1");
    expect(request.headers.get("content-type")).toBe("application/json");
    expect(request.headers.get("authorization")).toBe("Bearer secret-token");
    expect(request.signal).toBeDefined();
    expect(service.calls).toEqual([]);
  });

  it("a key-value write is forwarded on a pooled connection with an idempotency key: the client's, or one the follower makes", async () => {
    const fresh = new RecordingFetch();
    const pooled = new RecordingFetch();
    const { app } = fixture({ leader: LEADER, fetch: fresh.fetch, pooledFetch: pooled.fetch });
    await send(app, "PUT", "/v1/kv/a", { value: "v" });
    await send(app, "PUT", "/v1/kv/b", { value: "v" }, { "idempotency-key": '"client-key"' });
    await send(app, "DELETE", "/v1/kv/c");
    await send(app, "GET", "/v1/kv/d");
    expect(fresh.requests).toEqual([]);
    const keys = pooled.requests.map(
      (r) => `${r.method} ${new URL(r.url).pathname} ${r.headers.get("idempotency-key")}`,
    );
    expect(keys[0]).toMatch(/^PUT \/v1\/kv\/a "fwd-n1-[0-9a-f-]{36}"$/);
    expect(keys[1]).toBe('PUT /v1/kv/b "client-key"');
    expect(keys[2]).toMatch(/^DELETE \/v1\/kv\/c "fwd-n1-[0-9a-f-]{36}"$/);
    expect(keys[3]).toBe("GET /v1/kv/d null");
    expect(new Set(keys).size).toBe(4);
  });

  it("writes without idempotency keys (membership, snapshot) are forwarded on a new connection, with no key added", async () => {
    const fresh = new RecordingFetch();
    const pooled = new RecordingFetch();
    const { app } = fixture({ leader: LEADER, fetch: fresh.fetch, pooledFetch: pooled.fetch });
    await send(app, "POST", "/v1/cluster/members", { id: "n4", url: "http://10.0.0.4:7001" });
    await send(app, "DELETE", "/v1/cluster/members/n3");
    await send(app, "POST", "/v1/cluster/leader", {});
    expect(pooled.requests).toEqual([]);
    expect(
      fresh.requests.map((r) => `${r.method} ${new URL(r.url).pathname} ${r.headers.get("idempotency-key")}`),
    ).toEqual(["POST /v1/cluster/members null", "DELETE /v1/cluster/members/n3 null", "POST /v1/cluster/leader null"]);
  });

  it("a forwarded request returns the leader's status, content type, raft headers and body", async () => {
    const leaderBody = { key: "k", revision: 40, index: 40, prev: null };
    const recorder = new RecordingFetch(() =>
      Response.json(leaderBody, {
        status: 200,
        headers: { "x-raft-index": "40", "x-raft-served-by": "n2", "x-other": "1" },
      }),
    );
    const { app } = follower(recorder);
    const answer = await send(app, "PUT", "/v1/kv/k", { value: "v" });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(leaderBody);
    expect(answer.headers.get("content-type")).toContain("application/json");
    expect(answer.headers.get("x-raft-index")).toBe("40");
    expect(answer.headers.get("x-raft-served-by")).toBe("n2");
    expect(answer.headers.get("x-other")).toBeNull();
  });

  it("a forwarded request relays the leader's error answer unchanged", async () => {
    const envelope = { error: { code: "compare_failed", message: "mismatch", definite: true } };
    const recorder = new RecordingFetch(() => Response.json(envelope, { status: 409 }));
    const { app } = follower(recorder);
    const answer = await send(app, "DELETE", "/v1/kv/k?expectRevision=3");
    expect(answer.status).toBe(409);
    expect(answer.body).toEqual(envelope);
    expect(recorder.requests[0].body).toBeUndefined();
    expect(recorder.requests[0].url).toBe("http://10.0.0.2:7001/v1/kv/k?expectRevision=3");
  });

  it("GET /v1/kv/{key} linearizable and leader reads are forwarded, stale reads are not", async () => {
    const { app, recorder } = follower();
    await send(app, "GET", "/v1/kv/k");
    await send(app, "GET", "/v1/kv?consistency=leader&prefix=a");
    await send(app, "GET", "/v1/kv/k?consistency=stale");
    expect(recorder.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      "GET http://10.0.0.2:7001/v1/kv/k",
      "GET http://10.0.0.2:7001/v1/kv?consistency=leader&prefix=a",
    ]);
  });

  it("a leader URL with a trailing slash or a path prefix is joined without a double slash", async () => {
    const recorder = new RecordingFetch();
    const { app } = fixture({ leader: { id: "n2", url: "https://example.test/raft/" }, fetch: recorder.fetch });
    await send(app, "GET", "/v1/kv/k");
    expect(recorder.requests[0].url).toBe("https://example.test/raft/v1/kv/k");
  });

  it("POST /v1/cluster and GET /v1/status are never forwarded", async () => {
    const recorder = new RecordingFetch();
    const { app } = fixture({ leader: LEADER, bootstrapped: false, fetch: recorder.fetch });
    const members = [{ id: "n1", url: "http://10.0.0.1:7001" }];
    expect((await send(app, "POST", "/v1/cluster", { members })).status).toBe(201);
    expect((await send(app, "GET", "/v1/status")).status).toBe(200);
    expect(recorder.requests).toEqual([]);
  });
});

describe("forwarding through --peer-via", () => {
  it("a follower forwards to the leader's via address, and a redirect still names the leader's member URL", async () => {
    const recorder = new RecordingFetch();
    const peerVia = new Map([[LEADER.id, "http://127.0.0.1:9123"]]);
    const { app } = fixture({ leader: LEADER, fetch: recorder.fetch, peerVia });
    await send(app, "PUT", "/v1/kv/k?x=1", { value: "v" });
    expect(recorder.requests.map((r) => r.url)).toEqual(["http://127.0.0.1:9123/v1/kv/k?x=1"]);
    const redirected = await send(app, "PUT", "/v1/kv/k?redirect=true", { value: "v" });
    expect(redirected.status).toBe(307);
    expect(redirected.headers.get("location")).toBe(`${LEADER.url}/v1/kv/k`);
  });

  it("a forward through a via address that fails names both addresses", async () => {
    const recorder = new RecordingFetch(() => Promise.reject(new TypeError("connection refused")));
    const peerVia = new Map([[LEADER.id, "http://127.0.0.1:9123"]]);
    const { app } = fixture({ leader: LEADER, fetch: recorder.fetch, peerVia });
    const error = expectError(await send(app, "PUT", "/v1/kv/k", { value: "v" }), 502, "leader_unreachable");
    expect(error.message).toContain(`${LEADER.url} (dialed via http://127.0.0.1:9123)`);
    expect(error.definite).toBe(false);
  });
});

describe("loop prevention", () => {
  it("a request that already carries x-raft-forwarded is not forwarded again: 503 not_leader with the leader", async () => {
    const { app, recorder } = follower();
    const headers = { "x-raft-forwarded": "n3" };
    const error = expectError(await send(app, "PUT", "/v1/kv/k", { value: "v" }, headers), 503, "not_leader");
    expect(error.details.leader).toEqual(LEADER);
    expect(error.definite).toBe(true);
    expect(error.message).toContain("n3");
    expect(recorder.requests).toEqual([]);
  });

  it("a forwarded request reaching a node that knows no leader answers 503 no_leader", async () => {
    const recorder = new RecordingFetch();
    const { app } = fixture({ leader: null, fetch: recorder.fetch });
    const headers = { "x-raft-forwarded": "n3" };
    expectError(await send(app, "GET", "/v1/kv/k", undefined, headers), 503, "no_leader");
    expect(recorder.requests).toEqual([]);
  });

  it("a forwarded request is served normally by the leader", async () => {
    const { app } = fixture();
    const answer = await send(app, "PUT", "/v1/kv/k", { value: "v" }, { "x-raft-forwarded": "n3" });
    expect(answer.status).toBe(200);
  });
});

describe("no leader and redirects", () => {
  it("PUT /v1/kv/{key} answers 503 no_leader, definite, when no leader is known", async () => {
    const recorder = new RecordingFetch();
    const { app, service } = fixture({ leader: null, fetch: recorder.fetch });
    const error = expectError(await send(app, "PUT", "/v1/kv/k", { value: "v" }), 503, "no_leader");
    expect(error.definite).toBe(true); // It never left this node.
    expect(recorder.requests).toEqual([]);
    expect(service.calls).toEqual([]);
  });

  it("GET /v1/kv/{key} answers 503 no_leader without definite when no leader is known", async () => {
    const { app } = fixture({ leader: null });
    expect(expectError(await send(app, "GET", "/v1/kv/k"), 503, "no_leader").definite).toBeUndefined();
  });

  it("?redirect=true answers 307 with Location on the leader, keeping the rest of the query", async () => {
    const { app, recorder } = follower();
    const answer = await send(app, "DELETE", "/v1/kv/a%2Fb?redirect=true&expectRevision=4");
    expect(answer.status).toBe(307);
    expect(answer.headers.get("location")).toBe("http://10.0.0.2:7001/v1/kv/a%2Fb?expectRevision=4");
    expect(answer.headers.get("x-raft-leader")).toBe("n2");
    expect(recorder.requests).toEqual([]);
  });

  it("?redirect=true on a read without other parameters redirects to the bare path", async () => {
    const { app } = follower();
    const answer = await send(app, "GET", "/v1/kv/k?redirect=true");
    expect(answer.status).toBe(307);
    expect(answer.headers.get("location")).toBe("http://10.0.0.2:7001/v1/kv/k");
  });

  it("?redirect=true on the leader is served locally", async () => {
    const { app } = fixture();
    expect((await send(app, "PUT", "/v1/kv/k?redirect=true", { value: "v" })).status).toBe(200);
  });
});

describe("forward timeouts", () => {
  it("by default a follower waits longer than the leader's own bounds, so the leader's answer (even its timeout) wins", () => {
    expect(FORWARD_MARGIN_MS).toBeGreaterThan(0);
    expect(DEFAULT_FORWARD_TIMEOUTS.request).toBe(5000 + FORWARD_MARGIN_MS);
    expect(DEFAULT_FORWARD_TIMEOUTS.membership).toBe(DEFAULT_MEMBERSHIP_SETTINGS.changeTimeoutMs + FORWARD_MARGIN_MS);
  });

  const membershipCalls: ReadonlyArray<readonly [string, string, unknown]> = [
    ["POST", "/v1/cluster/members", { id: "n4", url: "http://10.0.0.4:7001" }],
    ["POST", "/v1/cluster/members/n2/promote", undefined],
    ["DELETE", "/v1/cluster/members/n2", undefined],
    ["POST", "/v1/cluster/leader", {}],
  ];
  for (const [method, path, body] of membershipCalls) {
    it(`${method} ${path} waits the membership timeout for the leader, not the request timeout`, async () => {
      const recorder = silentLeader();
      const { app } = follower(recorder, { request: 10_000_000, membership: 25 });
      const error = expectError(await send(app, method, path, body), 504, "timeout");
      expect(error.message).toContain("25 ms");
      expect(error.definite).toBe(false);
      expect(recorder.requests.map((r) => `${r.method} ${new URL(r.url).pathname}`)).toEqual([`${method} ${path}`]);
    });
  }

  for (const [method, path, body] of [
    ["PUT", "/v1/kv/k", { value: "v" }],
    ["DELETE", "/v1/kv/k", undefined],
    ["GET", "/v1/kv/k", undefined],
    ["GET", "/v1/kv", undefined],
    ["GET", "/v1/cluster/members", undefined],
  ] as const) {
    it(`${method} ${path} waits the request timeout for the leader`, async () => {
      const { app } = follower(silentLeader(), { request: 25, membership: 10_000_000 });
      const error = expectError(await send(app, method, path, body), 504, "timeout");
      expect(error.message).toContain("25 ms");
    });
  }

  it("refuses a forward timeout that is not a positive integer", () => {
    expect(() => follower(new RecordingFetch(), { membership: 0 })).toThrow(/membership/);
    expect(() => follower(new RecordingFetch(), { request: Number.NaN })).toThrow(/request/);
  });
});

describe("forwarding failures", () => {
  it("a forwarded write that times out answers 504 timeout with definite: false", async () => {
    const { app } = follower(silentLeader(), { request: 20 });
    const error = expectError(await send(app, "PUT", "/v1/kv/k", { value: "v" }), 504, "timeout");
    expect(error.definite).toBe(false);
    expect(error.message).toContain("20 ms");
    expect(error.details.leader).toEqual(LEADER);
  });

  it("a forwarded write whose connection is refused answers 502 leader_unreachable with definite: false", async () => {
    const refused = Object.assign(new TypeError("fetch failed"), { code: "ECONNREFUSED" });
    const { app } = follower(new RecordingFetch(() => Promise.reject(refused)));
    const error = expectError(await send(app, "PUT", "/v1/kv/k", { value: "v" }), 502, "leader_unreachable");
    expect(error.definite).toBe(false); // It may have reached the leader on another connection.
    expect(error.message).toContain("http://10.0.0.2:7001");
  });

  it("a forwarded write that fails after connecting answers 502 leader_unreachable with definite: false", async () => {
    const reset = new TypeError("The socket connection was closed unexpectedly");
    const { app } = follower(new RecordingFetch(() => Promise.reject(reset)));
    const error = expectError(await send(app, "PUT", "/v1/kv/k", { value: "v" }), 502, "leader_unreachable");
    expect(error.definite).toBe(false);
  });

  it("a forwarded read that fails answers 502 leader_unreachable without definite", async () => {
    const { app } = follower(new RecordingFetch(() => Promise.reject(new TypeError("boom"))));
    expect(expectError(await send(app, "GET", "/v1/kv/k"), 502, "leader_unreachable").definite).toBeUndefined();
  });
});

describe("leadership lost mid-request", () => {
  it("a not_leader answer from the service is forwarded once to the leader it names", async () => {
    const recorder = new RecordingFetch();
    const { app, service } = fixture({ fetch: recorder.fetch });
    service.failNext("put", "not_leader", { leader: LEADER, definite: true });
    const answer = await send(app, "PUT", "/v1/kv/k", { value: "v" });
    expect(answer.status).toBe(200);
    expect(recorder.requests.length).toBe(1);
    expect(JSON.parse(recorder.requests[0].body ?? "")).toEqual({ value: "v" });
    expect(recorder.requests[0].headers.get("x-raft-forwarded")).toBe("n1");
  });

  it("a not_leader answer is redirected with ?redirect=true", async () => {
    const { app, service } = fixture();
    service.failNext("get", "not_leader", { leader: LEADER });
    const answer = await send(app, "GET", "/v1/kv/k?redirect=true&consistency=leader");
    expect(answer.status).toBe(307);
    expect(answer.headers.get("location")).toBe("http://10.0.0.2:7001/v1/kv/k?consistency=leader");
  });

  it("a not_leader answer on an already forwarded request is 503 not_leader, not a second forward", async () => {
    const recorder = new RecordingFetch();
    const { app, service } = fixture({ fetch: recorder.fetch });
    service.failNext("delete", "not_leader", { leader: LEADER });
    const answer = await send(app, "DELETE", "/v1/kv/k", undefined, { "x-raft-forwarded": "n3" });
    expectError(answer, 503, "not_leader");
    expect(recorder.requests).toEqual([]);
  });

  it("a not_leader answer naming this node or nobody is 503 no_leader", async () => {
    const { app, service } = fixture();
    service.failNext("put", "not_leader", { leader: service.self }).failNext("put", "not_leader", { leader: null });
    expectError(await send(app, "PUT", "/v1/kv/k", { value: "v" }), 503, "no_leader");
    expectError(await send(app, "PUT", "/v1/kv/k", { value: "v" }), 503, "no_leader");
    expect(service.calls.length).toBe(2);
  });
});
