import { describe, expect, it } from "bun:test";
import { createHttpApp } from "../../routes/mod.ts";
import { OPEN_API } from "../../src/http/api_auth.ts";
import { FakeNodeService } from "../helpers/fake_service.ts";
import { expectError, fixture, send } from "./helpers.ts";

describe("app-wide error answers", () => {
  it("an unknown route answers 404 not_found_route in the envelope", async () => {
    const { app } = fixture();
    const error = expectError(await send(app, "GET", "/v2/kv/k"), 404, "not_found_route");
    expect(error.message).toBe("No route for GET /v2/kv/k");
  });

  it("an unknown route answers in the envelope even for a POST with a body", async () => {
    const { app } = fixture();
    expectError(await send(app, "POST", "/nope", { a: 1 }), 404, "not_found_route");
  });

  it("PATCH /v1/kv/{key} answers 405 method_not_allowed listing the allowed methods", async () => {
    const { app } = fixture();
    const answer = await send(app, "PATCH", "/v1/kv/k", { value: "v" });
    expectError(answer, 405, "method_not_allowed");
    expect(answer.headers.get("allow")).toBe("DELETE, GET, HEAD, PUT");
  });

  it("an exception inside the service answers 500 internal without a stack trace and reports it", async () => {
    const service = new FakeNodeService();
    service.get = () => {
      throw new Error("disk on fire in segment 7");
    };
    const reported: unknown[] = [];
    const app = createHttpApp(service, { auth: OPEN_API, onInternalError: (err) => reported.push(err) });
    const answer = await send(app, "GET", "/v1/kv/k");
    const error = expectError(answer, 500, "internal");
    expect(error.message).toBe("Internal error while serving GET /v1/kv/k");
    expect(JSON.stringify(answer.body)).not.toContain("disk on fire");
    expect(JSON.stringify(answer.body)).not.toContain("at ");
    expect(reported.length).toBe(1);
  });

  it("every answer names the node that served it in x-raft-served-by", async () => {
    const { app } = fixture({ id: "node-7" });
    expect((await send(app, "GET", "/livez")).headers.get("x-raft-served-by")).toBe("node-7");
    expect((await send(app, "GET", "/nope")).headers.get("x-raft-served-by")).toBe("node-7");
  });
});
