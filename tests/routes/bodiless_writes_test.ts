import { describe, expect, it } from "bun:test";
import { buildOpenApiDocument } from "../../routes/mod.ts";
import { expectError, fixture, send } from "./helpers.ts";

/** Every write operation of the document that declares no request body, with its path filled in. */
function bodilessWrites(): Array<{ method: string; path: string; operationId: string; statuses: string[] }> {
  // biome-ignore lint/suspicious/noExplicitAny: walking the document's JSON.
  const doc = JSON.parse(JSON.stringify(buildOpenApiDocument())) as any;
  const out: Array<{ method: string; path: string; operationId: string; statuses: string[] }> = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    // biome-ignore lint/suspicious/noExplicitAny: walking the document's JSON.
    for (const [method, op] of Object.entries(item as Record<string, any>)) {
      if (method === "get" || op.requestBody !== undefined) continue;
      const path = template.replace("{key}", "k").replace("{id}", "n1");
      out.push({
        method: method.toUpperCase(),
        path,
        operationId: op.operationId,
        statuses: Object.keys(op.responses),
      });
    }
  }
  return out;
}

const WRITES = bodilessWrites();

describe("writes that take no body", () => {
  it("the document has such writes (the walk below is not empty)", () => {
    expect(WRITES.map((w) => w.operationId).sort()).toEqual(
      ["deleteKey", "promoteMember", "removeMember", "takeSnapshot"].sort(),
    );
  });

  for (const { method, path, operationId, statuses } of WRITES) {
    it(`${method} ${path} (${operationId}) answers a body with 400 validation_failed, definite, documented, and does nothing`, async () => {
      const { app, service } = fixture();
      for (const body of ['{"force":true}', "{}", "x"]) {
        const error = expectError(await send(app, method, path, body), 400, "validation_failed");
        expect(error.message).toContain("takes no body");
        expect(error.definite).toBe(true);
      }
      expect(service.calls).toEqual([]);
      expect(statuses).toContain("400");
      expect(statuses).toContain("413");
    });
  }
});
