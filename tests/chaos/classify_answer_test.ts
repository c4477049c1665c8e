/**
 * The fault run's clients classify answers by the API's `definite` flag, whatever the error code:
 * a write answered `definite: true` failed, one answered `definite: false` (or without the flag)
 * is unknown. `storage_unavailable` comes both ways: `definite: true` when a node with failed
 * storage refuses a write it never proposed, `definite: false` when the leader's storage failed
 * after proposing it.
 */
import { describe, expect, it } from "bun:test";
import { classifyAnswer } from "../../scripts/chaos/clients.ts";
import type { JsonAnswer } from "../helpers/http_json.ts";
import type { KvInput } from "../linearizability/mod.ts";

const put: KvInput = { kind: "put", value: "v" };
const cas: KvInput = { kind: "cas", expect: "a", value: "b" };
const get: KvInput = { kind: "get" };

/** An answer with `body` (the fields the classification reads). */
function answer(status: number, body: unknown): JsonAnswer {
  return { status, headers: new Headers(), body, text: JSON.stringify(body) } as JsonAnswer;
}

/** An error envelope answer; `definite` left out when undefined. */
function errorAnswer(status: number, code: string, definite?: boolean): JsonAnswer {
  return answer(status, { error: definite === undefined ? { code, message: "m" } : { code, message: "m", definite } });
}

describe("classifyAnswer", () => {
  it("a write answered storage_unavailable with definite: true failed", () => {
    expect(classifyAnswer(put, errorAnswer(503, "storage_unavailable", true))).toEqual({ outcome: "failed" });
    expect(classifyAnswer(cas, errorAnswer(503, "storage_unavailable", true))).toEqual({ outcome: "failed" });
  });

  it("a write answered storage_unavailable with definite: false is unknown", () => {
    expect(classifyAnswer(put, errorAnswer(503, "storage_unavailable", false))).toEqual({ outcome: "unknown" });
    expect(classifyAnswer(cas, errorAnswer(503, "storage_unavailable", false))).toEqual({ outcome: "unknown" });
  });

  it("follows definite for any code, and takes a missing flag or a foreign body as unknown", () => {
    expect(classifyAnswer(put, errorAnswer(503, "no_leader", true))).toEqual({ outcome: "failed" });
    expect(classifyAnswer(put, errorAnswer(504, "timeout", false))).toEqual({ outcome: "unknown" });
    expect(classifyAnswer(put, errorAnswer(503, "no_leader"))).toEqual({ outcome: "unknown" });
    expect(classifyAnswer(put, answer(502, "Bad Gateway"))).toEqual({ outcome: "unknown" });
    expect(classifyAnswer(put, undefined)).toEqual({ outcome: "unknown" });
  });

  it("a read answered with an error envelope failed (it takes no effect); without one it is unknown", () => {
    expect(classifyAnswer(get, errorAnswer(503, "storage_unavailable", false))).toEqual({ outcome: "failed" });
    expect(classifyAnswer(get, answer(502, "Bad Gateway"))).toEqual({ outcome: "unknown" });
  });
});
