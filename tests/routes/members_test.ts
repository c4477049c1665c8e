import { describe, expect, it } from "bun:test";
import { expectError, fixture, send } from "./helpers.ts";

const N2 = { id: "n2", url: "http://127.0.0.1:7002" };

describe("GET /v1/cluster/members", () => {
  it("lists every member with its role and replication state", async () => {
    const { app, service } = fixture();
    service.roster.push({ ...N2, role: "voter" });
    const answer = await send(app, "GET", "/v1/cluster/members");
    expect(answer.status).toBe(200);
    expect(answer.body.members).toEqual([
      {
        id: "n1",
        url: "http://127.0.0.1:7001",
        role: "voter",
        leader: true,
        matchIndex: null,
        lag: null,
        lastContactMs: null,
        reachable: true,
        promotionPending: false,
      },
      {
        ...N2,
        role: "voter",
        leader: false,
        matchIndex: 10,
        lag: 0,
        lastContactMs: 12,
        reachable: true,
        promotionPending: false,
      },
    ]);
  });

  it("on a follower with ?redirect=true answers 307 to the leader; consistency=stale answers locally", async () => {
    const { app } = fixture({ id: "n2", url: N2.url, leader: { id: "n1", url: "http://127.0.0.1:7001" } });
    const redirected = await send(app, "GET", "/v1/cluster/members?redirect=true");
    expect(redirected.status).toBe(307);
    expect(redirected.headers.get("location")).toBe("http://127.0.0.1:7001/v1/cluster/members");
    const local = await send(app, "GET", "/v1/cluster/members?consistency=stale");
    expect(local.status).toBe(200);
    expect(local.body.members.map((m: { id: string }) => m.id)).toEqual(["n2"]);
  });

  it("refuses an unknown query parameter (400 validation_failed)", async () => {
    const { app } = fixture();
    expectError(await send(app, "GET", "/v1/cluster/members?verbose=1"), 400, "validation_failed");
  });
});

describe("POST /v1/cluster/members", () => {
  it("adds a member (201), is idempotent for the same id and URL (200), and refuses another URL (409)", async () => {
    const { app, service } = fixture();
    const added = await send(app, "POST", "/v1/cluster/members", N2);
    expect(added.status).toBe(201);
    expect(added.body.changed).toBe(true);
    expect(service.calls.at(-1)).toEqual({ method: "addMember", args: [N2, { learner: false }] });
    const again = await send(app, "POST", "/v1/cluster/members", N2);
    expect(again.status).toBe(200);
    expect(again.body.changed).toBe(false);
    const conflict = expectError(
      await send(app, "POST", "/v1/cluster/members", { ...N2, url: "http://127.0.0.1:9999" }),
      409,
      "member_conflict",
    );
    expect(conflict.definite).toBe(true);
  });

  it("passes learner: true through, and validates the body", async () => {
    const { app, service } = fixture();
    expect((await send(app, "POST", "/v1/cluster/members", { ...N2, learner: true })).status).toBe(201);
    expect(service.calls.at(-1)?.args[1]).toEqual({ learner: true });
    expectError(
      await send(app, "POST", "/v1/cluster/members", { id: "bad id", url: N2.url }),
      400,
      "validation_failed",
    );
    expectError(await send(app, "POST", "/v1/cluster/members", { id: "n3", url: "ftp://x" }), 400, "validation_failed");
    expectError(await send(app, "POST", "/v1/cluster/members", { ...N2, extra: 1 }), 400, "validation_failed");
  });

  it("maps each refusal of the service to its status, definite", async () => {
    const { app, service } = fixture();
    for (const [code, status] of [
      ["learner_behind", 409],
      ["change_in_progress", 409],
      ["quorum_at_risk", 409],
      ["timeout", 504],
    ] as const) {
      service.failNext("addMember", code, { definite: code !== "timeout" });
      const error = expectError(await send(app, "POST", "/v1/cluster/members", N2), status, code);
      expect(error.definite).toBe(code !== "timeout");
    }
  });

  it("needs the admin token when one is set", async () => {
    const { app } = fixture({ auth: { mode: "tokens", adminToken: "admin-secret-1" } });
    expectError(await send(app, "POST", "/v1/cluster/members", N2), 401, "unauthorized");
    const answer = await send(app, "POST", "/v1/cluster/members", N2, { authorization: "Bearer admin-secret-1" });
    expect(answer.status).toBe(201);
  });
});

describe("promote, remove, transfer", () => {
  it("POST /v1/cluster/members/{id}/promote promotes a learner; an unknown member is 404", async () => {
    const { app, service } = fixture();
    service.roster.push({ ...N2, role: "learner" });
    const answer = await send(app, "POST", "/v1/cluster/members/n2/promote");
    expect(answer.status).toBe(200);
    expect(answer.body.members.find((m: { id: string }) => m.id === "n2").role).toBe("voter");
    expectError(await send(app, "POST", "/v1/cluster/members/n9/promote"), 404, "not_found");
  });

  it("DELETE /v1/cluster/members/{id} removes, passing force", async () => {
    const { app, service } = fixture();
    service.roster.push({ ...N2, role: "voter" });
    const answer = await send(app, "DELETE", "/v1/cluster/members/n2?force=true");
    expect(answer.status).toBe(200);
    expect(service.calls.at(-1)).toEqual({ method: "removeMember", args: ["n2", { force: true }] });
    expect(answer.body.members.map((m: { id: string }) => m.id)).toEqual(["n1"]);
    await send(app, "DELETE", "/v1/cluster/members/n1");
    expect(service.calls.at(-1)).toEqual({ method: "removeMember", args: ["n1", { force: false }] });
  });

  it("POST /v1/cluster/leader hands leadership over and names the new leader", async () => {
    const { app, service } = fixture();
    service.roster.push({ ...N2, role: "voter" });
    const answer = await send(app, "POST", "/v1/cluster/leader", { to: "n2" });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ leader: N2, term: 4 });
    const { app: other } = fixture();
    expect((await send(other, "POST", "/v1/cluster/leader", {})).status).toBe(404); // No other voter.
  });
});
