import { describe, expect, it } from "bun:test";
import fc from "fast-check";
import { formatIdempotencyKey, parseIdempotencyKey } from "../../schemas/idempotency_key.ts";
import { MAX_IDEMPOTENCY_KEY_LENGTH } from "../../schemas/kv_command.ts";
import { fuzzRuns } from "../fuzz/fuzz_runs.ts";
import { fixture, send } from "./helpers.ts";

/** A valid key: 1..128 printable ASCII characters. */
const keyArb = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  minLength: 1,
  maxLength: MAX_IDEMPOTENCY_KEY_LENGTH,
});

describe("the Idempotency-Key header", () => {
  it("reads quoted strings with escapes and bare tokens", () => {
    expect(parseIdempotencyKey('"8e03978e-40d5-43e8-bc93-6894a57f9324"')).toBe("8e03978e-40d5-43e8-bc93-6894a57f9324");
    expect(parseIdempotencyKey('"say \\"hi\\" \\\\ bye"')).toBe('say "hi" \\ bye');
    expect(parseIdempotencyKey("order-42")).toBe("order-42");
    expect(parseIdempotencyKey("a.b_c~d:e+f/g=h")).toBe("a.b_c~d:e+f/g=h");
  });

  it("refuses what is neither", () => {
    for (const bad of [
      '"',
      '""',
      '"open',
      '"a"b',
      '"a"b"',
      '"\\x"',
      '"tab\there"',
      "two words",
      "",
      "é",
      `"${"k".repeat(129)}"`,
    ]) {
      expect({ bad, key: parseIdempotencyKey(bad) }).toEqual({ bad, key: null });
    }
  });

  it("every valid key survives formatIdempotencyKey and parseIdempotencyKey", () => {
    fc.assert(
      fc.property(keyArb, (key) => parseIdempotencyKey(formatIdempotencyKey(key)) === key),
      { numRuns: fuzzRuns(500) },
    );
  });

  it("any string parses to null or to a valid key, without throwing", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          keyArb.map((k) => `"${k}"`),
        ),
        (value) => {
          const key = parseIdempotencyKey(value);
          return (
            key === null || (key.length >= 1 && key.length <= MAX_IDEMPOTENCY_KEY_LENGTH && /^[\x20-\x7e]+$/.test(key))
          );
        },
      ),
      { numRuns: fuzzRuns(2000) },
    );
  });

  it("a write with a malformed key is refused 400 validation_failed, definite, and reaches no service call", async () => {
    const { app, service } = fixture();
    const put = await send(app, "PUT", "/v1/kv/k", { value: "v" }, { "idempotency-key": '"open' });
    expect({ status: put.status, code: put.body.error.code, definite: put.body.error.definite }).toEqual({
      status: 400,
      code: "validation_failed",
      definite: true,
    });
    const del = await send(app, "DELETE", "/v1/kv/k", undefined, { "idempotency-key": "two words" });
    expect(del.status).toBe(400);
    expect(service.calls).toEqual([]);
  });

  it("a valid key reaches the service with the write's other options", async () => {
    const { app, service } = fixture();
    const put = await send(app, "PUT", "/v1/kv/k", { value: "v", expectRevision: 0 }, { "idempotency-key": '"k-1"' });
    expect(put.status).toBe(200);
    expect(put.headers.get("idempotent-replayed")).toBeNull();
    await send(app, "DELETE", "/v1/kv/k?expectRevision=1", undefined, { "idempotency-key": "k-2" });
    expect(service.calls).toEqual([
      { method: "put", args: ["k", "v", { expectRevision: 0, idempotencyKey: "k-1" }] },
      { method: "delete", args: ["k", { expectRevision: 1, idempotencyKey: "k-2" }] },
    ]);
  });
});
