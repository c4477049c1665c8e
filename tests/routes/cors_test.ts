import { describe, expect, it } from "bun:test";
import { fixture } from "./helpers.ts";

const APP = "https://app.example";

describe("CORS", () => {
  it("answers a preflight from an allowed origin, without the admin token, and marks the real answer", async () => {
    const { app, service } = fixture({ corsOrigins: [APP], auth: { mode: "tokens", adminToken: "admin-secret-1" } });
    service.seed("k", "v");
    const preflight = await app.request("/v1/kv/k", {
      method: "OPTIONS",
      headers: {
        origin: APP,
        "access-control-request-method": "PUT",
        "access-control-request-headers": "authorization",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe(APP);
    expect(preflight.headers.get("access-control-allow-methods")).toContain("PUT");
    expect(preflight.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
    const read = await app.request("/v1/kv/k", { headers: { origin: APP, authorization: "Bearer admin-secret-1" } });
    expect(read.status).toBe(200);
    expect(read.headers.get("access-control-allow-origin")).toBe(APP);
    expect(read.headers.get("access-control-expose-headers")).toContain("x-raft-index");
    expect(read.headers.get("access-control-expose-headers")).toContain("idempotent-replayed");
  });

  it("gives other origins no permission, and sends no CORS headers at all without the option", async () => {
    const { app } = fixture({ corsOrigins: [APP] });
    const other = await app.request("/v1/status", { headers: { origin: "https://evil.example" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const { app: plain } = fixture();
    const answer = await plain.request("/v1/status", { headers: { origin: APP } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("'*' allows any origin", async () => {
    const { app } = fixture({ corsOrigins: ["*"] });
    const answer = await app.request("/v1/status", { headers: { origin: "https://anyone.example" } });
    expect(answer.headers.get("access-control-allow-origin")).toBe("*");
  });
});
