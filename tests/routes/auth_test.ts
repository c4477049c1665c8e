import { describe, expect, it } from "bun:test";
import { expectError, fixture, send } from "./helpers.ts";

const TOKEN = "s3cret-admin-token";

describe("admin token", () => {
  it("PUT /v1/kv/{key} answers 401 unauthorized with www-authenticate when the token is missing", async () => {
    const { app, service } = fixture({ adminToken: TOKEN });
    const answer = await send(app, "PUT", "/v1/kv/k", { value: "v" });
    const error = expectError(answer, 401, "unauthorized");
    expect(error.definite).toBe(true);
    expect(answer.headers.get("www-authenticate")).toContain("Bearer");
    expect(service.calls).toEqual([]);
  });

  it("PUT /v1/kv/{key} answers 401 for a wrong token and for a non-bearer header", async () => {
    const { app } = fixture({ adminToken: TOKEN });
    expectError(
      await send(app, "PUT", "/v1/kv/k", { value: "v" }, { authorization: "Bearer nope" }),
      401,
      "unauthorized",
    );
    expectError(
      await send(app, "PUT", "/v1/kv/k", { value: "v" }, { authorization: "Basic eDp5" }),
      401,
      "unauthorized",
    );
  });

  it("PUT, DELETE and POST succeed with the right token", async () => {
    const { app } = fixture({ adminToken: TOKEN, bootstrapped: false });
    const headers = { authorization: `Bearer ${TOKEN}` };
    const members = [{ id: "n1", url: "http://10.0.0.1:7001" }];
    expect((await send(app, "POST", "/v1/cluster", { members }, headers)).status).toBe(201);
    expect((await send(app, "PUT", "/v1/kv/k", { value: "v" }, headers)).status).toBe(200);
    expect((await send(app, "DELETE", "/v1/kv/k", undefined, headers)).status).toBe(200);
  });

  it("POST /v1/cluster and DELETE /v1/kv/{key} need the token too", async () => {
    const { app } = fixture({ adminToken: TOKEN, bootstrapped: false });
    const members = [{ id: "n1", url: "http://10.0.0.1:7001" }];
    expectError(await send(app, "POST", "/v1/cluster", { members }), 401, "unauthorized");
    expectError(await send(app, "DELETE", "/v1/kv/k"), 401, "unauthorized");
  });

  it("reads, status and health need no token", async () => {
    const { app } = fixture({ adminToken: TOKEN });
    for (const path of ["/v1/kv/k", "/v1/kv", "/v1/status", "/livez", "/readyz", "/openapi.json"]) {
      expect((await send(app, "GET", path)).status).not.toBe(401);
    }
  });

  it("without an admin token, writes need no authorization header", async () => {
    const { app } = fixture();
    expect((await send(app, "PUT", "/v1/kv/k", { value: "v" })).status).toBe(200);
  });
});
