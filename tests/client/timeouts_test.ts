/**
 * Deadlines and cancellation: each attempt ends at its own `timeoutMs` (AbortSignal.timeout), a
 * caller's signal aborts the call without retries, and the two combine with or without
 * `AbortSignal.any`. No assertion depends on how fast the machine is.
 */
import { describe, expect, it } from "bun:test";
import { RaftClient } from "../../client/src/mod.ts";
import { attemptSignal } from "../../client/src/signals.ts";
import { FakeNodes, leaderHandler, N1, never, recordingSleep, seededRandom } from "./fake_fetch.ts";

/** A client of n1 over `nodes`. */
function clientOf(nodes: FakeNodes, attempts: number, timeoutMs = 50) {
  const recorded = recordingSleep();
  const client = new RaftClient({
    endpoints: [N1],
    fetch: nodes.fetch,
    sleep: recorded.sleep,
    random: seededRandom(9),
    attempts,
    timeoutMs,
  });
  return { client, waits: recorded.waits };
}

describe("RaftClient timeouts", () => {
  it("ends an attempt that gets no answer with a timeout, and retries it with the same key", async () => {
    let calls = 0;
    const leader = leaderHandler("n1");
    const nodes = new FakeNodes().on(N1, (e) => (++calls === 1 ? never(e) : leader(e)));
    const { client } = clientOf(nodes, 2);
    const result = await client.put("k", "v");
    expect(result.ok).toBe(true);
    expect(nodes.log[0].signal.aborted).toBe(true);
    expect(nodes.log[0].headers.get("idempotency-key")).toBe(nodes.log[1].headers.get("idempotency-key"));
  });

  it("reports a timeout without a status as an indefinite write failure", async () => {
    const nodes = new FakeNodes().on(N1, never);
    const { client } = clientOf(nodes, 1);
    const result = await client.put("k", "v");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ code: "timeout", definite: false, attempts: 1 });
    expect(result.error.status).toBeUndefined();
    expect(result.error.message).toContain("no answer within 50 ms");
  });

  it("takes a per-call timeoutMs over the client's", async () => {
    const nodes = new FakeNodes().on(N1, never);
    const { client } = clientOf(nodes, 1, 60_000);
    const result = await client.get("k", { timeoutMs: 20 });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toContain("no answer within 20 ms");
    expect(() => client.get("k", { timeoutMs: 0 })).toThrow(RangeError);
  });

  it("stops at the caller's abort and does not retry", async () => {
    let sent: () => void = () => {};
    const inFlight = new Promise<void>((resolve) => {
      sent = resolve;
    });
    const nodes = new FakeNodes().on(N1, (e) => {
      sent();
      return never(e);
    });
    const { client, waits } = clientOf(nodes, 5, 60_000);
    const controller = new AbortController();
    const pending = client.put("k", "v", { signal: controller.signal });
    await inFlight;
    controller.abort();
    const result = await pending;
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ code: "aborted", definite: false, attempts: 1 });
    expect(nodes.log.length).toBe(1);
    expect(waits).toEqual([]);
  });

  it("sends nothing when the caller's signal aborted already (definite)", async () => {
    const nodes = new FakeNodes().on(N1, leaderHandler("n1"));
    const { client } = clientOf(nodes, 3);
    const result = await client.put("k", "v", { signal: AbortSignal.abort() });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ code: "aborted", definite: true, attempts: 0 });
    expect(nodes.log.length).toBe(0);
  });

  it("combines the deadline and the caller's signal without AbortSignal.any too", async () => {
    const any = AbortSignal.any;
    Object.defineProperty(AbortSignal, "any", { value: undefined, configurable: true, writable: true });
    try {
      const caller = new AbortController();
      const byCaller = attemptSignal(60_000, caller.signal);
      expect(byCaller.signal.aborted).toBe(false);
      caller.abort(new Error("stop"));
      expect(byCaller.signal.aborted).toBe(true);
      expect(byCaller.callerAborted()).toBe(true);
      expect(byCaller.timedOut()).toBe(false);
      byCaller.dispose();
      const byDeadline = attemptSignal(10, new AbortController().signal);
      await new Promise((resolve) => byDeadline.signal.addEventListener("abort", resolve, { once: true }));
      expect(byDeadline.timedOut()).toBe(true);
      expect(byDeadline.callerAborted()).toBe(false);
      byDeadline.dispose();
    } finally {
      Object.defineProperty(AbortSignal, "any", { value: any, configurable: true, writable: true });
    }
    expect(typeof AbortSignal.any).toBe("function");
  });
});
