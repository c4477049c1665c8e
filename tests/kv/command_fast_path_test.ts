import { describe, expect, it } from "bun:test";
import { KvCommandSchema, MAX_KEY_BYTES } from "../../schemas/kv_command.ts";
import { fastCommand } from "../../src/kv/command_fast_path.ts";

/** Valid commands the fast path must recognise itself. */
const COMMON = [
  '{"op":"put","key":"a","value":"b"}',
  '{"op":"put","key":"a","value":""}',
  '{"op":"put","id":"r1","idempotencyKey":"k 1~","key":"ü🙂","value":"v","expectValue":"x","expectRevision":0}',
  '{"op":"delete","key":"a"}',
  '{"op":"delete","key":"a","expectRevision":7,"id":"x"}',
  '{"op":"noop"}',
  '{"op":"noop","id":"n"}',
  `{"op":"put","key":"${"k".repeat(MAX_KEY_BYTES)}","value":"v"}`,
];

/** Payloads near the edges: the fast path may pass them to the schema, but must never accept a refused one. */
const EDGES = [
  "null",
  "[]",
  '"put"',
  "{}",
  '{"op":"get","key":"a"}',
  '{"op":"put","key":"","value":"b"}',
  `{"op":"put","key":"${"k".repeat(MAX_KEY_BYTES + 1)}","value":"v"}`,
  `{"op":"put","key":"${"é".repeat(MAX_KEY_BYTES / 2 + 1)}","value":"v"}`,
  '{"op":"put","key":"\\ud800","value":"v"}',
  '{"op":"put","key":"a","value":"\\udc00x"}',
  '{"op":"put","key":"a","value":"b","extra":1}',
  '{"op":"put","key":"a","value":"b","__proto__":{"x":1}}',
  '{"op":"put","key":"a"}',
  '{"op":"put","key":"a","value":1}',
  '{"op":"put","key":"a","value":"b","expectRevision":-1}',
  '{"op":"put","key":"a","value":"b","expectRevision":1.5}',
  '{"op":"put","key":"a","value":"b","expectRevision":9007199254740993}',
  '{"op":"put","key":"a","value":"b","expectRevision":"1"}',
  '{"op":"put","key":"a","value":"b","expectValue":null}',
  '{"op":"put","key":"a","value":"b","id":null}',
  `{"op":"put","key":"a","value":"b","id":"${"i".repeat(257)}"}`,
  '{"op":"put","key":"a","value":"b","idempotencyKey":""}',
  '{"op":"put","key":"a","value":"b","idempotencyKey":"tab\\there"}',
  `{"op":"put","key":"a","value":"b","idempotencyKey":"${"i".repeat(129)}"}`,
  '{"op":"delete","key":"a","value":"b"}',
  '{"op":"noop","key":"a"}',
  '{"op":"delete"}',
];

describe("fastCommand", () => {
  it("recognises the common commands, answering what the schema answers", () => {
    for (const text of COMMON) {
      const fast = fastCommand(JSON.parse(text));
      const parsed = KvCommandSchema.safeParse(JSON.parse(text));
      expect(parsed.success).toBe(true);
      expect(fast).toEqual(parsed.data as NonNullable<typeof fast>);
    }
  });

  it("never accepts what the schema refuses, and agrees on what it accepts", () => {
    let refused = 0;
    for (const text of EDGES) {
      const fast = fastCommand(JSON.parse(text));
      const parsed = KvCommandSchema.safeParse(JSON.parse(text));
      if (!parsed.success) refused += 1;
      if (fast !== undefined) {
        expect(parsed.success).toBe(true);
        expect(fast).toEqual(parsed.data as NonNullable<typeof fast>);
      }
      if (!parsed.success) expect(fast).toBeUndefined();
    }
    expect(refused).toBe(EDGES.length);
  });
});
