/**
 * Leader following with a scripted network: 307 redirects to the leader (remembered for the next
 * call), a leader's path prefix, redirect loops, endpoints that refuse connections or know no
 * leader, error hints naming the leader, forwarding mode, and browsers' opaque redirects.
 */
import { describe, expect, it } from "bun:test";
import { RaftClient } from "../../client/src/mod.ts";
import {
  apiError,
  FakeNodes,
  followerHandler,
  json,
  leaderHandler,
  N1,
  N2,
  N3,
  putAnswer,
  recordingSleep,
  redirectTo,
  seededRandom,
} from "./fake_fetch.ts";

/** A client of n1..n3 over `nodes`, sleeping without waiting. */
function clientOf(nodes: FakeNodes, extra: Partial<ConstructorParameters<typeof RaftClient>[0]> = {}) {
  const { sleep } = recordingSleep();
  return new RaftClient({ endpoints: [N1, N2, N3], fetch: nodes.fetch, sleep, random: seededRandom(1), ...extra });
}

describe("RaftClient leader following", () => {
  it("follows a follower's 307 to the leader and sends the next call there directly", async () => {
    const nodes = new FakeNodes().on(N1, followerHandler("n1", N2)).on(N2, leaderHandler("n2"));
    const client = clientOf(nodes);
    const first = await client.put("a", "1");
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect({ servedBy: first.servedBy, leader: first.leader, replayed: first.replayed }).toEqual({
      servedBy: "n2",
      leader: "n2",
      replayed: false,
    });
    expect(nodes.origins).toEqual([N1, N2]);
    expect(nodes.log[0].url.searchParams.get("redirect")).toBe("true");
    expect(nodes.log[0].url.pathname).toBe("/v1/kv/a");
    expect(nodes.log[1].method).toBe("PUT");
    expect(JSON.parse(nodes.log[1].body)).toEqual({ value: "1" });
    // The redirect is part of one attempt and keeps the idempotency key.
    expect(nodes.log[1].headers.get("idempotency-key")).toBe(nodes.log[0].headers.get("idempotency-key"));
    expect(client.leader).toEqual({ id: "n2", url: N2 });
    const second = await client.get("a");
    expect(second.ok).toBe(true);
    expect(nodes.origins).toEqual([N1, N2, N2]);
  });

  it("keeps the leader's path prefix from Location and encodes keys with a slash", async () => {
    const prefixed = "http://proxy.test:8080/raft/n2";
    const nodes = new FakeNodes()
      .on(N1, (e) => redirectTo(e, prefixed, "n1"))
      .on(prefixed, (e) => putAnswer("dir/k", 5, "n2", { "x-seen-path": e.url.pathname }));
    const client = clientOf(nodes);
    const result = await client.put("dir/k", "v");
    expect(result.ok).toBe(true);
    expect(nodes.log.map((e) => e.url.pathname)).toEqual(["/v1/kv/dir%2Fk", "/raft/n2/v1/kv/dir%2Fk"]);
    expect(client.leader).toEqual({ id: "n2", url: prefixed });
  });

  it("moves to the next endpoint after a refused connection and remembers who served", async () => {
    const nodes = new FakeNodes().on(N2, leaderHandler("n2")).on(N3, followerHandler("n3", N2));
    const client = clientOf(nodes);
    const result = await client.get("k");
    expect(result.ok).toBe(true);
    expect(nodes.origins).toEqual([N1, N2]);
    const again = await client.get("k");
    expect(again.ok).toBe(true);
    expect(nodes.origins).toEqual([N1, N2, N2]);
  });

  it("tries the next endpoint when a node knows no leader, and the hinted leader of a not_leader", async () => {
    const nodes = new FakeNodes()
      .on(N1, () => apiError(503, "no_leader", "n1", { definite: true }))
      .on(N2, () => apiError(503, "not_leader", "n2", { definite: true, details: { leader: { id: "n3", url: N3 } } }))
      .on(N3, leaderHandler("n3"));
    const client = clientOf(nodes);
    const result = await client.put("k", "v");
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(nodes.origins).toEqual([N1, N2, N3]);
    expect(result.servedBy).toBe("n3");
    expect(new Set(nodes.log.map((e) => e.headers.get("idempotency-key"))).size).toBe(1);
  });

  it("with routing forward, a leader hint outside the endpoints is not followed: the next endpoint is tried", async () => {
    const outside = "http://10.9.9.9:7001";
    const nodes = new FakeNodes()
      .on(N1, () =>
        apiError(503, "not_leader", "n1", { definite: true, details: { leader: { id: "n9", url: outside } } }),
      )
      .on(N2, leaderHandler("n2"));
    const client = clientOf(nodes, { routing: "forward" });
    const result = await client.put("k", "v");
    expect(result.ok).toBe(true);
    expect(nodes.origins).toEqual([N1, N2]);
  });

  it("with routing forward, a leader hint that is one of the endpoints is followed", async () => {
    const nodes = new FakeNodes()
      .on(N1, () => apiError(503, "not_leader", "n1", { definite: true, details: { leader: { id: "n3", url: N3 } } }))
      .on(N3, leaderHandler("n3"));
    const client = clientOf(nodes, { routing: "forward" });
    const result = await client.put("k", "v");
    expect(result.ok).toBe(true);
    expect(nodes.origins).toEqual([N1, N3]);
  });

  it("forgets a leader that stops answering and goes back to the endpoints", async () => {
    const nodes = new FakeNodes().on(N1, followerHandler("n1", N2)).on(N2, leaderHandler("n2"));
    const client = clientOf(nodes);
    expect((await client.put("a", "1")).ok).toBe(true);
    nodes.down(N2).on(N3, leaderHandler("n3")).on(N1, followerHandler("n1", N3));
    const result = await client.put("b", "2");
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.leader).toBe("n3");
    // n2 refused; the cursor endpoint (n1) redirected to the new leader n3.
    expect(nodes.origins.slice(2)).toEqual([N2, N1, N3]);
  });

  it("gives up on a redirect loop within an attempt and reports a definite not_leader", async () => {
    const nodes = new FakeNodes().on(N1, followerHandler("n1", N2)).on(N2, followerHandler("n2", N1));
    const client = clientOf(nodes, { attempts: 2 });
    const result = await client.put("k", "v");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ code: "not_leader", definite: true, attempts: 2, status: 307 });
    // Each attempt: the first request and three redirects.
    expect(nodes.log.length).toBe(8);
  });

  it("reports a 307 without Location as an invalid answer", async () => {
    const nodes = new FakeNodes().on(N1, () => new Response(null, { status: 307 }));
    const client = new RaftClient({ endpoints: [N1], fetch: nodes.fetch, attempts: 1 });
    const result = await client.get("k");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe("invalid_response");
    expect(result.error.message).toContain("without Location");
  });

  it("never asks for redirects on stale reads, which any node serves", async () => {
    const nodes = new FakeNodes().on(N1, (e) =>
      json(200, { key: "k", value: "v", revision: 1, createRevision: 1, version: 1, index: 3, q: e.url.search }, "n1"),
    );
    const client = clientOf(nodes);
    const result = await client.get("k", { consistency: "stale" });
    expect(result.ok).toBe(true);
    expect(nodes.log[0].url.search).toBe("?consistency=stale");
    if (result.ok) expect(result.leader).toBe(null);
  });

  it("with routing forward lets followers forward and learns the leader's id from x-raft-served-by", async () => {
    const leader = leaderHandler("n2");
    const nodes = new FakeNodes().on(N1, followerHandler("n1", N2, leader));
    const client = clientOf(nodes, { routing: "forward" });
    const result = await client.put("k", "v");
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(nodes.log[0].url.searchParams.has("redirect")).toBe(false);
    expect({ servedBy: result.servedBy, leader: result.leader }).toEqual({ servedBy: "n2", leader: "n2" });
    expect(client.leader).toEqual({ id: "n2", url: null });
  });

  it("switches to forwarding when the runtime hides redirects (a browser's opaque redirect)", async () => {
    const nodes = new FakeNodes().on(N1, (e) => {
      if (e.url.searchParams.get("redirect") !== "true") return putAnswer("k", 4, "n2");
      const opaque = new Response(null, { status: 200 });
      Object.defineProperty(opaque, "type", { value: "opaqueredirect" });
      Object.defineProperty(opaque, "status", { value: 0 });
      return opaque;
    });
    const client = clientOf(nodes);
    const result = await client.put("k", "v");
    expect(result.ok).toBe(true);
    expect(nodes.log.map((e) => e.url.searchParams.get("redirect"))).toEqual(["true", null]);
    const next = await client.put("k", "w");
    expect(next.ok).toBe(true);
    expect(nodes.log[2].url.searchParams.has("redirect")).toBe(false);
  });
});
