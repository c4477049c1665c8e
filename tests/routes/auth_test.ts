import { describe, expect, it } from "bun:test";
import { buildOpenApiDocument } from "../../routes/mod.ts";
import type { ApiAuth, AuthFailure } from "../../src/http/api_auth.ts";
import type { RequestMetrics } from "../../src/http/http_app.ts";
import { expectError, fixture, send } from "./helpers.ts";

const ADMIN = "s3cret-admin-token";
const READ = "s3cret-read-token";
const TOKENS: ApiAuth = { mode: "tokens", adminToken: ADMIN, readToken: READ };
const BEARER = (token: string) => ({ authorization: `Bearer ${token}` });

/** Every operation of the document: method, a concrete path (parameters filled in) and whether it is a read. */
function everyOperation(): Array<{ method: string; path: string; operationId: string }> {
  // biome-ignore lint/suspicious/noExplicitAny: walking the document's JSON.
  const doc = JSON.parse(JSON.stringify(buildOpenApiDocument())) as any;
  const out: Array<{ method: string; path: string; operationId: string }> = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    // biome-ignore lint/suspicious/noExplicitAny: walking the document's JSON.
    for (const [method, op] of Object.entries(item as Record<string, any>)) {
      const path = template.replace("{key}", "k").replace("{id}", "n2");
      out.push({ method: method.toUpperCase(), path, operationId: op.operationId });
    }
  }
  return out;
}

/** A body each write accepts (validation happens after the token check, so any JSON would do for 401). */
function bodyOf(method: string, path: string): unknown {
  if (method === "GET" || method === "DELETE") return undefined;
  if (method === "PUT") return { value: "v" };
  if (path === "/v1/cluster") return { members: [{ id: "n1", url: "http://10.0.0.1:7001" }] };
  if (path === "/v1/cluster/members") return { id: "n2", url: "http://10.0.0.2:7001" };
  if (method === "POST" && path === "/v1/cluster/leader") return {};
  return undefined;
}

/** Metrics that record only the token check's refusals. */
function recordingMetrics(): RequestMetrics & { failures: AuthFailure[] } {
  const failures: AuthFailure[] = [];
  return { failures, observeRequest: () => {}, observeAuthFailure: (why) => failures.push(why), render: () => "" };
}

const OPERATIONS = everyOperation();
const V1 = OPERATIONS.filter((o) => o.path.startsWith("/v1"));
const OPEN = OPERATIONS.filter((o) => !o.path.startsWith("/v1"));
const ADMIN_ONLY_READS = new Set(["downloadSnapshot"]);

describe("tokens on every /v1 operation", () => {
  it("the document lists the operations this test walks (every route family)", () => {
    const families = new Set(V1.map((o) => o.path.split("/")[2]));
    expect([...families].sort()).toEqual(["cluster", "kv", "snapshot", "status"]);
    expect(OPEN.map((o) => o.operationId).sort()).toEqual(["livez", "readyz"]);
  });

  for (const { method, path, operationId } of V1) {
    it(`${method} ${path} (${operationId}) answers 401 without a token, with a wrong one and with a non-bearer header, and reaches nothing`, async () => {
      const metrics = recordingMetrics();
      const { app, service } = fixture({ auth: TOKENS, metrics, bootstrapped: path !== "/v1/cluster" });
      const body = bodyOf(method, path);
      const headerSets = [{}, BEARER("wrong-token-of-any-length"), { authorization: `Basic ${btoa(`x:${ADMIN}`)}` }];
      for (const headers of headerSets) {
        const answer = await send(app, method, path, body, headers);
        const error = expectError(answer, 401, "unauthorized");
        expect(error.definite).toBe(method === "GET" ? undefined : true);
        expect(answer.headers.get("www-authenticate")).toContain("Bearer");
        expect(JSON.stringify(answer.body)).not.toContain(ADMIN);
      }
      expect(metrics.failures).toEqual(["missing", "wrong_token", "malformed"]);
      expect(service.calls).toEqual([]);
    });

    const adminOnly = method !== "GET" || ADMIN_ONLY_READS.has(operationId);
    it(`${method} ${path} (${operationId}) ${adminOnly ? "answers 403 to the read-only token" : "serves the read-only token"} and serves the admin token`, async () => {
      const metrics = recordingMetrics();
      const { app, service } = fixture({ auth: TOKENS, metrics, bootstrapped: path !== "/v1/cluster" });
      if (path === "/v1/snapshot" && method === "GET") await service.takeSnapshot();
      const body = bodyOf(method, path);
      const asReader = await send(app, method, path, body, BEARER(READ));
      if (adminOnly) {
        const error = expectError(asReader, 403, "forbidden");
        expect(error.definite).toBe(method === "GET" ? undefined : true);
        expect(metrics.failures).toEqual(["read_only"]);
      } else {
        expect([401, 403]).not.toContain(asReader.status);
        expect(metrics.failures).toEqual([]);
      }
      const asAdmin = await send(app, method, path, body, BEARER(ADMIN));
      expect([401, 403]).not.toContain(asAdmin.status);
      expect(asAdmin.status).toBeLessThan(500);
    });
  }

  for (const { method, path, operationId } of OPEN) {
    it(`${method} ${path} (${operationId}) needs no token`, async () => {
      const { app } = fixture({ auth: TOKENS });
      expect((await send(app, method, path)).status).toBe(200);
    });
  }

  it("the document, the docs page and unknown paths outside /v1 need no token", async () => {
    const { app } = fixture({ auth: TOKENS });
    expect((await send(app, "GET", "/openapi.json")).status).toBe(200);
    expect((await send(app, "GET", "/docs")).status).toBe(200);
    expectError(await send(app, "GET", "/nope"), 404, "not_found_route");
  });

  it("an unknown /v1 path answers 401 before it says 404 (a client without a token learns nothing)", async () => {
    const { app } = fixture({ auth: TOKENS });
    expectError(await send(app, "GET", "/v1/nope"), 401, "unauthorized");
    expectError(await send(app, "GET", "/v1/nope", undefined, BEARER(ADMIN)), 404, "not_found_route");
  });

  it("the scheme name is case-insensitive and the admin token alone works without a read-only token", async () => {
    const { app } = fixture({ auth: { mode: "tokens", adminToken: ADMIN } });
    expect((await send(app, "PUT", "/v1/kv/k", { value: "v" }, { authorization: `bearer ${ADMIN}` })).status).toBe(200);
    expectError(await send(app, "GET", "/v1/kv/k", undefined, BEARER(READ)), 401, "unauthorized");
  });

  it("a token that only starts like the admin token is refused", async () => {
    const { app } = fixture({ auth: TOKENS });
    expectError(await send(app, "GET", "/v1/status", undefined, BEARER(`${ADMIN}x`)), 401, "unauthorized");
    expectError(await send(app, "GET", "/v1/status", undefined, BEARER(ADMIN.slice(0, -1))), 401, "unauthorized");
  });

  it("an open node (the explicit insecure choice) serves every operation without a token", async () => {
    const { app } = fixture();
    expect((await send(app, "PUT", "/v1/kv/k", { value: "v" })).status).toBe(200);
    expect((await send(app, "GET", "/v1/kv/k")).status).toBe(200);
  });

  it("refuses tokens that cannot work: empty, or the same token for admin and reads", () => {
    expect(() => fixture({ auth: { mode: "tokens", adminToken: "" } })).toThrow("empty admin token");
    expect(() => fixture({ auth: { mode: "tokens", adminToken: ADMIN, readToken: ADMIN } })).toThrow("must differ");
  });
});
