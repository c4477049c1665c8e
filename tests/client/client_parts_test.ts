/**
 * The client's small parts on their own: option checks and endpoint normalization, the backoff's
 * bounds, the retry decision table, idempotency keys and their header form, and the sleep.
 */
import { describe, expect, it } from "bun:test";
import {
  checkIdempotencyKey,
  idempotencyHeaderValue,
  newIdempotencyKey,
  uuidV4,
} from "../../client/src/idempotency.ts";
import { RaftClient } from "../../client/src/mod.ts";
import { normalizeEndpoint, resolveOptions } from "../../client/src/options.ts";
import { backoffCeiling, backoffDelay, isRetrySafe, sleep } from "../../client/src/retry.ts";
import { seededRandom } from "./fake_fetch.ts";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("client options", () => {
  it("fills in the defaults of the contract", () => {
    const o = resolveOptions({ endpoints: ["http://127.0.0.1:7001/"] });
    expect({ endpoints: o.endpoints, timeoutMs: o.timeoutMs, attempts: o.attempts, routing: o.routing }).toEqual({
      endpoints: ["http://127.0.0.1:7001"],
      timeoutMs: 5000,
      attempts: 5,
      routing: "redirect",
    });
    expect(o.backoffMs).toEqual({ base: 200, max: 5000 });
  });

  it("normalizes endpoints to base URLs and keeps a path prefix", () => {
    expect(normalizeEndpoint("http://h:1")).toBe("http://h:1");
    expect(normalizeEndpoint("https://h/raft/n1//")).toBe("https://h/raft/n1");
    expect(normalizeEndpoint("HTTP://H:80/")).toBe("http://h");
  });

  it("throws on options no client can run with", () => {
    const bad: unknown[] = [
      {},
      { endpoints: [] },
      { endpoints: ["127.0.0.1:7001"] },
      { endpoints: ["ftp://h"] },
      { endpoints: ["http://h/?a=1"] },
      { endpoints: ["http://u:p@h"] },
      { endpoints: ["http://h", "http://h/"] },
      { endpoints: ["http://h"], timeoutMs: 0 },
      { endpoints: ["http://h"], timeoutMs: 1.5 },
      { endpoints: ["http://h"], attempts: 0 },
      { endpoints: ["http://h"], attempts: 101 },
      { endpoints: ["http://h"], backoffMs: { base: 0, max: 10 } },
      { endpoints: ["http://h"], backoffMs: { base: 20, max: 10 } },
      { endpoints: ["http://h"], token: "" },
      { endpoints: ["http://h"], routing: "proxy" },
    ];
    for (const options of bad) {
      expect(() => new RaftClient(options as ConstructorParameters<typeof RaftClient>[0])).toThrow();
    }
  });
});

describe("backoff with full jitter", () => {
  it("doubles its ceiling from base up to max", () => {
    const backoff = { base: 100, max: 1000 };
    expect([1, 2, 3, 4, 5, 6, 60].map((r) => backoffCeiling(r, backoff))).toEqual([
      100, 200, 400, 800, 1000, 1000, 1000,
    ]);
    expect(() => backoffCeiling(0, backoff)).toThrow(RangeError);
  });

  it("draws every wait in [0, ceiling) and spans the range", () => {
    const backoff = { base: 50, max: 800 };
    const random = seededRandom(2024);
    for (let retry = 1; retry <= 8; retry++) {
      const ceiling = backoffCeiling(retry, backoff);
      const waits = Array.from({ length: 200 }, () => backoffDelay(retry, backoff, random));
      expect(Math.min(...waits)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...waits)).toBeLessThan(ceiling);
      // Full jitter, not equal jitter: waits near zero and near the ceiling both occur.
      expect(Math.min(...waits)).toBeLessThan(ceiling * 0.2);
      expect(Math.max(...waits)).toBeGreaterThan(ceiling * 0.8);
    }
    expect(backoffDelay(3, backoff, () => 0)).toBe(0);
    expect(backoffDelay(3, backoff, () => 0.999999)).toBe(199);
    expect(() => backoffDelay(1, backoff, () => 1)).toThrow(RangeError);
    expect(() => backoffDelay(1, backoff, () => Number.NaN)).toThrow(RangeError);
  });

  it("repeats the same waits for the same seed", () => {
    const backoff = { base: 100, max: 5000 };
    const run = (seed: number) => {
      const random = seededRandom(seed);
      return [1, 2, 3, 4].map((r) => backoffDelay(r, backoff, random));
    };
    expect(run(11)).toEqual(run(11));
    expect(run(11)).not.toEqual(run(12));
  });
});

describe("the retry decision", () => {
  it("retries only transient failures, and writes only when definite or idempotent", () => {
    const table: Array<
      [kind: "read" | "write", idempotent: boolean, definite: boolean, transient: boolean, retry: boolean]
    > = [
      ["read", false, true, true, true],
      ["read", false, true, false, false],
      ["write", false, true, true, true],
      ["write", false, false, true, false],
      ["write", true, false, true, true],
      ["write", true, true, false, false],
      ["write", true, false, false, false],
    ];
    for (const [kind, idempotent, definite, transient, retry] of table) {
      expect(isRetrySafe({ kind, idempotent, definite, transient })).toBe(retry);
    }
  });
});

describe("idempotency keys", () => {
  it("makes distinct version 4 UUIDs", () => {
    const keys = Array.from({ length: 50 }, newIdempotencyKey);
    expect(new Set(keys).size).toBe(50);
    for (const key of keys) expect(key).toMatch(UUID_V4);
  });

  it("sets the version and variant bits of a UUID made from random bytes", () => {
    expect(uuidV4(new Uint8Array(16).fill(0xff))).toBe("ffffffff-ffff-4fff-bfff-ffffffffffff");
    expect(uuidV4(new Uint8Array(16))).toBe("00000000-0000-4000-8000-000000000000");
    expect(() => uuidV4(new Uint8Array(15))).toThrow(RangeError);
  });

  it("quotes a key as an sf-string", () => {
    expect(idempotencyHeaderValue("8e03978e-40d5-43e8-bc93-6894a57f9324")).toBe(
      '"8e03978e-40d5-43e8-bc93-6894a57f9324"',
    );
    expect(idempotencyHeaderValue('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(() => checkIdempotencyKey("x".repeat(128))).not.toThrow();
    expect(() => checkIdempotencyKey("tab\there")).toThrow(TypeError);
  });
});

describe("sleep", () => {
  it("resolves after the wait, and at once when its signal aborts", async () => {
    await sleep(5);
    const controller = new AbortController();
    const waiting = sleep(600_000, controller.signal).then(() => "woke");
    controller.abort();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const asleep = new Promise((resolve) => {
      timer = setTimeout(() => resolve("still asleep"), 60_000);
    });
    expect(await Promise.race([waiting, asleep])).toBe("woke");
    clearTimeout(timer);
    expect(await sleep(600_000, AbortSignal.abort()).then(() => "woke")).toBe("woke");
  });
});
