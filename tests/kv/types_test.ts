import { describe, expect, it } from "bun:test";
import type { ApplyResult, KvListing } from "../../src/kv/mod.ts";
import type * as Service from "../../src/server/service.ts";

/** True iff A and B are assignable both ways. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

describe("KV types", () => {
  it("ApplyResult and KvListing carry what WriteResult and ListResult need", () => {
    type Success = Extract<ApplyResult, { ok: true }>;
    const write: Same<Pick<Success, "revision" | "prev">, Pick<Service.WriteResult, "revision" | "prev">> = true;
    const list: Same<KvListing["items"][number], Service.ListResult["items"][number]> = true;
    expect([write, list]).toEqual([true, true]);
  });
});
