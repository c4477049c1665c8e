import { describe, expect, it } from "bun:test";
import { KeyParamsSchema } from "../../schemas/api_kv.ts";
import type { ApiApp } from "../../src/http/http_context.ts";
import { type Answer, expectError, fixture, send } from "./helpers.ts";

/**
 * Sends a request whose URL keeps its path exactly as written (as Deno.serve hands one over);
 * a Request built from the same text would resolve '.' and '..' first.
 */
async function sendRawPath(app: ApiApp, method: string, path: string, body?: unknown): Promise<Answer> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { "content-type": "application/json" };
  }
  const request = new Request("http://localhost/", init);
  Object.defineProperty(request, "url", { value: `http://localhost${path}` });
  const res = await app.fetch(request);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === "" ? text : JSON.parse(text) };
}

describe("key path errors", () => {
  it("PUT /v1/kv/ (an empty key) answers 400 validation_failed, definite, saying keys are path segments", async () => {
    const { app, service } = fixture();
    const error = expectError(await send(app, "PUT", "/v1/kv/", { value: "v" }), 400, "validation_failed");
    expect(error.message).toContain("Cannot PUT /v1/kv/: the key is empty; keys are single path segments");
    expect(error.message).toContain("%2F");
    expect(error.message).toContain("'.' and '..' cannot be addressed");
    expect(error.definite).toBe(true);
    expect(error.details).toEqual({ target: "path", issues: [{ path: "key", message: "the key is empty" }] });
    expect(service.calls).toEqual([]);
  });

  it("GET /v1/kv/ answers 400 without definite and points at the listing", async () => {
    const { app } = fixture();
    const error = expectError(await send(app, "GET", "/v1/kv/"), 400, "validation_failed");
    expect(error.message).toContain("(to list keys, GET /v1/kv)");
    expect(error.definite).toBeUndefined();
    expect(expectError(await send(app, "DELETE", "/v1/kv/"), 400, "validation_failed").definite).toBe(true);
  });

  it("PUT /v1/kv/. arrives resolved as /v1/kv/ and gets the empty-key answer", async () => {
    const { app } = fixture();
    const error = expectError(await send(app, "PUT", "/v1/kv/.", { value: "v" }), 400, "validation_failed");
    expect(error.message).toContain("Cannot PUT /v1/kv/: the key is empty");
  });

  it("PUT /v1/kv/.. arrives resolved as /v1/ and answers 404 not_found_route with the key rule", async () => {
    const { app } = fixture();
    const error = expectError(await send(app, "PUT", "/v1/kv/..", { value: "v" }), 404, "not_found_route");
    expect(error.message).toContain("No route for PUT /v1/ (a request for /v1/kv/.. arrives as /v1/;");
    expect(error.message).toContain("'.' and '..' cannot be addressed");
    expect(error.definite).toBe(true);
    expect(expectError(await send(app, "GET", "/v1"), 404, "not_found_route").message).toContain("/v1/kv/..");
  });

  it("a key '.' or '..' that reaches the route unresolved answers 400 naming the key", async () => {
    const { app, service } = fixture();
    for (const path of ["/v1/kv/.", "/v1/kv/..", "/v1/kv/%2E%2E"]) {
      const error = expectError(await sendRawPath(app, "PUT", path, { value: "v" }), 400, "validation_failed");
      expect(error.details.target).toBe("path");
      expect(error.message).toContain("cannot be addressed");
      expect(error.definite).toBe(true);
    }
    const error = expectError(await sendRawPath(app, "GET", "/v1/kv/.."), 400, "validation_failed");
    expect(error.message).toContain("the key '..' cannot be addressed");
    expect(service.calls).toEqual([]);
  });

  it("KeyParamsSchema refuses '.' and '..' and accepts keys that only contain dots", () => {
    expect(KeyParamsSchema.safeParse({ key: "." }).success).toBe(false);
    expect(KeyParamsSchema.safeParse({ key: ".." }).success).toBe(false);
    for (const key of ["...", ".a", "a..", "./"]) expect(KeyParamsSchema.safeParse({ key }).success).toBe(true);
  });

  it("a 100 KB key answers 400 validation_failed saying how many bytes it has", async () => {
    const { app } = fixture();
    const error = expectError(
      await send(app, "PUT", `/v1/kv/${"k".repeat(100_000)}`, { value: "v" }),
      400,
      "validation_failed",
    );
    expect(error.message).toContain("key has 100000 UTF-8 bytes; the limit is 1024");
    expect(error.definite).toBe(true);
  });
});
