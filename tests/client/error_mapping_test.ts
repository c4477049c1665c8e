/**
 * Error mapping of the client: the API's envelope becomes a ClientError with its code, status,
 * details, definiteness, leader hint and serving node; answers that are not the API's become
 * `invalid_response`; a missing key is a value of null; unaddressable keys are refused unsent.
 */
import { describe, expect, it } from "bun:test";
import { RaftClient } from "../../client/src/mod.ts";
import { apiError, FakeNodes, json, N1, N2, recordingSleep, seededRandom } from "./fake_fetch.ts";

/** A client of n1 over `nodes` with `attempts` attempts. */
function clientOf(nodes: FakeNodes, attempts = 1) {
  const { sleep } = recordingSleep();
  return new RaftClient({ endpoints: [N1], fetch: nodes.fetch, sleep, random: seededRandom(5), attempts });
}

describe("RaftClient error mapping", () => {
  it("maps the error envelope to a ClientError", async () => {
    const current = { key: "k", value: "old", revision: 4, createRevision: 4, version: 1 };
    const nodes = new FakeNodes().on(N1, () =>
      apiError(409, "compare_failed", "n1", {
        definite: true,
        details: { current },
        headers: { "idempotent-replayed": "true" },
      }),
    );
    const result = await clientOf(nodes, 3).put("k", "new", { expectValue: "older" });
    expect(result).toEqual({
      ok: false,
      error: {
        code: "compare_failed",
        message: "compare_failed (test)",
        definite: true,
        status: 409,
        leader: null,
        servedBy: "n1",
        details: { current },
        attempts: 1,
        replayed: true,
      },
    });
    expect(JSON.parse(nodes.log[0].body)).toEqual({ value: "new", expectValue: "older" });
  });

  it("takes the leader from details.leader and calls a write without definite indefinite", async () => {
    const leader = { id: "n2", url: N2 };
    const nodes = new FakeNodes().on(N1, () => apiError(502, "leader_unreachable", "n1", { details: { leader } }));
    const result = await clientOf(nodes).put("k", "v", { idempotencyKey: null });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ code: "leader_unreachable", definite: false, leader, status: 502 });
  });

  it("calls every failed read definite (a read never takes effect)", async () => {
    const nodes = new FakeNodes().on(N1, () => apiError(504, "timeout", "n1"));
    const result = await clientOf(nodes).get("k");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ code: "timeout", definite: true, status: 504 });
  });

  it("resolves a missing key with null, but a 404 for an unknown path with an error", async () => {
    const missing = new FakeNodes().on(N1, () => apiError(404, "not_found", "n1", { details: { key: "k", index: 3 } }));
    const got = await clientOf(missing).get("k");
    expect(got).toEqual({ ok: true, value: null, servedBy: "n1", leader: "n1", replayed: false });
    const wrongPath = new FakeNodes().on(N1, () => apiError(404, "not_found_route", "n1"));
    const answer = await clientOf(wrongPath).get("k");
    expect(answer.ok).toBe(false);
    if (!answer.ok) expect(answer.error).toMatchObject({ code: "not_found_route", status: 404 });
  });

  it("reports answers that are not the API's as invalid_response", async () => {
    const cases: Array<[() => Response, string, number]> = [
      [
        () => new Response("{not json", { status: 200, headers: { "content-type": "application/json" } }),
        "not JSON",
        200,
      ],
      [() => json(200, { key: "k", revision: "seven" }, "n1"), "not a write result", 200],
      [() => new Response("<html>502 Bad Gateway</html>", { status: 502 }), "error envelope", 502],
      [() => json(400, { message: "nope" }, null), "error envelope", 400],
      [() => new Response(null, { status: 500 }), "empty body", 500],
    ];
    for (const [answer, why, status] of cases) {
      const nodes = new FakeNodes().on(N1, answer);
      const result = await clientOf(nodes).put("k", "v", { idempotencyKey: null });
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error).toMatchObject({ code: "invalid_response", status, definite: false, attempts: 1 });
      expect(result.error.message).toContain(why);
    }
  });

  it("retries an invalid 5xx answer where safe but not an invalid 4xx one", async () => {
    let calls = 0;
    const nodes = new FakeNodes().on(N1, () => {
      calls++;
      return calls === 1 ? new Response("gateway", { status: 502 }) : json(400, "plain", null);
    });
    const result = await clientOf(nodes, 5).get("k");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ code: "invalid_response", status: 400, attempts: 2 });
  });

  it("refuses keys no URL can address without sending anything, and throws on a non-string value", async () => {
    const nodes = new FakeNodes();
    const client = clientOf(nodes);
    for (const key of ["", ".", ".."]) {
      const result = await client.put(key, "v");
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error).toMatchObject({ code: "validation_failed", definite: true, attempts: 0 });
      expect((await client.get(key)).ok).toBe(false);
      expect((await client.delete(key)).ok).toBe(false);
    }
    expect(nodes.log.length).toBe(0);
    expect(() => client.put("k", 5 as unknown as string)).toThrow(TypeError);
    expect(() => client.get(undefined as unknown as string)).toThrow(TypeError);
  });

  it("answers readyz with the checks on 503 as on 200", async () => {
    const checks = [{ name: "leader" as const, ok: false, message: "no leader is known" }];
    const nodes = new FakeNodes().on(N1, () => json(503, { ready: false, checks }, "n1"));
    const result = await clientOf(nodes).readyz();
    expect(result).toEqual({
      ok: true,
      value: { ready: false, checks },
      servedBy: "n1",
      leader: null,
      replayed: false,
    });
  });

  it("iterates every page of a listing with listAll, following next", async () => {
    const entry = (key: string) => ({ key, value: key, revision: 1, createRevision: 1, version: 1 });
    const pages: Record<string, unknown> = {
      "": { items: [entry("a"), entry("b")], more: true, next: "b", index: 5 },
      b: { items: [entry("c")], more: false, next: null, index: 5 },
    };
    const nodes = new FakeNodes().on(N1, (e) => json(200, pages[e.url.searchParams.get("after") ?? ""], "n1"));
    const keys: string[] = [];
    for await (const page of clientOf(nodes).listAll({ prefix: "", limit: 2 })) {
      expect(page.ok).toBe(true);
      if (page.ok) keys.push(...page.value.items.map((i) => i.key));
    }
    expect(keys).toEqual(["a", "b", "c"]);
    expect(nodes.log.map((e) => e.url.searchParams.get("limit"))).toEqual(["2", "2"]);
  });

  it("ends listAll with an invalid_response when the cursor does not advance", async () => {
    const entry = { key: "b", value: "b", revision: 1, createRevision: 1, version: 1 };
    const nodes = new FakeNodes().on(N1, () => json(200, { items: [entry], more: true, next: "b", index: 5 }, "n1"));
    const seen = [];
    for await (const page of clientOf(nodes).listAll({ after: "b" })) seen.push(page);
    expect(seen.map((p) => p.ok)).toEqual([true, false]);
    if (!seen[1].ok) expect(seen[1].error.code).toBe("invalid_response");
  });

  it("ends listAll with the failed page", async () => {
    const nodes = new FakeNodes().on(N1, () => apiError(401, "unauthorized", "n1"));
    const seen = [];
    for await (const page of clientOf(nodes).listAll()) seen.push(page);
    expect(seen.length).toBe(1);
    expect(seen[0].ok).toBe(false);
  });

  it("sends the bearer token on every call", async () => {
    const nodes = new FakeNodes().on(N1, () => json(200, { live: true }, "n1"));
    const client = new RaftClient({ endpoints: [N1], fetch: nodes.fetch, token: "s3cret-token-value" });
    expect((await client.health()).ok).toBe(true);
    expect(nodes.log[0].headers.get("authorization")).toBe("Bearer s3cret-token-value");
  });
});
