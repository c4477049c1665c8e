import { describe, expect, it } from "bun:test";
import type { Members, NodeStatus } from "../../ui/src/api.ts";
import { dashboardView, STALE_AFTER_MS } from "../../ui/src/dashboard_view.ts";
import { foldPoll, INITIAL_POLL_STATE, type PollState } from "../../ui/src/poll_state.ts";
import { failed, memberView, ok, statusOf } from "./ui_fixtures.ts";

const ORIGIN = "http://127.0.0.1:7002";
const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);

/** Members as n1 (the leader) reports them, n3 unreachable. */
const MEMBERS: Members = {
  members: [
    memberView("n1", { leader: true, matchIndex: null, lag: null, lastContactMs: null, reachable: true }),
    memberView("n2"),
    memberView("n3", { matchIndex: 12, lag: 28, lastContactMs: 4200, reachable: false }),
  ],
};

/** The state after polls answering these results at T0, T0 + 1 s, … */
function polled(...polls: Array<[ReturnType<typeof ok<NodeStatus>>, ReturnType<typeof ok<Members>>]>): PollState {
  return polls.reduce(
    (state, [status, members], i) => foldPoll(state, { status, members, at: T0 + i * 1000 }),
    INITIAL_POLL_STATE,
  );
}

describe("dashboardView()", () => {
  it("dashboardView() before any poll says it is connecting and shows no rows", () => {
    const view = dashboardView(INITIAL_POLL_STATE, T0, ORIGIN);
    expect(view.connection.state).toBe("connecting");
    expect(view.connection.text).toContain(ORIGIN);
    expect(view.members).toMatchObject({ source: "none", rows: [] });
    expect(view.leader.id).toBeNull();
  });

  it("dashboardView() of good answers is live, names who answered, and shows the leader's view of each member", () => {
    const state = polled([ok(statusOf("n2", "n1")), ok(MEMBERS, "n1")]);
    const view = dashboardView(state, T0 + 400, ORIGIN);
    expect(view.connection.state).toBe("live");
    expect(view.connection.text).toContain(`n2 (${ORIGIN}) answered at`);
    expect(view.connection.text).toContain("(400 ms ago)");
    expect(view.leader).toEqual({ id: "n1", text: "n1 leads (term 3)" });
    expect(view.members.source).toBe("leader");
    expect(view.members.note).toContain("As n1 sees it");
    expect(view.members.stale).toBe(false);
    expect(view.members.rows.map((r) => [r.id, r.isLeader, r.isThisNode, r.reachable])).toEqual([
      ["n1", true, false, "reachable"],
      ["n2", false, true, "reachable"],
      ["n3", false, false, "unreachable"],
    ]);
    expect(view.members.rows[2]).toMatchObject({ matchIndex: "12", lag: "28", lastContact: "4.2 s ago" });
    expect(view.members.rows[0]).toMatchObject({ matchIndex: "(leader)", lastContact: "—" });
    expect(view.transferTargets).toEqual(["n2", "n3"]);
    expect(view.elsewhere).toEqual([]);
    const facts = Object.fromEntries(view.node);
    expect(facts).toMatchObject({ Node: `n2 (${ORIGIN})`, Role: "follower", Term: "3", "Commit index": "40" });
    expect(facts["Applied index"]).toBe("39");
    expect(facts["Snapshot index"]).toBe("20");
  });

  it("dashboardView() turns stale when the node stops answering, keeps the last data and links the other dashboards", () => {
    const state = polled(
      [ok(statusOf("n2", "n1")), ok(MEMBERS, "n1")],
      [failed("network", { message: "connection refused" }), failed("network")],
    );
    const view = dashboardView(state, T0 + 1500, ORIGIN);
    expect(view.connection.state).toBe("stale");
    expect(view.connection.text).toContain("did not answer (network: connection refused)");
    expect(view.connection.text).toContain("1.5 s old");
    expect(view.members).toMatchObject({ source: "leader", stale: true });
    expect(view.members.note).toContain("no answer since");
    expect(view.leader.id).toBe("n1");
    // n3 was unreachable from the leader, and n2 is this page's own node.
    expect(view.elsewhere).toEqual([{ id: "n1", href: "http://127.0.0.1:7001/ui" }]);
  });

  it("dashboardView() is stale when the latest answer is older than the limit, even without an error yet", () => {
    const state = polled([ok(statusOf("n2", "n1")), ok(MEMBERS, "n1")]);
    expect(dashboardView(state, T0 + STALE_AFTER_MS, ORIGIN).connection.state).toBe("live");
    const late = dashboardView(state, T0 + STALE_AFTER_MS + 1, ORIGIN);
    expect(late.connection.state).toBe("stale");
    expect(late.connection.text).toContain("slow to answer");
    expect(late.members.stale).toBe(true);
  });

  it("dashboardView() without the leader's view falls back to the node's own configuration and says why", () => {
    const state = polled(
      [ok(statusOf("n2", "n1")), ok(MEMBERS, "n1")],
      [ok(statusOf("n2", null, { role: "candidate", term: 4 })), failed("no_leader", { status: 503 })],
    );
    const view = dashboardView(state, T0 + 1200, ORIGIN);
    expect(view.connection.state).toBe("live");
    expect(view.members.source).toBe("local");
    expect(view.members.note).toContain(
      "The leader's view is unavailable (no_leader (HTTP 503): it failed with no_leader)",
    );
    expect(view.members.note).toContain("showing n2's own configuration");
    expect(view.members.rows.map((r) => [r.id, r.reachable, r.lag])).toEqual([
      ["n1", "unknown", "—"],
      ["n2", "reachable", "—"],
      ["n3", "unknown", "—"],
    ]);
    expect(view.leader).toEqual({ id: null, text: "No leader: an election is under way (term 4)" });
    expect(view.transferTargets).toEqual(["n1", "n2", "n3"]);
  });

  it("dashboardView() reports a refused token as unauthorized", () => {
    const state = polled([failed("unauthorized", { status: 401 }), failed("unauthorized", { status: 401 })]);
    const view = dashboardView(state, T0, ORIGIN);
    expect(view.connection.state).toBe("unauthorized");
    expect(view.connection.text).toContain("unauthorized (HTTP 401)");
  });

  it("dashboardView() shows learners, joint roles and pending promotions, and offers only voters but the leader as targets", () => {
    const members: Members = {
      members: [
        memberView("n1", { leader: true }),
        memberView("n2", { role: "leaving_voter" }),
        memberView("n4", { role: "learner", promotionPending: true, reachable: null, lastContactMs: null }),
        memberView("n5", { role: "joining_voter", url: null }),
      ],
    };
    const view = dashboardView(polled([ok(statusOf("n2", "n1")), ok(members, "n1")]), T0, ORIGIN);
    expect(view.members.rows.map((r) => [r.id, r.roleText, r.reachable, r.promotionPending])).toEqual([
      ["n1", "voter", "reachable", false],
      ["n2", "voter (leaving)", "reachable", false],
      ["n4", "learner", "unknown", true],
      ["n5", "voter (joining)", "reachable", false],
    ]);
    expect(view.members.rows[2].lastContact).toBe("never");
    expect(view.members.rows[3].url).toBe("(not known yet)");
    expect(view.transferTargets).toEqual([]);
  });
});

describe("foldPoll()", () => {
  it("foldPoll() keeps the last good answers next to the latest errors, and replaces them with newer ones", () => {
    const first = foldPoll(INITIAL_POLL_STATE, {
      status: ok(statusOf("n2", "n1")),
      members: ok(MEMBERS, "n1"),
      at: T0,
    });
    const second = foldPoll(first, { status: failed("timeout"), members: failed("timeout"), at: T0 + 1000 });
    expect(second.polls).toBe(2);
    expect(second.lastPollAt).toBe(T0 + 1000);
    expect(second.status).toEqual(first.status);
    expect(second.statusError?.code).toBe("timeout");
    expect(second.members?.servedBy).toBe("n1");
    const third = foldPoll(second, {
      status: ok(statusOf("n2", "n3"), "n2"),
      members: ok(MEMBERS, "n3"),
      at: T0 + 2000,
    });
    expect([third.statusError, third.membersError]).toEqual([null, null]);
    expect(third.status?.value.leader?.id).toBe("n3");
    expect(third.members).toMatchObject({ servedBy: "n3", at: T0 + 2000 });
  });
});
