/**
 * What the client retries and what it does not: indefinite failures of writes are retried only
 * with an idempotency key (the same one on every attempt), definite failures and reads always,
 * permanent errors never; a write is definite only if every attempt was; waits follow the backoff.
 */
import { describe, expect, it } from "bun:test";
import { backoffDelay, RaftClient, type RaftClientOptions } from "../../client/src/mod.ts";
import {
  apiError,
  FakeNodes,
  type Handler,
  leaderHandler,
  N1,
  N2,
  putAnswer,
  recordingSleep,
  seededRandom,
} from "./fake_fetch.ts";

/** A handler that answers with `script[i]` on its i-th request, then like the leader `id`. */
function scripted(id: string, script: ReadonlyArray<() => Response | Promise<Response>>): Handler {
  const rest = leaderHandler(id);
  let i = 0;
  return (e) => (i < script.length ? script[i++]() : rest(e));
}

/** A fetch failure like a dropped connection. */
const dropped = () => Promise.reject(new TypeError("fetch failed", { cause: new Error("socket hang up") }));

/** A client of the single node n1 over `nodes`, with recorded waits. */
function clientOf(nodes: FakeNodes, extra: Partial<RaftClientOptions> = {}) {
  const recorded = recordingSleep();
  const client = new RaftClient({
    endpoints: [N1],
    fetch: nodes.fetch,
    sleep: recorded.sleep,
    random: seededRandom(7),
    ...extra,
  });
  return { client, waits: recorded.waits };
}

describe("RaftClient retry policy", () => {
  it("retries a write's indefinite failures with the same idempotency key and reports the replay", async () => {
    const nodes = new FakeNodes().on(
      N1,
      scripted("n1", [
        () => apiError(504, "timeout", "n1", { definite: false }),
        dropped,
        () => putAnswer("k", 12, "n1", { "idempotent-replayed": "true" }),
      ]),
    );
    const { client } = clientOf(nodes);
    const result = await client.put("k", "v");
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.replayed).toBe(true);
    expect(result.value).toEqual({ key: "k", revision: 12, index: 12, prev: null });
    const keys = nodes.log.map((e) => e.headers.get("idempotency-key"));
    expect(keys.length).toBe(3);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"$/);
  });

  it("gives every write call its own key, on puts and deletes", async () => {
    const nodes = new FakeNodes().on(N1, leaderHandler("n1"));
    const { client } = clientOf(nodes);
    await client.put("a", "1");
    await client.put("a", "2");
    await client.delete("a");
    await client.delete("a", { expectRevision: 3 });
    const keys = nodes.log.map((e) => e.headers.get("idempotency-key"));
    expect(keys.every((k) => k !== null)).toBe(true);
    expect(new Set(keys).size).toBe(4);
    expect(nodes.log.map((e) => e.method)).toEqual(["PUT", "PUT", "DELETE", "DELETE"]);
    expect(nodes.log[3].url.searchParams.get("expectRevision")).toBe("3");
    expect(nodes.log[3].body).toBe("");
  });

  it("sends the caller's idempotency key as an sf-string and refuses a malformed one", async () => {
    const nodes = new FakeNodes().on(N1, leaderHandler("n1"));
    const { client } = clientOf(nodes);
    await client.put("a", "1", { idempotencyKey: 'order-17 "x"\\y' });
    expect(nodes.log[0].headers.get("idempotency-key")).toBe('"order-17 \\"x\\"\\\\y"');
    expect(() => client.put("a", "1", { idempotencyKey: "" })).toThrow(TypeError);
    expect(() => client.put("a", "1", { idempotencyKey: "é" })).toThrow(TypeError);
    expect(() => client.put("a", "1", { idempotencyKey: "x".repeat(129) })).toThrow(TypeError);
    expect(nodes.log.length).toBe(1);
  });

  it("with idempotencyKey null returns an indefinite failure instead of retrying it", async () => {
    const nodes = new FakeNodes().on(N1, scripted("n1", [() => apiError(504, "timeout", "n1", { definite: false })]));
    const { client, waits } = clientOf(nodes);
    const result = await client.put("k", "v", { idempotencyKey: null });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ code: "timeout", definite: false, attempts: 1, status: 504, servedBy: "n1" });
    expect(nodes.log.length).toBe(1);
    expect(nodes.log[0].headers.has("idempotency-key")).toBe(false);
    expect(waits).toEqual([]);
  });

  it("with idempotencyKey null does not retry a dropped connection either", async () => {
    const nodes = new FakeNodes().on(N1, scripted("n1", [dropped]));
    const { client } = clientOf(nodes);
    const result = await client.delete("k", { idempotencyKey: null });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ code: "network", definite: false, attempts: 1 });
    expect(result.error.message).toContain("socket hang up");
    expect(nodes.log.length).toBe(1);
  });

  it("with idempotencyKey null still retries definite failures", async () => {
    const nodes = new FakeNodes().on(
      N1,
      scripted("n1", [
        () => apiError(503, "no_leader", "n1", { definite: true }),
        () => apiError(503, "overloaded", "n1", { definite: true }),
      ]),
    );
    const { client, waits } = clientOf(nodes);
    const result = await client.put("k", "v", { idempotencyKey: null });
    expect(result.ok).toBe(true);
    expect(nodes.log.length).toBe(3);
    expect(waits.length).toBe(2);
  });

  it("never retries permanent errors", async () => {
    for (const [status, code] of [
      [409, "compare_failed"],
      [400, "validation_failed"],
      [401, "unauthorized"],
      [403, "forbidden"],
      [413, "payload_too_large"],
      [422, "idempotency_key_reused"],
    ] as const) {
      const nodes = new FakeNodes().on(N1, scripted("n1", [() => apiError(status, code, "n1", { definite: true })]));
      const { client, waits } = clientOf(nodes);
      const result = await client.put("k", "v", { expectRevision: 0 });
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error).toMatchObject({ code, status, definite: true, attempts: 1 });
      expect(nodes.log.length).toBe(1);
      expect(waits).toEqual([]);
    }
  });

  it("retries reads on any transient failure, dropped connections included", async () => {
    const nodes = new FakeNodes().on(
      N1,
      scripted("n1", [
        dropped,
        () => apiError(502, "leader_unreachable", "n1"),
        () => new Response("<html>bad gateway</html>", { status: 502 }),
      ]),
    );
    const { client } = clientOf(nodes);
    const result = await client.get("k");
    expect(result.ok).toBe(true);
    expect(nodes.log.length).toBe(4);
  });

  it("gives up after `attempts` and calls the write indefinite if any attempt may have applied", async () => {
    const nodes = new FakeNodes().on(
      N1,
      scripted("n1", [
        () => apiError(503, "no_leader", "n1", { definite: true }),
        () => apiError(504, "timeout", "n1", { definite: false }),
        () => apiError(503, "no_leader", "n1", { definite: true }),
      ]),
    );
    const { client } = clientOf(nodes, { attempts: 3 });
    const result = await client.put("k", "v");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    // The last answer was definite, but the second attempt may still be applied.
    expect(result.error).toMatchObject({ code: "no_leader", definite: false, attempts: 3 });
  });

  it("calls a write definite when every attempt was", async () => {
    const noLeader = () => apiError(503, "no_leader", "n1", { definite: true });
    const nodes = new FakeNodes().on(N1, scripted("n1", [noLeader, noLeader]));
    const { client } = clientOf(nodes, { attempts: 2 });
    const result = await client.delete("k");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ code: "no_leader", definite: true, attempts: 2 });
  });

  it("honours a per-call attempts option", async () => {
    const noLeader = () => apiError(503, "no_leader", "n1", { definite: true });
    const nodes = new FakeNodes().on(N1, scripted("n1", [noLeader, noLeader, noLeader]));
    const { client } = clientOf(nodes);
    const result = await client.get("k", { attempts: 1 });
    expect(result.ok).toBe(false);
    expect(nodes.log.length).toBe(1);
    expect(() => client.get("k", { attempts: 0 })).toThrow(RangeError);
  });

  it("waits between attempts with exponential backoff and full jitter from the injected random source", async () => {
    const noLeader = () => apiError(503, "no_leader", "n1", { definite: true });
    const nodes = new FakeNodes().on(N1, scripted("n1", [noLeader, noLeader, noLeader, noLeader, noLeader]));
    const backoffMs = { base: 100, max: 350 };
    const { client, waits } = clientOf(nodes, { attempts: 6, backoffMs, random: seededRandom(42) });
    expect((await client.put("k", "v")).ok).toBe(true);
    // The same seed draws the same jitter: retry i waits backoffDelay(i) with the i-th draw.
    const draws = seededRandom(42);
    expect(waits).toEqual([1, 2, 3, 4, 5].map((retry) => backoffDelay(retry, backoffMs, draws)));
    expect(new Set(waits).size).toBeGreaterThan(1);
    const ceilings = [100, 200, 350, 350, 350];
    waits.forEach((w, i) => {
      expect(w).toBeGreaterThanOrEqual(0);
      expect(w).toBeLessThan(ceilings[i]);
    });
  });

  it("moves to another endpoint after a transient failure and keeps the key across nodes", async () => {
    const nodes = new FakeNodes()
      .on(N1, () => apiError(504, "timeout", "n1", { definite: false }))
      .on(N2, leaderHandler("n2"));
    const recorded = recordingSleep();
    const client = new RaftClient({
      endpoints: [N1, N2],
      fetch: nodes.fetch,
      sleep: recorded.sleep,
      random: seededRandom(3),
    });
    const result = await client.put("k", "v");
    expect(result.ok).toBe(true);
    expect(nodes.origins).toEqual([N1, N2]);
    expect(nodes.log[0].headers.get("idempotency-key")).toBe(nodes.log[1].headers.get("idempotency-key"));
  });
});
