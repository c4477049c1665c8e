/**
 * Arbitraries of JSON request bodies from an operation's JSON Schema: a valid body, and bodies
 * that the schema certainly refuses (a field of the wrong type, a missing or an extra field, a
 * value out of range, a deeply nested value, JSON that is not an object, malformed JSON, bytes
 * that are not UTF-8). Each hostile body says what is wrong with it.
 */
import fc from "fast-check";
import type { JsonSchema } from "./api_operations.ts";

/** A generated body: its bytes and what is wrong with it (undefined when nothing is). */
export interface BodyCase {
  readonly bytes: Uint8Array;
  readonly defect: string | undefined;
}

const encoder = new TextEncoder();
/** Stands in for a nested value spliced into the JSON text afterwards (too deep for JSON.stringify). */
const DEEP = "\u0000deep\u0000";

/** A value the schema accepts (strings may be long: length is never what is wrong here). */
function validValue(schema: JsonSchema, long: number): unknown {
  if (schema.enum !== undefined) return schema.enum[0];
  switch (schema.type) {
    case "string":
      if (schema.format === "uri") return "http://10.0.0.9:7001";
      if (schema.pattern !== undefined) return "n9";
      return "v".repeat(Math.min(long, schema.maxLength ?? long) || 1);
    case "integer":
    case "number":
      return schema.minimum ?? 0;
    case "boolean":
      return false;
    case "array":
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => validValue(schema.items ?? {}, long));
    case "object":
      return validObject(schema, long);
    default:
      return "v";
  }
}

function validObject(schema: JsonSchema, long: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, property] of Object.entries((schema.properties ?? {}) as JsonSchema)) {
    out[name] = validValue(property as JsonSchema, long);
  }
  return out;
}

/** The JSON type of `value` as JSON Schema names it. */
function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

/** True iff `value` has a type `schema` accepts (for arrays, the first item's type too). */
function typeFits(value: unknown, schema: JsonSchema): boolean {
  const type = jsonType(value);
  const fits = schema.type === type || (schema.type === "number" && type === "integer");
  if (!fits || !Array.isArray(value) || value.length === 0) return fits;
  return schema.items?.type === undefined || typeFits(value[0], schema.items);
}

const OTHER_TYPES: readonly unknown[] = ["s", "", 1.5, 7, -1, true, false, null, [], [1], ["s"], [[]], {}, { a: 1 }];

/** Values of a type the field's schema refuses. */
function wrongTypeArb(schema: JsonSchema): fc.Arbitrary<unknown> {
  const candidates = OTHER_TYPES.filter((v) => !typeFits(v, schema));
  return fc.oneof(
    fc.constantFrom(...candidates),
    fc.jsonValue().filter((v) => !typeFits(v, schema)),
  );
}

/** Values of the field's type that break one of its limits, or undefined when it has none. */
function outOfRangeValues(schema: JsonSchema): unknown[] {
  const out: unknown[] = [];
  if (schema.enum !== undefined) out.push("not-one-of-the-options", String(schema.enum[0]).toUpperCase());
  if (schema.type === "string") {
    if (schema.maxLength !== undefined) out.push("x".repeat(schema.maxLength + 1), "x".repeat(schema.maxLength * 4));
    if ((schema.minLength ?? 0) > 0) out.push("");
    if (schema.pattern !== undefined) out.push("bad id!", "n/1", "ñ", "a b");
    if (schema.format === "uri") out.push("not a url", "ftp://10.0.0.1/", "//10.0.0.1", "http://");
  }
  if (schema.type === "integer" || schema.type === "number") {
    if (schema.minimum !== undefined) out.push(schema.minimum - 1);
    if (schema.maximum !== undefined) out.push(schema.maximum + 1, 1e300);
    if (schema.type === "integer") out.push(0.5);
  }
  if (schema.type === "array") {
    if ((schema.minItems ?? 0) > 0) out.push([]);
    if (schema.maxItems !== undefined) {
      out.push(Array.from({ length: schema.maxItems + 1 }, (_, i) => validWithSuffix(schema.items ?? {}, i)));
    }
  }
  return out;
}

/** A valid item made distinct by `i` (so a too-long list is not refused only for duplicates). */
function validWithSuffix(schema: JsonSchema, i: number): unknown {
  const value = validValue(schema, 1);
  if (typeof value === "object" && value !== null && "id" in value) return { ...value, id: `n${i}` };
  return value;
}

/** Nested arrays or objects `depth` levels deep, as JSON text. */
function deepText(depth: number, kind: "array" | "object"): string {
  return kind === "array" ? "[".repeat(depth) + "]".repeat(depth) : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
}

/** A body that fits `schema`, its strings up to `long` characters. */
export function validBodyArb(schema: JsonSchema): fc.Arbitrary<Record<string, unknown>> {
  return fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 64 * 1024 })).map((long) => validObject(schema, long));
}

/** Bodies of `schema` that are wrong in one named way. */
export function hostileBodyArb(schema: JsonSchema): fc.Arbitrary<BodyCase> {
  const properties = Object.entries((schema.properties ?? {}) as JsonSchema) as Array<[string, JsonSchema]>;
  const required = (schema.required ?? []) as string[];
  const typed = properties.filter(([, p]) => p.type !== undefined);
  const ranged = properties.filter(([, p]) => outOfRangeValues(p).length > 0);
  const base = validBodyArb(schema);
  const asCase = (defect: string) => (value: unknown) => ({ bytes: encoder.encode(JSON.stringify(value)), defect });
  const arbs: fc.Arbitrary<BodyCase>[] = [
    fc
      .tuple(
        base,
        fc.oneof(fc.constantFrom("__proto__", "constructor", "", "Value", " value"), fc.string()),
        fc.jsonValue(),
      )
      .filter(([, key]) => !properties.some(([name]) => name === key))
      .map(([body, key, value]) => ({ ...body, [key]: value }))
      .map(asCase("body_extra_field")),
    fc
      .oneof(fc.constantFrom(null, 0, "s", true, [], [{}]), fc.jsonValue())
      .filter((v) => jsonType(v) !== "object")
      .map(asCase("body_not_an_object")),
    fc
      .tuple(
        base,
        fc.integer({ min: 100, max: 100_000 }),
        fc.constantFrom("array", "object") as fc.Arbitrary<"array" | "object">,
        fc.constantFrom(...(typed.length > 0 ? typed : properties)),
      )
      .map(([body, depth, kind, [name, p]]) => {
        // Nested arrays fit no field here (none is a list of lists), nested objects none that is not an object.
        const wrong = kind === "object" ? p.type !== "object" : p.items?.type !== "array";
        const text = JSON.stringify({ ...body, [name]: DEEP }).replace(JSON.stringify(DEEP), deepText(depth, kind));
        return { bytes: encoder.encode(wrong ? text : `${text}}`), defect: "body_deeply_nested" };
      }),
    malformedJsonArb(base).map((text) => ({ bytes: encoder.encode(text), defect: "body_malformed_json" })),
    invalidUtf8Arb(base).map((bytes) => ({ bytes, defect: "body_invalid_utf8" })),
  ];
  if (typed.length > 0) {
    const field = fc.constantFrom(...typed).chain(([name, p]) => fc.tuple(fc.constant(name), wrongTypeArb(p)));
    arbs.push(
      fc
        .tuple(base, field)
        .map(([body, [name, value]]) => ({ ...body, [name]: value }))
        .map(asCase("body_wrong_type")),
    );
  }
  if (required.length > 0) {
    const missing = fc.tuple(base, fc.constantFrom(...required)).map(([body, name]) => {
      const { [name]: _, ...rest } = body;
      return rest;
    });
    arbs.push(missing.map(asCase("body_missing_field")));
  }
  if (ranged.length > 0) {
    const field = fc
      .constantFrom(...ranged)
      .chain(([name, p]) => fc.tuple(fc.constant(name), fc.constantFrom(...outOfRangeValues(p))));
    arbs.push(
      fc
        .tuple(base, field)
        .map(([body, [name, value]]) => ({ ...body, [name]: value }))
        .map(asCase("body_out_of_range")),
    );
  }
  return fc.oneof(...arbs);
}

/** Text that JSON.parse refuses: cut-off, garbage, or valid JSON with something after it. */
function malformedJsonArb(base: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<string> {
  const cut = fc.tuple(base, fc.nat()).map(([body, n]) => {
    const text = JSON.stringify(body);
    return text.slice(0, n % text.length);
  });
  const trailing = fc
    .tuple(base, fc.constantFrom(" x", ",", "}", "{}", "\u0000"))
    .map(([b, t]) => JSON.stringify(b) + t);
  const odd = fc.constantFrom(
    "",
    " ",
    "{'value':'v'}",
    '{"value":"v",}',
    "{value:1}",
    "NaN",
    '{"a":1e999999999999}x',
    "\ufeff\ufeff{}",
    "[1,]",
    '"\\x41"',
    '{"a":"\\ud800"',
    "/* */{}",
  );
  return fc.oneof(cut, trailing, odd, fc.string()).filter((text) => !parses(text));
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Byte sequences that are never part of UTF-8, wherever they are put. */
const NOT_UTF8: readonly number[][] = [
  [0xff],
  [0xfe],
  [0xc0, 0xaf],
  [0xc1, 0xbf],
  [0xed, 0xa0, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xf5],
];

/** A valid body's bytes with bytes that are not UTF-8 put in somewhere. */
function invalidUtf8Arb(base: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Uint8Array> {
  return fc.tuple(base, fc.nat(), fc.constantFrom(...NOT_UTF8)).map(([body, at, bad]) => {
    const bytes = encoder.encode(JSON.stringify(body));
    const i = at % (bytes.length + 1);
    return new Uint8Array([...bytes.subarray(0, i), ...bad, ...bytes.subarray(i)]);
  });
}

/** Non-empty bodies of any kind, for operations that take none. */
export function unexpectedBodyArb(): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.jsonValue().map((v) => encoder.encode(JSON.stringify(v))),
    fc.string({ minLength: 1 }).map((s) => encoder.encode(s)),
    fc.uint8Array({ minLength: 1, maxLength: 256 }),
  );
}
