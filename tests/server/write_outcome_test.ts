import { describe, expect, it } from "bun:test";
import { errorStatus } from "../../schemas/api_errors.ts";
import type { ProposalRefusal } from "../../src/server/runtime.ts";
import type { ServiceError } from "../../src/server/service.ts";
import { fail, writeResultOf } from "../../src/server/write_outcome.ts";

const notLeader = (): ServiceError => fail("not_leader", "this node is not the leader", { definite: true });

/** The answer to a refusal with `reason` and `detail` (as the core would give them). */
function answerTo(reason: string, detail: string): ServiceError {
  const refusal = { kind: "refused", reason, detail } as ProposalRefusal;
  const answer = writeResultOf(refusal, notLeader);
  if (answer.ok) throw new Error("a refusal was answered as a success");
  return answer;
}

describe("writeResultOf() for proposals the leader refused", () => {
  it("writeResultOf() answers a refusal during a leadership transfer with leader_transferring (503, definite), quoting the detail", () => {
    const answer = answerTo("transfer_in_progress", "leadership is being transferred to n2");
    expect(answer.code).toBe("leader_transferring");
    expect(answer.definite).toBe(true);
    expect(answer.message).toContain("leadership is being transferred to n2");
    expect(errorStatus("leader_transferring")).toBe(503);
  });

  it("writeResultOf() answers a refusal at the uncommitted-bytes limit with overloaded (503, definite), quoting the detail", () => {
    const answer = answerTo("uncommitted_limit", "the uncommitted entries hold 1048576 bytes");
    expect(answer.code).toBe("overloaded");
    expect(answer.definite).toBe(true);
    expect(answer.message).toContain("the uncommitted entries hold 1048576 bytes");
  });

  it("writeResultOf() still answers not_leader as the caller's not-leader error", () => {
    expect(writeResultOf({ kind: "not_leader" }, notLeader)).toEqual(notLeader());
  });

  it("writeResultOf() answers any other refusal as definite, naming the reason and the detail", () => {
    const answer = answerTo("leader_not_ready", "the leader has not committed an entry of its term");
    expect(answer.definite).toBe(true);
    expect(answer.message).toContain("leader_not_ready");
    expect(answer.message).toContain("the leader has not committed an entry of its term");
  });
});
