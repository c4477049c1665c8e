import { describe, expect, it } from "bun:test";
import { expectError, fixture, send } from "./helpers.ts";

describe("the concurrent-request limit", () => {
  it("answers 503 overloaded (definite) past the limit, counts only requests in progress, and leaves /livez alone", async () => {
    const { app, service } = fixture({ maxConcurrentRequests: 2 });
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const realGet = service.get.bind(service);
    service.get = async (...args) => {
      await gate; // Held until the test lets the first two requests go.
      return realGet(...args);
    };
    service.seed("k", "v");
    const held = [send(app, "GET", "/v1/kv/k"), send(app, "GET", "/v1/kv/k")];
    const refused = expectError(await send(app, "GET", "/v1/kv/k"), 503, "overloaded");
    expect(refused.definite).toBe(true);
    expect(refused.details).toEqual({ limit: 2 });
    expect((await send(app, "GET", "/livez")).status).toBe(200);
    release();
    for (const answer of await Promise.all(held)) expect(answer.status).toBe(200);
    expect((await send(app, "GET", "/v1/kv/k")).status).toBe(200); // The slots are free again.
  });
});
