import { describe, expect, it } from "bun:test";
import { expectError, fixture, LEADER, send } from "./helpers.ts";

describe("GET /v1/status", () => {
  it("GET /v1/status answers 200 with the node's status and index/term headers", async () => {
    const { app, service } = fixture();
    const answer = await send(app, "GET", "/v1/status");
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(service.status());
    expect(answer.body.role).toBe("leader");
    expect(answer.headers.get("x-raft-index")).toBe("10");
    expect(answer.headers.get("x-raft-term")).toBe("3");
  });

  it("GET /v1/status on a follower shows the leader and is served locally", async () => {
    const { app } = fixture({ leader: LEADER });
    const answer = await send(app, "GET", "/v1/status");
    expect(answer.body.role).toBe("follower");
    expect(answer.body.leader).toEqual(LEADER);
  });

  it("GET /v1/status shows only the documented fields", async () => {
    const { app, service } = fixture();
    const status = service.status();
    service.status = () => ({ ...status, internalQueue: [1, 2, 3] }) as typeof status;
    const answer = await send(app, "GET", "/v1/status");
    expect(answer.body.internalQueue).toBeUndefined();
    expect(answer.body).toEqual(status);
  });

  it("GET /v1/status on a leader lists each follower's progress and the options in force", async () => {
    const { app, service } = fixture();
    service.roster.push({ id: "n2", url: "http://127.0.0.1:7002", role: "voter" });
    service.roster.push({ id: "n3", url: "http://127.0.0.1:7003", role: "learner" });
    const answer = await send(app, "GET", "/v1/status");
    expect(answer.status).toBe(200);
    expect(answer.body.progress.map((p: { id: string }) => p.id)).toEqual(["n2", "n3"]);
    expect(answer.body.progress[0]).toEqual({
      ...{ id: "n2", voter: true, matchIndex: 10, nextIndex: 11, inflight: 0 },
      ...{ state: "replicate", ticksSinceContact: 0, lastContactMs: 12 },
    });
    expect(answer.body.options).toEqual({ preVote: true, checkQuorum: true });
  });

  it("GET /v1/status on a follower lists no progress", async () => {
    const { app } = fixture({ leader: LEADER });
    const answer = await send(app, "GET", "/v1/status");
    expect(answer.body.progress).toEqual([]);
  });

  it("GET /v1/status shows only the documented fields of each follower's progress", async () => {
    const { app, service } = fixture();
    service.roster.push({ id: "n2", url: "http://127.0.0.1:7002", role: "voter" });
    const status = service.status();
    const progress = status.progress.map((p) => ({ ...p, lastContactMs: null, internalWindow: [1, 2] }));
    service.status = () => ({ ...status, progress });
    const answer = await send(app, "GET", "/v1/status");
    expect(answer.body.progress[0].internalWindow).toBeUndefined();
    expect(answer.body.progress[0].lastContactMs).toBeNull();
  });

  it("POST /v1/status answers 405 method_not_allowed with an allow header", async () => {
    const { app } = fixture();
    const answer = await send(app, "POST", "/v1/status", {});
    expectError(answer, 405, "method_not_allowed");
    expect(answer.headers.get("allow")).toBe("GET, HEAD");
  });
});

describe("GET /livez and GET /readyz", () => {
  it("GET /livez answers 200 even without a leader or a cluster", async () => {
    const { app } = fixture({ leader: null, bootstrapped: false });
    const answer = await send(app, "GET", "/livez");
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ live: true });
  });

  it("GET /readyz answers 200 when the node is a member and knows a leader", async () => {
    const { app } = fixture({ leader: LEADER });
    const answer = await send(app, "GET", "/readyz");
    expect(answer.status).toBe(200);
    expect(answer.body.ready).toBe(true);
    expect(answer.body.checks.map((c: { name: string; ok: boolean }) => [c.name, c.ok])).toEqual([
      ["cluster", true],
      ["leader", true],
    ]);
  });

  it("GET /readyz answers 503 with the failed leader check when no leader is known", async () => {
    const { app } = fixture({ leader: null });
    const answer = await send(app, "GET", "/readyz");
    expect(answer.status).toBe(503);
    expect(answer.body.ready).toBe(false);
    expect(answer.body.checks[1]).toEqual({ name: "leader", ok: false, message: "no leader is known" });
  });

  it("GET /readyz answers 503 with the failed cluster check before bootstrap", async () => {
    const { app } = fixture({ bootstrapped: false, leader: null });
    const answer = await send(app, "GET", "/readyz");
    expect(answer.status).toBe(503);
    expect(answer.body.checks[0]).toEqual({ name: "cluster", ok: false, message: "n1 is not part of a cluster" });
  });
});
