import { describe, expect, it } from "bun:test";
import { buildOpenApiDocument } from "../../routes/mod.ts";
import { malformedUrlPart } from "../../src/http/url_encoding.ts";
import { expectError, fixture, send } from "./helpers.ts";

describe("URL encoding errors", () => {
  it("malformedUrlPart() finds a broken path or query and accepts well-formed UTF-8", () => {
    const at = (pathAndQuery: string) => malformedUrlPart(`http://localhost${pathAndQuery}`);
    expect(at("/v1/kv/%FF")).toBe("path"); // Not UTF-8.
    expect(at("/v1/kv/%ED%A0%80")).toBe("path"); // A UTF-16 surrogate.
    expect(at("/v1/kv/a%")).toBe("path"); // A '%' that starts no escape.
    expect(at("/v1/kv/%G1")).toBe("path");
    expect(at("/v1/kv?prefix=%FF")).toBe("query");
    expect(at("/v1/kv?%C3=x")).toBe("query");
    expect(at("/v1/kv/%C3%BF%2F%25?prefix=a%20b+c&limit=2")).toBeNull();
    expect(at("/v1/kv/%F0%9F%98%80?after=%E2%82%AC")).toBeNull();
  });

  for (const [method, path, part] of [
    ["PUT", "/v1/kv/%FF%FE", "path"],
    ["GET", "/v1/kv/%", "path"],
    ["DELETE", "/v1/kv/a%E2%82", "path"],
    ["GET", "/v1/kv?prefix=%FF", "query"],
    ["DELETE", "/v1/kv/a?expectValue=%C0%AF", "query"],
    ["POST", "/v1/cluster/members/%FF/promote", "path"],
  ] as const) {
    it(`${method} ${path} answers 400 validation_failed naming the ${part}, and reaches no service call`, async () => {
      const { app, service } = fixture();
      const body = method === "PUT" ? { value: "v" } : undefined;
      const error = expectError(await send(app, method, path, body), 400, "validation_failed");
      expect(error.message).toContain(`the ${part} is not valid percent-encoded UTF-8`);
      expect(error.details.target).toBe(part);
      expect(error.definite).toBe(method === "GET" ? undefined : true);
      expect(service.calls).toEqual([]);
    });
  }

  it("a key written with '%25' is the key with a '%' in it, and still works", async () => {
    const { app } = fixture();
    expect((await send(app, "PUT", "/v1/kv/%25FF", { value: "v" })).status).toBe(200);
    expect((await send(app, "GET", "/v1/kv/%25FF")).body.key).toBe("%FF");
  });

  it("a request without a token answers 401 before its URL is judged", async () => {
    const { app } = fixture({ auth: { mode: "tokens", adminToken: "the-admin-token" } });
    expectError(await send(app, "GET", "/v1/kv/%FF"), 401, "unauthorized");
  });

  it("every /v1 operation of the document declares the 400 a malformed URL answers", () => {
    // biome-ignore lint/suspicious/noExplicitAny: walking the document's JSON.
    const doc = JSON.parse(JSON.stringify(buildOpenApiDocument())) as any;
    const missing: string[] = [];
    for (const [template, item] of Object.entries(doc.paths)) {
      // biome-ignore lint/suspicious/noExplicitAny: walking the document's JSON.
      for (const op of Object.values(item as Record<string, any>)) {
        if (template.startsWith("/v1/") && op.responses["400"] === undefined) missing.push(op.operationId);
      }
    }
    expect(missing).toEqual([]);
  });

  it("GET /v1/status and GET /v1/snapshot with a malformed query answer 400 validation_failed", async () => {
    const { app } = fixture();
    expectError(await send(app, "GET", "/v1/status?x=%FF"), 400, "validation_failed");
    expectError(await send(app, "GET", "/v1/snapshot?%"), 400, "validation_failed");
  });
});
