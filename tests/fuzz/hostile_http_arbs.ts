/**
 * Arbitraries of hostile HTTP requests to one operation of the API: every case carries at least
 * one defect that the document says makes it invalid (a wrong method, an unknown path, a bad path
 * parameter, a bad or unknown query parameter, a malformed percent-encoding, a bad body, a wrong
 * content type, an oversized body) or a missing, wrong or malformed token, plus harmless noise
 * (odd but valid keys, long headers, header bytes that are not UTF-8).
 */
import { Buffer } from "node:buffer";
import fc from "fast-check";
import type { RawRequest } from "../helpers/raw_http.ts";
import type { ApiOperation, JsonSchema, OperationParameter } from "./api_operations.ts";
import { type BodyCase, hostileBodyArb, unexpectedBodyArb, validBodyArb } from "./json_body_arbs.ts";

/** The node's tokens. */
export interface FuzzTokens {
  readonly admin: string;
  readonly read: string;
}

/** Which token a case sends. */
export type TokenKind = "admin" | "read" | "none" | "wrong" | "malformed" | "huge";

/** One hostile request and what makes it so. */
export interface HostileCase {
  readonly operationId: string;
  readonly request: RawRequest;
  /** The defects it carries (besides the token), e.g. `body_wrong_type`. */
  readonly defects: readonly string[];
  readonly token: TokenKind;
  /** True while method and path still address the operation (its documented statuses apply). */
  readonly addressesOperation: boolean;
}

/** The largest body the node takes (MAX_BODY_BYTES). */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

const encoder = new TextEncoder();

/** True for tokens the token check refuses (401). */
export function isRefusedToken(token: TokenKind): boolean {
  return token !== "admin" && token !== "read";
}

function authorization(kind: TokenKind, tokens: FuzzTokens): Record<string, string> {
  switch (kind) {
    case "admin":
      return { authorization: `Bearer ${tokens.admin}` };
    case "read":
      return { authorization: `Bearer ${tokens.read}` };
    case "none":
      return {};
    case "wrong":
      return { authorization: `Bearer ${tokens.admin}x` };
    case "malformed":
      return { authorization: `Basic ${Buffer.from(`x:${tokens.admin}`).toString("base64")}` };
    case "huge":
      return { authorization: `Bearer ${"t".repeat(16_000)}` };
  }
}

const tokenArb: fc.Arbitrary<TokenKind> = fc.oneof(
  { weight: 6, arbitrary: fc.constant("admin" as const) },
  { weight: 2, arbitrary: fc.constant("read" as const) },
  { weight: 2, arbitrary: fc.constantFrom("none", "wrong", "malformed", "huge") as fc.Arbitrary<TokenKind> },
);

// ---------------------------------------------------------------------------- path parameters

/** Percent-encoded text whose encoding is malformed or not UTF-8. */
const malformedEncodingArb = fc.constantFrom("%", "a%", "%G1", "%FF", "%C3", "%ED%A0%80", "%C0%AF", "%E2%82", "%%41");

/** An odd but valid value of a path parameter, encoded. */
function validParamArb(p: OperationParameter): fc.Arbitrary<string> {
  if (p.schema.pattern !== undefined)
    return fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/).filter((s) => s !== "." && s !== "..");
  return fc
    .oneof(fc.string({ unit: "grapheme", minLength: 1, maxLength: 30 }), fc.constantFrom("k", "a/b", "%", "?#&", " "))
    .filter((s) => s !== "." && s !== ".." && new TextEncoder().encode(s).length <= 1024)
    .map(encodeURIComponent);
}

/** A value of a path parameter that its schema refuses, and whether the route still matches. */
function badParamArb(p: OperationParameter): fc.Arbitrary<{ text: string; matches: boolean }> {
  const max = p.schema.maxLength ?? 1024;
  return fc.oneof(
    malformedEncodingArb.map((text) => ({ text, matches: true })),
    fc.integer({ min: max + 1, max: max * 8 }).map((n) => ({ text: "k".repeat(n), matches: true })),
    fc.constantFrom("", ".", "..", "%2E%2E").map((text) => ({ text, matches: false })), // Resolved away.
    ...(p.schema.pattern === undefined
      ? []
      : [
          fc
            .constantFrom("bad id!", "ñ", "a/b", "a b", "<x>", "\u0000")
            .map((s) => ({ text: encodeURIComponent(s), matches: true })),
        ]),
  );
}

/** The path of `op` with its parameters filled, and whether a parameter is a defect. */
function pathArb(op: ApiOperation, defective: boolean) {
  const params = op.parameters.filter((p) => p.in === "path");
  if (params.length === 0) return fc.constant({ path: op.template, defect: undefined, matches: true });
  const p = params[0];
  const good = validParamArb(p).map((text) => ({ text, matches: true, defect: undefined as string | undefined }));
  const bad = badParamArb(p).map((v) => ({ ...v, defect: "path_bad_parameter" as string | undefined }));
  return (defective ? bad : good).map((v) => ({
    path: op.template.replace(`{${p.name}}`, v.text),
    defect: v.defect,
    matches: v.matches,
  }));
}

// ---------------------------------------------------------------------------- query

function validQueryValueArb(schema: JsonSchema): fc.Arbitrary<string> {
  if (schema.enum !== undefined) return fc.constantFrom(...(schema.enum as string[]));
  if (schema.type === "integer")
    return fc.integer({ min: schema.minimum ?? 0, max: Math.min(schema.maximum ?? 1000, 1000) }).map(String);
  return fc.string({ maxLength: 20 }).map(encodeURIComponent);
}

function badQueryValueArb(schema: JsonSchema): fc.Arbitrary<string> {
  if (schema.enum !== undefined) {
    return fc
      .oneof(fc.constantFrom("", "LEADER", "yes", "1"), fc.string())
      .filter((s) => !schema.enum.includes(s))
      .map(encodeURIComponent);
  }
  if (schema.type === "integer") {
    const outside = [schema.minimum - 1, (schema.maximum ?? 0) + 1]
      .filter((n) => Number.isFinite(n) && n >= 0)
      .map(String);
    return fc.constantFrom("abc", "-1", "1.5", "1e3", "0x10", "+1", "%201", "", "99999999999999999", ...outside);
  }
  if (schema.maxLength !== undefined) return fc.constant("p".repeat(schema.maxLength + 1));
  return fc.constant("%FF");
}

/** The query string of `op`: valid parameters, or ones with a defect. */
function queryArb(op: ApiOperation, defective: boolean) {
  const params = op.parameters.filter((p) => p.in === "query");
  const valid = fc
    .subarray(params)
    .chain((chosen) => fc.tuple(...chosen.map((p) => validQueryValueArb(p.schema).map((v) => `${p.name}=${v}`))));
  if (!defective) return valid.map((pairs) => ({ query: pairs.join("&"), defect: undefined as string | undefined }));
  const defects: fc.Arbitrary<{ pair: string; defect: string }>[] = [
    malformedEncodingArb.map((bad) => ({ pair: `x=${bad}`, defect: "query_malformed_encoding" })),
  ];
  if (params.length > 0) {
    const names = new Set(params.map((p) => p.name));
    defects.push(
      fc
        .constantFrom(...params)
        .chain((p) => badQueryValueArb(p.schema).map((v) => ({ pair: `${p.name}=${v}`, defect: "query_bad_value" }))),
      fc
        .stringMatching(/^[a-zA-Z_]{1,12}$/)
        .filter((n) => !names.has(n))
        .map((n) => ({ pair: `${n}=1`, defect: "query_unknown_parameter" })),
      fc.constantFrom(...params).chain((p) =>
        fc.tuple(validQueryValueArb(p.schema), validQueryValueArb(p.schema)).map(([a, b]) => ({
          pair: `${p.name}=${a}&${p.name}=${b}`,
          defect: "query_repeated_parameter",
        })),
      ),
    );
  }
  return fc
    .tuple(valid, fc.oneof(...defects))
    .map(([pairs, bad]) => ({ query: [...pairs, bad.pair].join("&"), defect: bad.defect as string | undefined }));
}

// ---------------------------------------------------------------------------- body

/** Content types that are not JSON. */
const NOT_JSON = fc.constantFrom(
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/xml",
  "application/octet-stream",
  "json",
  "",
);

/** What a case sends as body: bytes, headers about them, and the defect. */
interface BodyPart {
  readonly bytes?: Uint8Array;
  readonly headers: Record<string, string>;
  readonly defect: string | undefined;
}

function jsonHeaders(bytes: Uint8Array): Record<string, string> {
  return { "content-type": "application/json", "content-length": String(bytes.length) };
}

/** The body of `op`: a valid one, or one with a defect. */
function bodyArb(op: ApiOperation, defective: boolean): fc.Arbitrary<BodyPart> {
  const takesBody = op.body !== undefined;
  const isWrite = op.method !== "GET";
  const tooLarge = fc.integer({ min: MAX_BODY_BYTES + 1, max: 2 ** 40 }).map((n) => ({
    bytes: encoder.encode("{"),
    headers: { "content-type": "application/json", "content-length": String(n) },
    defect: "body_too_large",
  }));
  if (takesBody && op.body !== undefined) {
    const schema = op.body;
    if (!defective)
      return validBodyArb(schema)
        .map((b) => encoder.encode(JSON.stringify(b)))
        .map((bytes) => ({ bytes, headers: jsonHeaders(bytes), defect: undefined }));
    const wrongType = fc.tuple(validBodyArb(schema), NOT_JSON).map(([b, type]) => {
      const bytes = encoder.encode(JSON.stringify(b));
      const headers: Record<string, string> = { "content-length": String(bytes.length) };
      if (type !== "") headers["content-type"] = type;
      return { bytes, headers, defect: "body_not_json_content_type" };
    });
    const hostile = hostileBodyArb(schema).map((b: BodyCase) => ({
      bytes: b.bytes,
      headers: jsonHeaders(b.bytes),
      defect: b.defect,
    }));
    return fc.oneof(
      { weight: 6, arbitrary: hostile },
      { weight: 1, arbitrary: wrongType },
      { weight: 1, arbitrary: tooLarge },
    );
  }
  if (!defective || !isWrite) {
    // A GET's body is never read (not a defect); most cases send none.
    const noise = unexpectedBodyArb().map((bytes) => ({ bytes, headers: jsonHeaders(bytes), defect: undefined }));
    return fc.oneof(
      { weight: 4, arbitrary: fc.constant({ headers: {}, defect: undefined }) },
      { weight: isWrite ? 0 : 1, arbitrary: noise },
    );
  }
  const unexpected = unexpectedBodyArb().map((bytes) => ({
    bytes,
    headers: jsonHeaders(bytes),
    defect: "body_unexpected",
  }));
  return fc.oneof({ weight: 4, arbitrary: unexpected }, { weight: 1, arbitrary: tooLarge });
}

// ---------------------------------------------------------------------------- method, path, headers

/**
 * Methods a case may use. Methods the runtime's own parser refuses before the app sees them (an
 * unknown token like FUZZ on Bun, CONNECT on Deno) are left to runtime_edges_fuzz_test.ts.
 */
const METHODS = ["GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "PURGE"];

/** Harmless header noise: long values, bytes that are not UTF-8 (sent as Latin-1), odd names. */
const noiseHeadersArb = fc
  .array(
    fc.tuple(
      fc.stringMatching(/^x-[a-z0-9-]{1,20}$/),
      fc.oneof(
        fc.string({
          unit: fc
            .integer({ min: 0x20, max: 0xff })
            .filter((c) => c !== 0x7f)
            .map((c) => String.fromCharCode(c)),
          maxLength: 64,
        }),
        fc.integer({ min: 1, max: 4 * 1024 }).map((n) => "h".repeat(n)),
      ),
    ),
    { maxLength: 3 },
  )
  .map((pairs) => Object.fromEntries(pairs.map(([name, value]) => [name, value.trim()])));

/** True iff `path` (no query) is what one of `templates` serves (a parameter: any segment, even empty). */
function servedPath(path: string, templates: readonly string[]): boolean {
  return templates.some((t) => new RegExp(`^${t.replace(/\{[^}]+\}/g, "[^/]*")}$`).test(path));
}

/**
 * What turns the path of `op` into one no route serves: never one that lands on another route
 * (`/v1/kv` + `/x` is `GET /v1/kv/{key}`) or another key (`/v1/kv/k` + `x`).
 */
function unknownSuffixArb(path: string, templates: readonly string[]): fc.Arbitrary<string> {
  const suffixes = ["/x", "x", "/", "/%2F", "//"].filter((s) => !servedPath(path + s, templates));
  return fc.constantFrom(...suffixes);
}

/** The kinds of defect `op` can carry besides the token. */
function defectKinds(op: ApiOperation, otherMethods: readonly string[]): string[] {
  const kinds = ["path_unknown"];
  if (otherMethods.length > 0) kinds.push("method_not_allowed");
  if (op.parameters.some((p) => p.in === "path")) kinds.push("path_parameter");
  if (op.secured) kinds.push("query");
  if (op.body !== undefined || (op.method !== "GET" && op.secured)) kinds.push("body");
  return kinds;
}

/** What {@link hostileRequestArb} needs to know about the API besides the operation. */
export interface HostileRequestOptions {
  /** The methods the operation's path allows. */
  readonly allowed: ReadonlySet<string>;
  /** Every path template of the document (an unknown path must match none). */
  readonly templates: readonly string[];
  readonly tokens: FuzzTokens;
}

/** Hostile requests to `op`. */
export function hostileRequestArb(op: ApiOperation, options: HostileRequestOptions): fc.Arbitrary<HostileCase> {
  const { allowed, templates, tokens } = options;
  const otherMethods = METHODS.filter((m) => !allowed.has(m));
  const kinds = defectKinds(op, otherMethods);
  const token = op.secured ? tokenArb : fc.constant("none" as const);
  return token.chain((tokenKind) => {
    const minLength = op.secured && isRefusedToken(tokenKind) ? 0 : 1;
    return fc.subarray(kinds, { minLength, maxLength: Math.min(3, kinds.length) }).chain((chosen) =>
      fc
        .record({
          path: pathArb(op, chosen.includes("path_parameter")).chain((p) =>
            // A parameter the URL resolves away ('.', '..') followed by a suffix could make another
            // valid path (`/v1/kv/./x` is `/v1/kv/x`): such a parameter is defect enough on its own.
            (chosen.includes("path_unknown") && p.matches ? unknownSuffixArb(p.path, templates) : fc.constant("")).map(
              (suffix) => ({ ...p, suffix }),
            ),
          ),
          query: queryArb(op, chosen.includes("query")),
          body: bodyArb(op, chosen.includes("body")),
          method: chosen.includes("method_not_allowed") ? fc.constantFrom(...otherMethods) : fc.constant(op.method),
          noise: noiseHeadersArb,
        })
        .map((parts) => {
          const defects = [parts.path.defect, parts.query.defect, parts.body.defect].filter(
            (d): d is string => d !== undefined,
          );
          if (chosen.includes("method_not_allowed")) defects.push("method_not_allowed");
          if (parts.path.suffix !== "") defects.push("path_unknown");
          const path = parts.path.path + parts.path.suffix + (parts.query.query === "" ? "" : `?${parts.query.query}`);
          const headers = { ...parts.noise, ...parts.body.headers, ...authorization(tokenKind, tokens) };
          const request: RawRequest = {
            method: parts.method,
            path,
            headers,
            body: parts.body.bytes,
            headEncoding: "latin1",
          };
          const addressesOperation =
            parts.path.matches && !defects.includes("method_not_allowed") && !defects.includes("path_unknown");
          return { operationId: op.operationId, request, defects, token: tokenKind, addressesOperation };
        }),
    );
  });
}

/** A one-line description of a case, for failure messages. */
export function describeCase(c: HostileCase): string {
  const body =
    c.request.body === undefined ? "" : ` body=${Buffer.from(c.request.body).subarray(0, 120).toString("latin1")}`;
  return `${c.request.method} ${c.request.path.slice(0, 160)} token=${c.token} defects=[${c.defects.join(",")}]${body}`;
}
