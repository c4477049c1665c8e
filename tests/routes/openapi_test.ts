import { describe, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import { buildOpenApiDocument } from "../../routes/mod.ts";
import { API_VERSION } from "../../src/http/openapi_document.ts";
import { fixture, send } from "./helpers.ts";

/** Every API operation: method, path and operationId. */
const OPERATIONS = [
  ["post", "/v1/cluster", "bootstrapCluster"],
  ["get", "/v1/status", "getStatus"],
  ["get", "/v1/cluster/members", "listMembers"],
  ["post", "/v1/cluster/members", "addMember"],
  ["post", "/v1/cluster/members/{id}/promote", "promoteMember"],
  ["delete", "/v1/cluster/members/{id}", "removeMember"],
  ["post", "/v1/cluster/leader", "transferLeader"],
  ["put", "/v1/kv/{key}", "putKey"],
  ["get", "/v1/kv/{key}", "getKey"],
  ["delete", "/v1/kv/{key}", "deleteKey"],
  ["get", "/v1/kv", "listKeys"],
  ["post", "/v1/snapshot", "takeSnapshot"],
  ["get", "/v1/snapshot", "downloadSnapshot"],
  ["get", "/livez", "livez"],
  ["get", "/readyz", "readyz"],
];

// biome-ignore lint/suspicious/noExplicitAny: the document is walked as plain JSON.
type Json = any;

/** Every operation object of `doc` as [method, path, operation]. */
function operations(doc: Json): [string, string, Json][] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item as Json).map(([method, op]) => [method, path, op] as [string, string, Json]),
  );
}

/** Every `$ref` string anywhere in `value`. */
function refs(value: Json): string[] {
  if (Array.isArray(value)) return value.flatMap(refs);
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => (k === "$ref" && typeof v === "string" ? [v] : refs(v)));
}

describe("GET /openapi.json", () => {
  it("GET /openapi.json answers an OpenAPI 3.1 document with info, license and this node as server", async () => {
    const { app } = fixture();
    const answer = await send(app, "GET", "/openapi.json");
    expect(answer.status).toBe(200);
    const doc = answer.body;
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info.title).toBe("raftbare-ts node API");
    expect(doc.info.version).toBe(API_VERSION);
    expect(doc.info.license.name).toBe("MIT");
    expect(doc.servers).toEqual([
      { url: "/", description: "The node that served this document" },
      { url: "http://127.0.0.1:7001", description: "This node (n1) at its advertised URL" },
    ]);
  });

  it("GET /openapi.json lists every operation once, each with an operationId, a summary, a tag and a 4xx answer", async () => {
    const { app } = fixture();
    const doc = (await send(app, "GET", "/openapi.json")).body;
    const found = operations(doc);
    expect(found.map(([method, path, op]) => [method, path, op.operationId])).toEqual(OPERATIONS);
    const tags = new Set(doc.tags.map((t: { name: string }) => t.name));
    for (const [, , op] of found) {
      expect(op.summary.length).toBeGreaterThan(0);
      expect(op.tags.every((t: string) => tags.has(t))).toBe(true);
      expect(Object.keys(op.responses).some((status) => status.startsWith("4"))).toBe(true);
    }
  });

  it("GET /openapi.json error answers all use the Error envelope and every $ref resolves", async () => {
    const doc = buildOpenApiDocument();
    for (const [, , op] of operations(doc)) {
      for (const [status, response] of Object.entries(op.responses as Json)) {
        if (Number(status) < 400 || (status === "503" && op.operationId === "readyz")) continue;
        expect((response as Json).content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Error" });
      }
    }
    for (const ref of refs(doc)) {
      const name = ref.replace("#/components/schemas/", "");
      expect(doc.components?.schemas?.[name]).toBeDefined();
    }
  });

  it("GET /openapi.json declares the error codes as an enum", () => {
    const doc = buildOpenApiDocument() as Json;
    expect(doc.components.schemas.ErrorCode.enum).toContain("compare_failed");
    expect(doc.components.schemas.ErrorCode.enum).toContain("no_leader");
  });

  it("GET /openapi.json has no security scheme on a node started without tokens", async () => {
    const { app } = fixture();
    const doc = (await send(app, "GET", "/openapi.json")).body;
    expect(doc.components.securitySchemes).toBeUndefined();
    expect(doc.security).toEqual([]);
    expect(operations(doc).filter(([, , op]) => op.security !== undefined)).toEqual([]);
  });

  it("GET /openapi.json documents the bearer token on every /v1 operation, the admin role on writes and the snapshot download, and none on health probes", async () => {
    const { app } = fixture({
      auth: { mode: "tokens", adminToken: "s3cret-admin-token", readToken: "s3cret-read-token" },
    });
    const doc = (await send(app, "GET", "/openapi.json")).body;
    expect(doc.components.securitySchemes.bearerToken).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.security).toEqual([{ bearerToken: [] }]);
    const roles = Object.fromEntries(
      operations(doc).map(([, , op]) => [op.operationId, op.security.map((s: Json) => s.bearerToken ?? null)]),
    );
    expect(roles).toEqual({
      bootstrapCluster: [["admin"]],
      getStatus: [[]],
      listMembers: [[]],
      addMember: [["admin"]],
      promoteMember: [["admin"]],
      removeMember: [["admin"]],
      transferLeader: [["admin"]],
      putKey: [["admin"]],
      getKey: [[]],
      deleteKey: [["admin"]],
      listKeys: [[]],
      takeSnapshot: [["admin"]],
      downloadSnapshot: [["admin"]],
      livez: [],
      readyz: [],
    });
    for (const [, path, op] of operations(doc)) {
      const statuses = Object.keys(op.responses);
      expect({ path, has401: statuses.includes("401") }).toEqual({ path, has401: path.startsWith("/v1") });
      const admin = op.security[0]?.bearerToken?.includes("admin") ?? false;
      expect({ path, has403: statuses.includes("403") }).toEqual({ path, has403: admin });
      expect(statuses).toEqual([...statuses].sort());
    }
    expect(JSON.stringify(doc)).not.toContain("s3cret");
  });

  it("buildOpenApiDocument() matches the served document apart from servers", async () => {
    const { app } = fixture({ auth: { mode: "tokens", adminToken: "s3cret-admin-token" } });
    const served = (await send(app, "GET", "/openapi.json")).body;
    const built = buildOpenApiDocument({ servers: served.servers });
    expect(JSON.parse(JSON.stringify(built))).toEqual(served);
  });

  it("the committed openapi.json is the document a node with tokens serves (regenerate: bun scripts/dump_openapi.ts openapi.json)", () => {
    const committed = JSON.parse(readFileSync(new URL("../../openapi.json", import.meta.url), "utf8"));
    const built = JSON.parse(JSON.stringify(buildOpenApiDocument()));
    expect(committed).toEqual(built);
  });

  it("the document version follows package.json", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    expect(API_VERSION).toBe(pkg.version);
  });
});
