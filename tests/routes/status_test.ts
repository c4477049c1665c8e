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
      ["quorum", true],
      ["storage", true],
      ["caught_up", true],
    ]);
  });

  it("GET /readyz answers 503 on a leader no quorum answered, on failed storage, or far behind in applying", async () => {
    for (const [facts, failed] of [
      [{ leaderQuorum: false }, "quorum"],
      [{ storageWritable: false }, "storage"],
      [{ applyLag: 1001 }, "caught_up"],
    ] as const) {
      const { app, service } = fixture();
      service.readinessFacts = { ...service.readinessFacts, ...facts };
      const answer = await send(app, "GET", "/readyz");
      expect(answer.status).toBe(503);
      expect(answer.body.checks.filter((c: { ok: boolean }) => !c.ok).map((c: { name: string }) => c.name)).toEqual([
        failed,
      ]);
    }
    const { app, service } = fixture();
    service.readinessFacts = { ...service.readinessFacts, applyLag: 1000 };
    expect((await send(app, "GET", "/readyz")).status).toBe(200); // At the bound: still ready.
  });

  it("GET /readyz?verbose answers one text line per check and the verdict", async () => {
    const { app, service } = fixture();
    expect((await send(app, "GET", "/readyz?verbose")).body).toBe(
      "[+]cluster ok\n[+]leader ok\n[+]quorum ok\n[+]storage ok\n[+]caught_up ok\nreadyz check passed\n",
    );
    service.readinessFacts = { ...service.readinessFacts, storageWritable: false };
    const answer = await send(app, "GET", "/readyz?verbose=1");
    expect(answer.status).toBe(503);
    expect(answer.body).toContain("[-]storage failed: the storage failed or the node is stopping\n");
    expect(answer.body.endsWith("readyz check failed\n")).toBe(true);
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
