import { describe, expect, it } from "bun:test";
import { type JoinRequest, joinCluster } from "../../src/server/join.ts";
import { silentLogger } from "../../src/server/logger.ts";

/** A join whose fetch answers `answers` in turn (then keeps answering the last one). */
function join(answers: Array<[number, string] | Error>, overrides: Partial<JoinRequest> = {}) {
  const sent: Array<{ url: string; init: RequestInit }> = [];
  const slept: number[] = [];
  const request: JoinRequest = {
    via: "http://127.0.0.1:7001/",
    self: { id: "n4", url: "http://127.0.0.1:7004" },
    isVoter: () => false,
    stopped: () => false,
    logger: silentLogger,
    fetch: (url, init) => {
      sent.push({ url, init });
      const answer = answers[Math.min(sent.length - 1, answers.length - 1)];
      if (answer instanceof Error) return Promise.reject(answer);
      return Promise.resolve(new Response(answer[1], { status: answer[0] }));
    },
    sleep: (ms) => {
      slept.push(ms);
      return Promise.resolve();
    },
    ...overrides,
  };
  return { request, sent, slept };
}

describe("joinCluster()", () => {
  it("POSTs this node's id and URL to the members route, with the admin token, and stops on success", async () => {
    const { request, sent } = join([[201, "{}"]], { adminToken: "admin-secret" });
    expect(await joinCluster(request)).toBe("joined");
    expect(sent.map((s) => s.url)).toEqual(["http://127.0.0.1:7001/v1/cluster/members"]);
    expect(JSON.parse(String(sent[0].init.body))).toEqual({ id: "n4", url: "http://127.0.0.1:7004" });
    expect((sent[0].init.headers as Record<string, string>).authorization).toBe("Bearer admin-secret");
  });

  it("retries with growing, bounded pauses while the cluster is unavailable or unreachable", async () => {
    const unavailable: [number, string] = [503, '{"error":{"code":"no_leader"}}'];
    const { request, slept } = join([
      new Error("connection refused"),
      unavailable,
      unavailable,
      unavailable,
      unavailable,
      unavailable,
      unavailable,
      [200, "{}"],
    ]);
    expect(await joinCluster(request)).toBe("joined");
    expect(slept).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);
  });

  it("gives up on a refusal that retrying cannot change: another URL for this id, a bad token, bad input", async () => {
    for (const answer of [
      [409, '{"error":{"code":"member_conflict"}}'],
      [401, '{"error":{"code":"unauthorized"}}'],
      [400, '{"error":{"code":"validation_failed"}}'],
    ] as Array<[number, string]>) {
      const { request, sent } = join([answer]);
      expect(await joinCluster(request)).toBe("refused");
      expect(sent.length).toBe(1);
    }
  });

  it("sends nothing when the node is a member already (a restart) or is stopping", async () => {
    const member = join([[201, "{}"]], { isVoter: () => true });
    expect(await joinCluster(member.request)).toBe("member");
    expect(member.sent).toEqual([]);
    const stopping = join([[201, "{}"]], { stopped: () => true });
    expect(await joinCluster(stopping.request)).toBe("stopped");
    expect(stopping.sent).toEqual([]);
  });

  it("a change still in progress (409 change_in_progress) is retried", async () => {
    const { request, sent } = join([
      [409, '{"error":{"code":"change_in_progress"}}'],
      [201, "{}"],
    ]);
    expect(await joinCluster(request)).toBe("joined");
    expect(sent.length).toBe(2);
  });
});
