/**
 * Refused API requests show in `http_requests_total` with their status, as `GET /metrics` serves
 * it: a body that fails validation (400), a missing token (401), an oversized body (413), the
 * concurrent-request limit (503 overloaded) and an unknown path (404, route `unmatched`).
 */
import { describe, expect, it } from "bun:test";
import type { ApiAuth } from "../../src/http/api_auth.ts";
import { NodeMetrics } from "../../src/server/node_metrics.ts";
import { parseExposition, sampleValue } from "../helpers/prometheus_text.ts";
import { expectError, fixture, send } from "./helpers.ts";

const ADMIN = "request-metrics-admin-token";
const AUTH: ApiAuth = { mode: "tokens", adminToken: ADMIN, readToken: undefined };
const BEARER = { authorization: `Bearer ${ADMIN}` };

describe("http_requests_total counts refused requests", () => {
  it("by status: 400 validation, 401 token, 413 body size, 503 overloaded, 404 unmatched", async () => {
    const metrics = new NodeMetrics();
    const { app, service } = fixture({ auth: AUTH, metrics, maxConcurrentRequests: 1 });
    metrics.attach({ status: () => service.status(), isMember: () => false });
    expectError(await send(app, "PUT", "/v1/kv/k", { value: 42 }, BEARER), 400, "validation_failed");
    expectError(await send(app, "PUT", "/v1/kv/k", { value: "v" }), 401, "unauthorized");
    const huge = { ...BEARER, "content-length": String(17 * 1024 * 1024) };
    expectError(await send(app, "PUT", "/v1/kv/k", "x", huge), 413, "payload_too_large");
    expect((await send(app, "GET", "/no/such/path")).status).toBe(404);

    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const realGet = service.get.bind(service);
    service.get = async (...args) => {
      await gate; // Holds the one slot until the refused request was answered.
      return realGet(...args);
    };
    const held = send(app, "GET", "/v1/kv/k", undefined, BEARER);
    expectError(await send(app, "GET", "/v1/kv/k", undefined, BEARER), 503, "overloaded");
    release();
    await held;

    const parsed = parseExposition(await (await app.request("/metrics")).text());
    const kv = { route: "/v1/kv/:key" };
    expect(sampleValue(parsed, "http_requests_total", { method: "PUT", ...kv, status: "400" })).toBe(1);
    expect(sampleValue(parsed, "http_requests_total", { method: "PUT", ...kv, status: "401" })).toBe(1);
    expect(sampleValue(parsed, "http_requests_total", { method: "PUT", ...kv, status: "413" })).toBe(1);
    expect(sampleValue(parsed, "http_requests_total", { method: "GET", ...kv, status: "503" })).toBe(1);
    expect(sampleValue(parsed, "http_requests_total", { method: "GET", route: "unmatched", status: "404" })).toBe(1);
    expect(sampleValue(parsed, "http_auth_failures_total", { reason: "missing" })).toBe(1);
  });
});
