import { describe, expect, it } from "bun:test";
import { expectError, fixture, send } from "./helpers.ts";

const MEMBERS = [
  { id: "n1", url: "http://10.0.0.1:7001" },
  { id: "n2", url: "http://10.0.0.2:7001" },
  { id: "n3", url: "https://n3.example.test" },
];

describe("POST /v1/cluster", () => {
  it("POST /v1/cluster answers 201 with the members and bootstraps the node", async () => {
    const { app, service } = fixture({ bootstrapped: false, leader: null });
    const answer = await send(app, "POST", "/v1/cluster", { members: MEMBERS });
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({ members: MEMBERS });
    expect(service.calls).toEqual([{ method: "bootstrap", args: [MEMBERS] }]);
    expect(service.roster.map((m) => m.id)).toEqual(["n1", "n2", "n3"]);
  });

  it("POST /v1/cluster accepts a single member that is this node", async () => {
    const { app } = fixture({ bootstrapped: false });
    expect((await send(app, "POST", "/v1/cluster", { members: [MEMBERS[0]] })).status).toBe(201);
  });

  it("POST /v1/cluster answers 409 already_bootstrapped on a node that is in a cluster", async () => {
    const { app } = fixture();
    const error = expectError(
      await send(app, "POST", "/v1/cluster", { members: MEMBERS }),
      409,
      "already_bootstrapped",
    );
    expect(error.definite).toBe(true);
  });

  it("POST /v1/cluster answers 400 invalid_request when this node is not among the members", async () => {
    const { app, service } = fixture({ bootstrapped: false });
    const answer = await send(app, "POST", "/v1/cluster", { members: MEMBERS.slice(1) });
    const error = expectError(answer, 400, "invalid_request");
    expect(error.message).toContain("'n1'");
    expect(error.definite).toBe(true);
    expect(service.calls).toEqual([]);
  });

  it("POST /v1/cluster answers 400 for duplicate ids, naming the duplicate", async () => {
    const { app } = fixture({ bootstrapped: false });
    const members = [MEMBERS[0], { id: "n1", url: "http://10.0.0.9:7001" }];
    const error = expectError(await send(app, "POST", "/v1/cluster", { members }), 400, "validation_failed");
    expect(error.details.issues).toEqual([{ path: "members.1.id", message: "duplicate member id 'n1'" }]);
  });

  it("POST /v1/cluster answers 400 for no members and for more than 9", async () => {
    const { app } = fixture({ bootstrapped: false });
    expectError(await send(app, "POST", "/v1/cluster", { members: [] }), 400, "validation_failed");
    const many = Array.from({ length: 10 }, (_, i) => ({ id: `n${i + 1}`, url: `http://10.0.0.${i + 1}:7001` }));
    expectError(await send(app, "POST", "/v1/cluster", { members: many }), 400, "validation_failed");
  });

  it("POST /v1/cluster answers 400 for bad ids and non-http URLs", async () => {
    const { app } = fixture({ bootstrapped: false });
    const bad = [
      { id: "", url: "http://a:1" },
      { id: "n 1", url: "http://a:1" },
      { id: "x".repeat(65), url: "http://a:1" },
      { id: "n1", url: "ws://10.0.0.1:7001" },
      { id: "n1", url: "/relative" },
    ];
    for (const member of bad) {
      const error = expectError(
        await send(app, "POST", "/v1/cluster", { members: [member] }),
        400,
        "validation_failed",
      );
      expect(error.details.issues[0].path).toMatch(/^members\.0\.(id|url)$/);
    }
  });

  it("POST /v1/cluster answers 400 for malformed JSON and for a missing members field", async () => {
    const { app } = fixture({ bootstrapped: false });
    expectError(await send(app, "POST", "/v1/cluster", "{members: []}"), 400, "validation_failed");
    expectError(await send(app, "POST", "/v1/cluster", {}), 400, "validation_failed");
  });

  it("POST /v1/cluster answers 415 without a JSON content type", async () => {
    const { app } = fixture({ bootstrapped: false });
    const res = await app.request("/v1/cluster", { method: "POST", body: JSON.stringify({ members: MEMBERS }) });
    expect(res.status).toBe(415);
    expect((await res.json()).error.code).toBe("unsupported_media_type");
  });

  it("POST /v1/cluster passes service errors through (504 timeout is indefinite)", async () => {
    const { app, service } = fixture({ bootstrapped: false });
    service.failNext("bootstrap", "timeout").failNext("bootstrap", "internal");
    const answer = await send(app, "POST", "/v1/cluster", { members: MEMBERS });
    expect(expectError(answer, 504, "timeout").definite).toBe(false);
    expectError(await send(app, "POST", "/v1/cluster", { members: MEMBERS }), 500, "internal");
  });
});
