import { describe, expect, it } from "bun:test";
import { fixture, LEADER, send } from "./helpers.ts";

describe("PUT /v1/kv/{key}", () => {
  it("PUT /v1/kv/{key} answers 200 with the revision, the log index and no previous entry for a new key", async () => {
    const { app, service } = fixture();
    const answer = await send(app, "PUT", "/v1/kv/color", { value: "blue" });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ key: "color", revision: 11, index: 11, prev: null });
    expect(service.entries.get("color")?.value).toBe("blue");
  });

  it("PUT /v1/kv/{key} returns the replaced entry as prev", async () => {
    const { app, service } = fixture();
    const before = service.seed("color", "blue");
    const answer = await send(app, "PUT", "/v1/kv/color", { value: "red" });
    expect(answer.body).toEqual({ key: "color", revision: 12, index: 12, prev: before });
  });

  it("PUT /v1/kv/{key} sets x-raft-index, x-raft-term and x-raft-served-by", async () => {
    const { app } = fixture();
    const answer = await send(app, "PUT", "/v1/kv/color", { value: "blue" });
    expect(answer.headers.get("x-raft-index")).toBe("11");
    expect(answer.headers.get("x-raft-term")).toBe("3");
    expect(answer.headers.get("x-raft-served-by")).toBe("n1");
  });

  it("PUT /v1/kv/{key} reads a chunked body (no content-length) like any other", async () => {
    const { app, service } = fixture();
    const chunks = ['{"value":', '"chunked"}'].map((t) => new TextEncoder().encode(t));
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const chunk = chunks.shift();
        if (chunk === undefined) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const init = { method: "PUT", body, headers: { "content-type": "application/json" }, duplex: "half" };
    const res = await app.fetch(new Request("http://localhost/v1/kv/color", init as RequestInit));
    expect(res.status).toBe(200);
    expect(service.entries.get("color")?.value).toBe("chunked");
  });

  it("PUT /v1/kv/{key} decodes %2F so a key may contain '/'", async () => {
    const { app, service } = fixture();
    const answer = await send(app, "PUT", `/v1/kv/${encodeURIComponent("app/db/url")}`, { value: "x" });
    expect(answer.status).toBe(200);
    expect(answer.body.key).toBe("app/db/url");
    expect([...service.entries.keys()]).toEqual(["app/db/url"]);
  });

  it("PUT /v1/kv/{key} accepts a UTF-8 key of exactly 1024 bytes and an empty value", async () => {
    const { app, service } = fixture();
    const key = "é".repeat(512);
    const answer = await send(app, "PUT", `/v1/kv/${encodeURIComponent(key)}`, { value: "" });
    expect(answer.status).toBe(200);
    expect(service.entries.get(key)?.value).toBe("");
  });

  it("PUT /v1/kv/{key} passes expectRevision and expectValue to the service and succeeds when they match", async () => {
    const { app, service } = fixture();
    const before = service.seed("lock", "free");
    const answer = await send(app, "PUT", "/v1/kv/lock", {
      value: "taken",
      expectRevision: before.revision,
      expectValue: "free",
    });
    expect(answer.status).toBe(200);
    expect(service.calls.at(-1)?.args).toEqual(["lock", "taken", { expectRevision: 11, expectValue: "free" }]);
  });

  it("PUT /v1/kv/{key} without conditions passes no condition keys to the service", async () => {
    const { app, service } = fixture();
    await send(app, "PUT", "/v1/kv/k", { value: "v" });
    expect(service.calls.at(-1)?.args).toStrictEqual(["k", "v", {}]);
  });

  it("PUT /v1/kv/{key} with expectRevision 0 creates a missing key", async () => {
    const { app } = fixture();
    const answer = await send(app, "PUT", "/v1/kv/new", { value: "v", expectRevision: 0 });
    expect(answer.status).toBe(200);
    expect(answer.body.prev).toBeNull();
  });
});

describe("GET /v1/kv/{key}", () => {
  it("GET /v1/kv/{key} answers 200 with the entry, its metadata and the read index", async () => {
    const { app, service } = fixture();
    service.seed("color", "blue");
    service.seed("color", "red");
    const answer = await send(app, "GET", "/v1/kv/color");
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      key: "color",
      value: "red",
      revision: 12,
      createRevision: 11,
      version: 2,
      index: 12,
    });
    expect(answer.headers.get("x-raft-index")).toBe("12");
  });

  it("GET /v1/kv/{key} reads linearizably by default and passes an explicit consistency through", async () => {
    const { app, service } = fixture();
    service.seed("k", "v");
    await send(app, "GET", "/v1/kv/k");
    await send(app, "GET", "/v1/kv/k?consistency=leader");
    await send(app, "GET", "/v1/kv/k?consistency=stale");
    expect(service.calls.map((call) => call.args[1])).toEqual(["linearizable", "leader", "stale"]);
  });

  it("GET /v1/kv/{key}?consistency=stale is served by a follower from its local state", async () => {
    const { app, service } = fixture({ leader: LEADER });
    service.seed("k", "v");
    const answer = await send(app, "GET", "/v1/kv/k?consistency=stale");
    expect(answer.status).toBe(200);
    expect(answer.body.value).toBe("v");
    expect(answer.headers.get("x-raft-served-by")).toBe("n1");
  });

  it("HEAD /v1/kv/{key} answers like GET without a body", async () => {
    const { app, service } = fixture();
    service.seed("k", "v");
    const res = await app.request("/v1/kv/k", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
  });
});

describe("DELETE /v1/kv/{key}", () => {
  it("DELETE /v1/kv/{key} answers 200 with deleted: true and the removed entry", async () => {
    const { app, service } = fixture();
    const before = service.seed("k", "v");
    const answer = await send(app, "DELETE", "/v1/kv/k");
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ key: "k", deleted: true, revision: 12, index: 12, prev: before });
    expect(service.entries.has("k")).toBe(false);
  });

  it("DELETE /v1/kv/{key} of a missing key answers 200 with deleted: false and revision 0", async () => {
    const { app } = fixture();
    const answer = await send(app, "DELETE", "/v1/kv/missing");
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ key: "missing", deleted: false, revision: 0, index: 11, prev: null });
  });

  it("DELETE /v1/kv/{key} parses expectRevision and expectValue from the query", async () => {
    const { app, service } = fixture();
    service.seed("k", "v");
    const answer = await send(app, "DELETE", "/v1/kv/k?expectRevision=11&expectValue=v");
    expect(answer.status).toBe(200);
    expect(service.calls.at(-1)?.args).toEqual(["k", { expectRevision: 11, expectValue: "v" }]);
  });

  it("DELETE /v1/kv/{key} with an empty body (content-length: 0) is served like one without", async () => {
    const { app, service } = fixture();
    service.seed("k", "v");
    const answer = await send(app, "DELETE", "/v1/kv/k", "", { "content-length": "0" });
    expect(answer.status).toBe(200);
    expect(answer.body.deleted).toBe(true);
  });

  it("DELETE /v1/kv/{key} without conditions passes no condition keys to the service", async () => {
    const { app, service } = fixture();
    await send(app, "DELETE", "/v1/kv/k?redirect=false");
    expect(service.calls.at(-1)?.args).toStrictEqual(["k", {}]);
  });
});

describe("GET /v1/kv", () => {
  it("GET /v1/kv lists keys with the prefix in key order with the read index", async () => {
    const { app, service } = fixture();
    for (const key of ["b/2", "a/1", "b/1", "c"]) service.seed(key, key.toUpperCase());
    const answer = await send(app, "GET", "/v1/kv?prefix=b%2F");
    expect(answer.status).toBe(200);
    expect(answer.body.items.map((e: { key: string }) => e.key)).toEqual(["b/1", "b/2"]);
    expect(answer.body.more).toBe(false);
    expect(answer.body.index).toBe(14);
    expect(answer.headers.get("x-raft-index")).toBe("14");
  });

  it("GET /v1/kv uses limit 100 and prefix '' by default", async () => {
    const { app, service } = fixture();
    await send(app, "GET", "/v1/kv");
    expect(service.calls.at(-1)?.args).toEqual(["", 100, "linearizable"]);
  });

  it("GET /v1/kv says more: true when more keys match than the limit", async () => {
    const { app, service } = fixture();
    for (const key of ["a", "b", "c"]) service.seed(key, "v");
    const answer = await send(app, "GET", "/v1/kv?limit=2&consistency=leader");
    expect(answer.body.items.map((e: { key: string }) => e.key)).toEqual(["a", "b"]);
    expect(answer.body.more).toBe(true);
    expect(service.calls.at(-1)?.args).toEqual(["", 2, "leader"]);
  });

  it("GET /v1/kv pages with next and after until more is false", async () => {
    const { app, service } = fixture();
    for (const key of ["k/1", "k/2", "k/3", "k/4", "k/5"]) service.seed(key, "v");
    const first = await send(app, "GET", "/v1/kv?prefix=k%2F&limit=2");
    expect(first.body).toMatchObject({ more: true, next: "k/2" });
    const second = await send(app, "GET", `/v1/kv?prefix=k%2F&limit=2&after=${encodeURIComponent(first.body.next)}`);
    expect(second.body.items.map((e: { key: string }) => e.key)).toEqual(["k/3", "k/4"]);
    expect(service.calls.at(-1)?.args).toEqual(["k/", 2, "linearizable", "k/2"]);
    const last = await send(app, "GET", `/v1/kv?prefix=k%2F&limit=2&after=${second.body.next}`);
    expect(last.body).toMatchObject({ more: false, next: null });
    expect(last.body.items.map((e: { key: string }) => e.key)).toEqual(["k/5"]);
  });

  it("GET /v1/kv accepts the largest limit, 1000", async () => {
    const { app } = fixture();
    const answer = await send(app, "GET", "/v1/kv?limit=1000");
    expect(answer.status).toBe(200);
  });
});
