import { describe, expect, it } from "bun:test";
import createClient from "openapi-fetch";
import { fixture } from "./helpers.ts";

/** An untyped openapi-fetch client whose requests go straight into the app. */
function clientFor(app: ReturnType<typeof fixture>["app"]) {
  // biome-ignore lint/suspicious/noExplicitAny: no generated `paths` type in tests; the calls are checked at run time.
  return createClient<any>({
    baseUrl: "http://node.test",
    fetch: async (request: Request) => await app.fetch(request),
  });
}

describe("a generic OpenAPI client", () => {
  it("openapi-fetch writes, reads and lists a key containing '/' through the documented paths", async () => {
    const { app, service } = fixture();
    const client = clientFor(app);
    const path = { key: "app/db url" };
    const put = await client.PUT("/v1/kv/{key}", { params: { path }, body: { value: "postgres://db" } });
    expect(put.response.status).toBe(200);
    expect([...service.entries.keys()]).toEqual(["app/db url"]);
    const got = await client.GET("/v1/kv/{key}", { params: { path, query: { consistency: "leader" } } });
    expect(got.data.value).toBe("postgres://db");
    const listed = await client.GET("/v1/kv", { params: { query: { prefix: "app/", limit: 10 } } });
    expect(listed.data.items.length).toBe(1);
  });

  it("openapi-fetch receives the error envelope as `error` on a 409", async () => {
    const { app, service } = fixture();
    service.seed("k", "v");
    const client = clientFor(app);
    const put = await client.PUT("/v1/kv/{key}", {
      params: { path: { key: "k" } },
      body: { value: "w", expectRevision: 0 },
    });
    expect(put.response.status).toBe(409);
    expect(put.error.error.code).toBe("compare_failed");
  });
});
