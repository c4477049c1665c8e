/** Answers and errors as the client reports them, for the dashboard's tests without a browser. */
import type { ClientError, ClientResult, MemberView, NodeStatus } from "../../ui/src/api.ts";

/** A status of `id` in a three-node cluster (n1..n3 at ports 7001..7003) led by `leader`. */
export function statusOf(id: string, leader: string | null, extra: Partial<NodeStatus> = {}): NodeStatus {
  const url = (n: string) => `http://127.0.0.1:${7000 + Number(n.slice(1))}`;
  return {
    id,
    url: url(id),
    role: id === leader ? "leader" : "follower",
    term: 3,
    leader: leader === null ? null : { id: leader, url: url(leader) },
    commitIndex: 40,
    appliedIndex: 39,
    lastIndex: 41,
    snapshotIndex: 20,
    members: ["n1", "n2", "n3"].map((m) => ({ id: m, url: url(m), role: "voter" as const })),
    progress: [],
    runtime: { name: "bun", version: "1.4.5" },
    ...extra,
  };
}

/** The leader's view of one member. */
export function memberView(id: string, extra: Partial<MemberView> = {}): MemberView {
  return {
    id,
    url: `http://127.0.0.1:${7000 + Number(id.slice(1))}`,
    role: "voter",
    leader: false,
    matchIndex: 40,
    lag: 0,
    lastContactMs: 20,
    reachable: true,
    promotionPending: false,
    ...extra,
  };
}

/** A success served by `servedBy`. */
export function ok<T>(value: T, servedBy: string | null = "n2"): ClientResult<T> {
  return { ok: true, value, servedBy, leader: null, replayed: false };
}

/** A failure with `code` (and `status` when a node answered). */
export function failed<T>(code: string, extra: Partial<ClientError> = {}): ClientResult<T> {
  return { ok: false, error: { code, message: `it failed with ${code}`, definite: true, attempts: 1, ...extra } };
}
