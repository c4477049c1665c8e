/**
 * What a write's answer is, given how its proposal ended: the service result or error, with
 * `definite` set where the write certainly never takes effect.
 */
import type { ApplyResult } from "../kv/mod.ts";
import type { ProposalRefusal, SubmitOutcome } from "./runtime.ts";
import type { ServiceError, ServiceErrorCode, WriteResult } from "./service.ts";

/** A failed service call with `code`, `message` and any of the optional fields. */
export function fail(code: ServiceErrorCode, message: string, extra: Partial<ServiceError> = {}): ServiceError {
  return { ok: false, code, message, ...extra };
}

/**
 * The answer to a proposal's outcome. `definite: true` only where the write certainly never takes
 * effect: refused before it was proposed, or another entry was applied at its index. `notLeader`
 * builds the answer that names the leader.
 */
export function writeResultOf(
  outcome: SubmitOutcome<ApplyResult>,
  notLeader: () => ServiceError,
): WriteResult | ServiceError {
  switch (outcome.kind) {
    case "applied":
      return applyResultOf(outcome.result, outcome.index);
    case "not_leader":
      return notLeader();
    case "superseded":
      return { ...notLeader(), message: "leadership changed before the write committed; it did not take effect" };
    case "overloaded":
      return fail("overloaded", "too many writes are waiting to commit; retry later", { definite: true });
    case "refused":
      return refusalError(outcome);
    case "timeout":
      return fail("timeout", "the write was proposed but its outcome is unknown (it may still commit)", {
        definite: false,
      });
    case "stopped":
      return fail("shutting_down", "the node stopped before the write's outcome was known (it may still commit)", {
        definite: false,
      });
    case "storage_failed":
      return fail(
        "storage_unavailable",
        "the leader's storage failed before the write's outcome was known (it may still commit through another node)",
        { definite: false },
      );
    case "storage_stalled":
      return fail(
        "storage_unavailable",
        "the leader's log flush stalled and it stepped down before the write's outcome was known (it may still commit through another node)",
        { definite: false },
      );
  }
}

/** The answer to a write the leader refused without appending it (certainly never takes effect). */
function refusalError(refusal: ProposalRefusal): ServiceError {
  switch (refusal.reason) {
    case "transfer_in_progress":
      return fail("leader_transferring", `${refusal.detail}; the write was not proposed, retry shortly`, {
        definite: true,
      });
    case "uncommitted_limit":
      return fail("overloaded", `${refusal.detail}; the write was not proposed, retry later`, { definite: true });
    default:
      return fail("internal", `the leader refused the write (${refusal.reason}): ${refusal.detail}`, {
        definite: true,
      });
  }
}

/**
 * The answer to an applied command. A replay (a repeated idempotency key) answers the first
 * command's result at the first command's index, marked `replayed`.
 */
function applyResultOf(result: ApplyResult, index: number): WriteResult | ServiceError {
  const replayOf = "replayOf" in result ? result.replayOf : undefined;
  const replayed = replayOf !== undefined;
  const at = replayOf ?? index;
  if (result.ok) return { ok: true, index: at, revision: result.revision, prev: result.prev, replayed };
  switch (result.code) {
    case "compare_failed":
      return fail("compare_failed", "the key's current value or revision does not match the expectation", {
        definite: true,
        details: { current: result.current, index: at },
        replayed,
      });
    case "idempotency_key_reused":
      return fail(
        "idempotency_key_reused",
        `the idempotency key was used by a different request at log index ${result.firstIndex}; this write did not take effect`,
        { definite: true, details: { index: result.firstIndex } },
      );
    case "invalid_command":
      return fail("internal", `the command was applied as invalid: ${result.message}`, { definite: true });
  }
}
