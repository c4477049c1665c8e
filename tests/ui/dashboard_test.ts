import { describe, expect, it } from "bun:test";
import { MAX_RESULTS, withResult } from "../../ui/src/action_results.ts";
import type { ClientResult, DashboardApi, Members, NodeStatus } from "../../ui/src/api.ts";
import { Dashboard, type DashboardSnapshot } from "../../ui/src/dashboard.ts";
import { TOKEN_KEY, TokenStore } from "../../ui/src/token_store.ts";
import { failed, memberView, ok, statusOf } from "./ui_fixtures.ts";

const MEMBERS: Members = { members: ["n1", "n2", "n3"].map((id) => memberView(id, { leader: id === "n1" })) };

/** A resolvable promise, to hold an answer back until the test releases it. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A fake node API that records each call; status and members answer what `answers` says for the token. */
class FakeApi implements DashboardApi {
  readonly calls: string[] = [];
  constructor(
    readonly token: string | null,
    readonly answers: FakeAnswers,
  ) {}
  status(): Promise<ClientResult<NodeStatus>> {
    this.calls.push("status");
    return this.answers.status(this.token);
  }
  members(): Promise<ClientResult<Members>> {
    this.calls.push("members");
    return Promise.resolve(this.answers.members(this.token));
  }
  addMember(m: { id: string; url: string; learner?: boolean }) {
    this.calls.push(`add ${m.id} ${m.url} ${m.learner}`);
    return Promise.resolve(ok({ changed: true, members: [...MEMBERS.members, memberView("n4", { role: "learner" })] }));
  }
  promoteMember(id: string) {
    this.calls.push(`promote ${id}`);
    return Promise.resolve(failed<never>("learner_behind", { status: 409 }));
  }
  removeMember(id: string, options?: { force?: boolean }) {
    this.calls.push(`remove ${id} force=${options?.force}`);
    return this.answers.remove();
  }
  transferLeader(options?: { to?: string }) {
    this.calls.push(`transfer ${JSON.stringify(options)}`);
    return Promise.resolve(ok({ leader: { id: options?.to ?? "n3", url: "http://127.0.0.1:7003" }, term: 4 }));
  }
  snapshot() {
    this.calls.push("snapshot");
    return Promise.resolve(ok({ index: 42, term: 3, bytes: 2048 }, "n2"));
  }
}

interface FakeAnswers {
  status(token: string | null): Promise<ClientResult<NodeStatus>>;
  members(token: string | null): ClientResult<Members>;
  remove(): Promise<ClientResult<{ changed: boolean; members: typeof MEMBERS.members }>>;
}

/** Answers 401 without the token `secret`, else a healthy cluster led by n1. */
const NEEDS_SECRET: FakeAnswers = {
  status: (token) =>
    Promise.resolve(token === "secret" ? ok(statusOf("n2", "n1")) : failed("unauthorized", { status: 401 })),
  members: (token) => (token === "secret" ? ok(MEMBERS, "n1") : failed("unauthorized", { status: 401 })),
  remove: () => Promise.resolve(failed("quorum_at_risk", { status: 409, definite: true })),
};

/** A dashboard over fake APIs (never started: the test polls by hand), and what it rendered. */
function harness(answers: FakeAnswers = NEEDS_SECRET, stored: Record<string, string> = {}) {
  const apis: FakeApi[] = [];
  const renders: DashboardSnapshot[] = [];
  const storage = new Map(Object.entries(stored));
  const tokens = new TokenStore({
    getItem: (k) => storage.get(k) ?? null,
    setItem: (k, v) => void storage.set(k, v),
    removeItem: (k) => void storage.delete(k),
  });
  const dashboard = new Dashboard({
    origin: "http://127.0.0.1:7002",
    tokens,
    makeApi: (token) => {
      const api = new FakeApi(token, answers);
      apis.push(api);
      return api;
    },
    render: (s) => renders.push(s),
    now: () => Date.UTC(2030, 0, 1),
  });
  const last = () => renders[renders.length - 1];
  return { dashboard, apis, renders, storage, last };
}

describe("Dashboard", () => {
  it("a 401 shows the token prompt; the token typed in is stored for the session, sent, and the data shows", async () => {
    const h = harness();
    await h.dashboard.pollNow();
    expect(h.last().view.connection.state).toBe("unauthorized");
    expect(h.last().authPrompt).toContain("This node needs an API token");
    expect(h.last().tokenState).toContain("No token");

    h.dashboard.useToken("  wrong  ");
    await h.dashboard.pollNow();
    expect(h.storage.get(TOKEN_KEY)).toBe("wrong");
    expect(h.last().authPrompt).toContain("refused the token you entered");

    h.dashboard.useToken("secret");
    await h.dashboard.pollNow();
    expect(h.apis.at(-1)?.token).toBe("secret");
    expect(h.last().authPrompt).toBeNull();
    expect(h.last().view.connection.state).toBe("live");
    expect(h.last().view.leader.id).toBe("n1");
    expect(h.last().tokenState).toContain("session storage");

    h.dashboard.forgetToken();
    expect(h.storage.has(TOKEN_KEY)).toBe(false);
    expect(h.apis.at(-1)?.token).toBeNull();
  });

  it("a token kept from earlier in the session is used from the first poll", async () => {
    const h = harness(NEEDS_SECRET, { [TOKEN_KEY]: "secret" });
    await h.dashboard.pollNow();
    expect(h.apis.map((a) => a.token)).toEqual(["secret", "secret"]);
    expect(h.last().view.connection.state).toBe("live");
  });

  it("an answer to a poll made with the replaced token is dropped", async () => {
    const held = deferred<ClientResult<NodeStatus>>();
    const answers: FakeAnswers = {
      ...NEEDS_SECRET,
      status: (token) => (token === null ? held.promise : NEEDS_SECRET.status(token)),
    };
    const h = harness(answers);
    const first = h.dashboard.pollNow(); // Waits on the held answer, asked without a token.
    h.dashboard.useToken("secret"); // Polls again as soon as the first poll ends.
    held.resolve(failed("unauthorized", { status: 401 }));
    await first;
    expect(h.renders.every((r) => r.view.connection.state !== "unauthorized")).toBe(true);
    expect(h.last().view.connection.state).toBe("live");
  });

  it("each answer of a poll shows when it comes: a slow status does not hold the member list back", async () => {
    const held = deferred<ClientResult<NodeStatus>>();
    const h = harness({ ...NEEDS_SECRET, status: () => held.promise }, { [TOKEN_KEY]: "secret" });
    const poll = h.dashboard.pollNow();
    await new Promise((resolve) => setTimeout(resolve, 0)); // Lets the settled member answer run (no wait on time).
    expect(h.last().view.members.source).toBe("leader");
    expect(h.last().view.connection.state).toBe("connecting");
    held.resolve(ok(statusOf("n2", "n1")));
    await poll;
    expect(h.last().view.connection.state).toBe("live");
  });

  it("actions show pending then their outcome, run one at a time, and pass what was chosen", async () => {
    const h = harness(NEEDS_SECRET, { [TOKEN_KEY]: "secret" });
    await h.dashboard.pollNow();
    const transfer = h.dashboard.transfer("n3");
    const ignored = h.dashboard.snapshot(); // Refused while the transfer runs.
    expect(h.last().ui.busy).toBe(true);
    expect(h.last().results[0]).toMatchObject({ outcome: "pending", action: "Transfer leadership to n3" });
    await Promise.all([transfer, ignored]);
    const act = h.apis[1];
    expect(act.calls).toEqual(['transfer {"to":"n3"}']);
    expect(h.last().results).toHaveLength(1);
    expect(h.last().results[0]).toMatchObject({ outcome: "ok", summary: expect.stringContaining("now with n3") });

    await h.dashboard.transfer(null);
    await h.dashboard.snapshot();
    await h.dashboard.addMember("n4", "http://127.0.0.1:7004", true);
    expect(act.calls.slice(1)).toEqual(["transfer {}", "snapshot", "add n4 http://127.0.0.1:7004 true"]);
    const [added, snapshot, moved] = h.last().results;
    expect(moved.action).toBe("Transfer leadership to the most caught-up voter");
    expect(snapshot.summary).toBe("n2 has a snapshot at index 42 (term 3, 2.0 KiB) and compacted its log");
    expect(added.summary).toContain("n4 was added as a learner; members now: n1 voter, n2 voter, n3 voter, n4 learner");
    expect(h.last().ui.busy).toBe(false);
  });

  it("errors show code, status, message, definite and what to do; a removal is confirmed first and can be forced", async () => {
    const h = harness(NEEDS_SECRET, { [TOKEN_KEY]: "secret" });
    h.dashboard.askRemove("n3");
    expect(h.last().ui.confirmRemove).toBe("n3");
    await h.dashboard.remove("n3", false);
    expect(h.last().ui.confirmRemove).toBeNull();
    const refused = h.last().results[0];
    expect(refused).toMatchObject({ outcome: "error", code: "quorum_at_risk", action: "Remove n3" });
    expect(refused.summary).toBe("quorum_at_risk (HTTP 409): it failed with quorum_at_risk");
    expect(refused.definite).toContain("definite: true");
    expect(refused.hint).toContain("force");
    await h.dashboard.remove("n3", true);
    await h.dashboard.promote("n4");
    expect(h.apis[1].calls).toEqual(["remove n3 force=false", "remove n3 force=true", "promote n4"]);
    expect(h.last().results[0]).toMatchObject({ code: "learner_behind", hint: expect.stringContaining("caught up") });
  });

  it("an action that may have taken effect says so (definite: false)", async () => {
    const answers: FakeAnswers = {
      ...NEEDS_SECRET,
      remove: () => Promise.resolve(failed("timeout", { status: 504, definite: false })),
    };
    const h = harness(answers, { [TOKEN_KEY]: "secret" });
    await h.dashboard.remove("n2", false);
    expect(h.last().results[0].definite).toContain("definite: false — it may still take effect");
  });

  it("a client that throws instead of answering is shown as an error, not lost", async () => {
    const answers: FakeAnswers = { ...NEEDS_SECRET, remove: () => Promise.reject(new Error("boom")) };
    const h = harness(answers, { [TOKEN_KEY]: "secret" });
    await h.dashboard.remove("n2", false);
    expect(h.last().results[0]).toMatchObject({ outcome: "error", summary: "internal: The page failed: boom" });
    expect(h.last().ui.busy).toBe(false);
  });
});

describe("withResult()", () => {
  it("withResult() keeps the newest first, replaces an entry by its sequence number, and keeps at most MAX_RESULTS", () => {
    let list = withResult([], { seq: 1, at: 0, action: "a", outcome: "pending", summary: "…" });
    list = withResult(list, { seq: 2, at: 0, action: "b", outcome: "pending", summary: "…" });
    list = withResult(list, { seq: 1, at: 1, action: "a", outcome: "ok", summary: "done" });
    expect(list.map((e) => [e.seq, e.outcome])).toEqual([
      [2, "pending"],
      [1, "ok"],
    ]);
    for (let seq = 3; seq < 3 + MAX_RESULTS; seq++)
      list = withResult(list, { seq, at: 0, action: "x", outcome: "ok", summary: "" });
    expect(list).toHaveLength(MAX_RESULTS);
    expect(list[0].seq).toBe(2 + MAX_RESULTS);
    expect(list.some((e) => e.seq === 1)).toBe(false);
  });
});

describe("TokenStore", () => {
  it("TokenStore keeps working in memory when the storage refuses", () => {
    const refusing = {
      getItem: () => {
        throw new Error("denied");
      },
      setItem: () => {
        throw new Error("quota");
      },
      removeItem: () => {
        throw new Error("denied");
      },
    };
    const store = new TokenStore(refusing);
    expect(store.token).toBeNull();
    store.set("t0ken");
    expect(store.token).toBe("t0ken");
    store.set("   ");
    expect(store.token).toBeNull();
    expect(new TokenStore(null).token).toBeNull();
  });
});
