/**
 * What the dashboard shows, computed from its poll state and the time: whether the data is live or
 * stale, the leader, the serving node's indexes, and one row per member. Pure, so tests check it
 * without a browser.
 */
import type { MemberRole, MemberView, NodeStatus } from "./api.ts";
import { clockTime, duration, errorLine, isUnauthorized, orDash } from "./format.ts";
import type { PollState } from "./poll_state.ts";

/** Data older than this is shown as stale even while a poll is still waiting for its answer. */
export const STALE_AFTER_MS = 5_000;

/** How current the page's data is. */
export type ConnectionState = "connecting" | "live" | "stale" | "unauthorized";

/** Whether the leader last heard from a member in time (`unknown`: no leader's view). */
export type Reachability = "reachable" | "unreachable" | "unknown";

/** One member as the table shows it. */
export interface MemberRow {
  readonly id: string;
  readonly url: string;
  readonly role: MemberRole;
  readonly roleText: string;
  readonly isLeader: boolean;
  /** The node that served this page. */
  readonly isThisNode: boolean;
  readonly matchIndex: string;
  readonly lag: string;
  readonly lastContact: string;
  readonly reachable: Reachability;
  readonly promotionPending: boolean;
}

/** The member table: whose view it is and its rows. */
export interface MembersView {
  /** `leader`: the leader's view (replication state known); `local`: the serving node's own configuration. */
  readonly source: "leader" | "local" | "none";
  /** Who served it and when, or why the leader's view is missing. */
  readonly note: string;
  readonly stale: boolean;
  readonly rows: readonly MemberRow[];
}

/** What the user is doing in the page, which the rows' buttons depend on. */
export interface UiState {
  /** An admin action is running (admin buttons are disabled meanwhile). */
  readonly busy: boolean;
  /** The member whose removal waits for confirmation, if any. */
  readonly confirmRemove: string | null;
}

/** Label and value pairs about the node that serves the page. */
export type NodeFacts = ReadonlyArray<readonly [label: string, value: string]>;

/** Everything the page renders. */
export interface DashboardView {
  readonly connection: { readonly state: ConnectionState; readonly text: string };
  /** The leader's id (null: none known) and a sentence about it. */
  readonly leader: { readonly id: string | null; readonly text: string };
  readonly node: NodeFacts;
  readonly members: MembersView;
  /** Voters that could take over leadership (every voter but the leader). */
  readonly transferTargets: readonly string[];
  /** While the serving node does not answer: the other members' dashboards (`<url>/ui`). */
  readonly elsewhere: ReadonlyArray<{ readonly id: string; readonly href: string }>;
}

const ROLE_TEXT: Readonly<Record<MemberRole, string>> = {
  voter: "voter",
  learner: "learner",
  joining_voter: "voter (joining)",
  leaving_voter: "voter (leaving)",
};

/** The view of `state` at time `now`; `origin` is the address the page was loaded from. */
export function dashboardView(state: PollState, now: number, origin: string): DashboardView {
  const members = membersView(state, now);
  const leaderRow = members.rows.find((r) => r.isLeader);
  const leaderId = leaderRow?.id ?? (members.source === "none" ? (state.status?.value.leader?.id ?? null) : null);
  const conn = connection(state, now, origin);
  return {
    connection: conn,
    leader: { id: leaderId, text: leaderText(leaderId, state.status?.value) },
    node: nodeFacts(state, now),
    members,
    transferTargets: members.rows.filter((r) => r.role === "voter" && !r.isLeader).map((r) => r.id),
    elsewhere: conn.state === "stale" ? otherDashboards(members.rows, origin) : [],
  };
}

/** The dashboards of the other members whose URL is known, except those the leader last found unreachable. */
function otherDashboards(rows: readonly MemberRow[], origin: string): DashboardView["elsewhere"] {
  return rows.flatMap((r) => {
    if (r.reachable === "unreachable" || !/^https?:\/\//.test(r.url) || sameOrigin(r.url, origin)) return [];
    return [{ id: r.id, href: `${r.url.replace(/\/+$/, "")}/ui` }];
  });
}

function sameOrigin(url: string, origin: string): boolean {
  try {
    return new URL(url).origin === new URL(origin).origin;
  } catch {
    return false; // Not a URL: it cannot be this page's origin.
  }
}

/** `live` while the serving node answers, `stale` once it does not, `unauthorized` when it refuses the token. */
function connection(state: PollState, now: number, origin: string): DashboardView["connection"] {
  const { status, statusError } = state;
  const who = status === null ? origin : `${status.value.id} (${origin})`;
  if (statusError !== null && isUnauthorized(statusError)) {
    return { state: "unauthorized", text: `${who} refused the request: ${errorLine(statusError)}` };
  }
  if (state.polls === 0) return { state: "connecting", text: `Asking ${origin}…` };
  const age = status === null ? null : now - status.at;
  const shown =
    status === null ? "no data yet" : `showing data from ${clockTime(status.at)}, ${duration(age ?? 0)} old`;
  if (statusError !== null)
    return { state: "stale", text: `${who} did not answer (${errorLine(statusError)}); ${shown}` };
  if (age === null || age > STALE_AFTER_MS) return { state: "stale", text: `${who} is slow to answer; ${shown}` };
  return { state: "live", text: `${who} answered at ${clockTime(status?.at ?? now)} (${duration(age)} ago)` };
}

/** `n2 leads (term 4)`, or why no leader is shown. */
function leaderText(leaderId: string | null, status: NodeStatus | undefined): string {
  const term = status === undefined ? "" : ` (term ${status.term})`;
  if (leaderId !== null) return `${leaderId} leads${term}`;
  if (status?.role === "candidate" || status?.role === "precandidate")
    return `No leader: an election is under way${term}`;
  return `No leader known${term}`;
}

/** The serving node's role, term and indexes. */
function nodeFacts(state: PollState, now: number): NodeFacts {
  const answer = state.status;
  if (answer === null) return [];
  const s = answer.value;
  return [
    ["Node", `${s.id} (${s.url})`],
    ["Role", s.role],
    ["Term", String(s.term)],
    ["Leader", s.leader === null ? "none known" : s.leader.id],
    ["Commit index", String(s.commitIndex)],
    ["Applied index", String(s.appliedIndex)],
    ["Last index", String(s.lastIndex)],
    ["Snapshot index", String(s.snapshotIndex)],
    ["Runtime", `${s.runtime.name} ${s.runtime.version}`],
    ["Answered", `${clockTime(answer.at)} (${duration(now - answer.at)} ago)`],
  ];
}

/** The leader's view when the latest member poll succeeded, else the serving node's own, else the last known. */
function membersView(state: PollState, now: number): MembersView {
  const { members, membersError, status, statusError } = state;
  const thisNode = status?.value.id ?? null;
  if (members !== null && membersError === null) {
    const by = members.servedBy === null ? "the leader" : members.servedBy;
    const stale = now - members.at > STALE_AFTER_MS;
    const rows = members.value.map((m) => leaderRow(m, thisNode));
    const note = `As ${by} sees it, at ${clockTime(members.at)} (▸ marks the node serving this page)`;
    return { source: "leader", note, stale, rows };
  }
  const why = membersError === null ? "" : ` (${errorLine(membersError)})`;
  if (status !== null && statusError === null) {
    const rows = localRows(status.value);
    const note = `The leader's view is unavailable${why}; showing ${status.value.id}'s own configuration`;
    return { source: "local", note, stale: now - status.at > STALE_AFTER_MS, rows };
  }
  if (members !== null) {
    const note = `Last known at ${clockTime(members.at)}; no answer since${why}`;
    return { source: "leader", note, stale: true, rows: members.value.map((m) => leaderRow(m, thisNode)) };
  }
  return { source: "none", note: `No member list yet${why}`, stale: true, rows: [] };
}

/** A row from the leader's view. */
function leaderRow(m: MemberView, thisNode: string | null): MemberRow {
  const reachable: Reachability = m.reachable === null ? "unknown" : m.reachable ? "reachable" : "unreachable";
  return {
    id: m.id,
    url: m.url ?? "(not known yet)",
    role: m.role,
    roleText: ROLE_TEXT[m.role],
    isLeader: m.leader,
    isThisNode: m.id === thisNode,
    matchIndex: m.leader ? "(leader)" : orDash(m.matchIndex),
    lag: m.leader ? "0" : orDash(m.lag),
    lastContact: m.leader ? "—" : m.lastContactMs === null ? "never" : `${duration(m.lastContactMs)} ago`,
    reachable,
    promotionPending: m.promotionPending,
  };
}

/** Rows from the serving node's own configuration: roles only, replication unknown. */
function localRows(s: NodeStatus): MemberRow[] {
  return s.members.map((m) => ({
    id: m.id,
    url: m.url ?? "(not known yet)",
    role: m.role,
    roleText: ROLE_TEXT[m.role],
    isLeader: s.leader?.id === m.id,
    isThisNode: m.id === s.id,
    matchIndex: "—",
    lag: "—",
    lastContact: "—",
    reachable: m.id === s.id ? "reachable" : "unknown",
    promotionPending: false,
  }));
}
