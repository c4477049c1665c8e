/**
 * The outcomes of admin actions as the results list shows them: a bounded, newest-first list of
 * entries, and the sentence for each answer or error. Pure.
 */
import type { ClientError, ClientResult, LeaderChange, MembershipChange, SnapshotInfo } from "./api.ts";
import { bytes, definiteText, errorLine, isForbidden, isUnauthorized } from "./format.ts";

/** Most entries the list keeps (older ones are dropped). */
export const MAX_RESULTS = 20;

/** One action and how it ended (or that it is still running). */
export interface ResultEntry {
  /** Increasing per page load. */
  readonly seq: number;
  readonly at: number;
  /** What was asked, e.g. `Transfer leadership to n3`. */
  readonly action: string;
  readonly outcome: "pending" | "ok" | "error";
  /** The answer in a sentence (for errors: code, status and message). */
  readonly summary: string;
  /** For errors: whether the action may still take effect. */
  readonly definite?: string;
  /** What to do next, when there is something to say. */
  readonly hint?: string;
  /** For errors: the error code (also shown in the summary). */
  readonly code?: string;
}

/** `list` with `entry` in front, or replacing the entry with the same `seq`; at most {@link MAX_RESULTS}. */
export function withResult(list: readonly ResultEntry[], entry: ResultEntry): ResultEntry[] {
  const rest = list.filter((e) => e.seq !== entry.seq);
  const next = [entry, ...rest].sort((a, b) => b.seq - a.seq);
  return next.slice(0, MAX_RESULTS);
}

/** What the user can do about `error`, if anything specific. */
export function errorHint(error: ClientError): string | undefined {
  if (isUnauthorized(error)) return "Enter the admin token above (for a local cluster: data/admin-token).";
  if (isForbidden(error)) return "This token may only read; admin actions need the admin token.";
  switch (error.code) {
    case "quorum_at_risk":
      return "Tick “force” and remove it again to remove it anyway.";
    case "learner_behind":
      return "Wait until the learner has caught up, then promote it again.";
    case "change_in_progress":
    case "leader_transferring":
    case "no_leader":
      return "Try again in a moment.";
    case "network":
    case "timeout":
      return "The node serving this page did not answer in time.";
    default:
      return undefined;
  }
}

/** The entry of a finished action: the sentence `ok` gives for a success, or the error's. */
export function finishedEntry<T>(
  pending: ResultEntry,
  result: ClientResult<T>,
  ok: (value: T, servedBy: string | null) => string,
  at: number,
): ResultEntry {
  if (result.ok)
    return { seq: pending.seq, at, action: pending.action, outcome: "ok", summary: ok(result.value, result.servedBy) };
  const error = result.error;
  return {
    seq: pending.seq,
    at,
    action: pending.action,
    outcome: "error",
    summary: errorLine(error),
    definite: definiteText(error),
    hint: errorHint(error),
    code: error.code,
  };
}

/** `Leadership is now with n3 (term 5)`. */
export function transferText(value: LeaderChange): string {
  return `Leadership is now with ${value.leader.id} (${value.leader.url}), term ${value.term}`;
}

/** `n2 took a snapshot at index 42 (term 3, 1.2 KiB)`. */
export function snapshotText(value: SnapshotInfo, servedBy: string | null): string {
  const who = servedBy ?? "The node";
  return `${who} has a snapshot at index ${value.index} (term ${value.term}, ${bytes(value.bytes)}) and compacted its log`;
}

/** The sentence of a membership change on `id`: `what` happened, or nothing changed. */
export function membershipText(id: string, what: string): (value: MembershipChange) => string {
  return (value) => {
    if (!value.changed) return `Nothing changed: the cluster already had what was asked for ${id}`;
    const roles = value.members.map((m) => `${m.id} ${m.role.replace("_", " ")}`).join(", ");
    return `${id} ${what}; members now: ${roles}`;
  };
}
