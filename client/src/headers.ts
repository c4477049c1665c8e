/** The HTTP headers the client sends and reads. */

/** Names the node that produced a response (the leader's id when a follower forwarded the request). */
export const SERVED_BY_HEADER = "x-raft-served-by";
/** On a 307 from a follower: the leader's member id (its URL is in `Location`). */
export const LEADER_HEADER = "x-raft-leader";
/** The idempotency key of a write (an RFC 8941 sf-string). */
export const IDEMPOTENCY_KEY_HEADER = "idempotency-key";
/** `true` on an answer that replays the first result of an idempotency key. */
export const REPLAYED_HEADER = "idempotent-replayed";

/** The value of `x-raft-served-by`, or null. */
export function servedByOf(headers: Headers): string | null {
  return nonEmpty(headers.get(SERVED_BY_HEADER));
}

/** The value of `x-raft-leader`, or null. */
export function leaderIdOf(headers: Headers): string | null {
  return nonEmpty(headers.get(LEADER_HEADER));
}

/** True when the answer says it replays an earlier result (`Idempotent-Replayed: true`, or the sf-boolean `?1`). */
export function isReplayed(headers: Headers): boolean {
  const value = headers.get(REPLAYED_HEADER)?.trim().toLowerCase();
  return value === "true" || value === "?1";
}

function nonEmpty(value: string | null): string | null {
  return value === null || value.trim() === "" ? null : value.trim();
}
