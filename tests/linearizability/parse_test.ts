import { describe, expect, it } from "bun:test";
import { parseJepsenLog, REGISTER_KEY } from "./parse_jepsen.ts";
import { parseKvEdn } from "./parse_kv_edn.ts";

const INF = Number.POSITIVE_INFINITY;

describe("parseJepsenLog()", () => {
  it("parseJepsenLog() reads reads, writes and cas with tabs or spaces, ignoring other lines", () => {
    const log = [
      "INFO  jepsen.util - 0\t:invoke\t:write\t3",
      "INFO  jepsen.core - nemesis starts",
      "INFO  jepsen.util - 1   :invoke :read   nil",
      "INFO  jepsen.util - 0\t:ok\t:write\t3",
      "INFO  jepsen.util - 1   :ok     :read   3",
      "INFO  jepsen.util - 0\t:invoke\t:cas\t[3 4]",
      "INFO  jepsen.util - 0\t:fail\t:cas\t[3 4]",
      "",
    ].join("\n");
    expect(parseJepsenLog(log)).toEqual([
      {
        client: 0,
        kind: "put",
        key: REGISTER_KEY,
        input: { kind: "put", value: "3" },
        call: 1,
        return: 4,
        outcome: "ok",
        output: null,
      },
      {
        client: 1,
        kind: "get",
        key: REGISTER_KEY,
        input: { kind: "get" },
        call: 3,
        return: 5,
        outcome: "ok",
        output: "3",
      },
      {
        client: 0,
        kind: "cas",
        key: REGISTER_KEY,
        input: { kind: "cas", expect: "3", value: "4" },
        call: 6,
        return: 7,
        outcome: "ok",
        output: false,
      },
    ]);
  });

  it("parseJepsenLog() makes :info, timed-out reads and unfinished calls unknown, with a fresh client after each", () => {
    const log = [
      "INFO  jepsen.util - 2\t:invoke\t:write\t1",
      "INFO  jepsen.util - 2\t:info\t:write\t:timed-out",
      "INFO  jepsen.util - 3\t:invoke\t:read\tnil",
      "INFO  jepsen.util - 3\t:fail\t:read\t:timed-out",
      "INFO  jepsen.util - 3\t:invoke\t:read\tnil",
      "INFO  jepsen.util - 3\t:ok\t:read\tnil",
      "INFO  jepsen.util - 4\t:invoke\t:cas\t[1 2]",
    ].join("\n");
    const ops = parseJepsenLog(log);
    expect(ops.map((op) => [op.client, op.kind, op.outcome, op.call, op.return])).toEqual([
      [2, "put", "unknown", 1, INF],
      [3, "get", "unknown", 3, INF],
      [1_000_001, "get", "ok", 5, 6],
      [4, "cas", "unknown", 7, INF],
    ]);
    expect(ops[2].output).toBe(null);
  });
});

describe("parseKvEdn()", () => {
  it("parseKvEdn() reads get, put and append on named keys", () => {
    const text = [
      '{:process 0, :type :invoke, :f :put, :key "k", :value "x 0 0 y"}',
      '{:process 1, :type :invoke, :f :get, :key "k", :value nil}',
      '{:process 0, :type :ok, :f :put, :key "k", :value "x 0 0 y"}',
      '{:process 1, :type :ok, :f :get, :key "k", :value ""}',
      '{:process 1, :type :invoke, :f :append, :key "j", :value "z"}',
    ].join("\n");
    expect(parseKvEdn(text)).toEqual([
      {
        client: 0,
        kind: "put",
        key: "k",
        input: { kind: "put", value: "x 0 0 y" },
        call: 1,
        return: 3,
        outcome: "ok",
        output: null,
      },
      { client: 1, kind: "get", key: "k", input: { kind: "get" }, call: 2, return: 4, outcome: "ok", output: "" },
      {
        client: 1,
        kind: "append",
        key: "j",
        input: { kind: "append", value: "z" },
        call: 5,
        return: INF,
        outcome: "unknown",
      },
    ]);
  });

  it("parseKvEdn() refuses a line it does not understand, naming it", () => {
    expect(() => parseKvEdn('{:process 0, :type :invoke, :f :incr, :key "k", :value nil}')).toThrow(/line 1/);
  });
});
