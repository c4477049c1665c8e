import { describe, expect, it } from "bun:test";
import {
  decodeCommand,
  encodeCommand,
  type KvCommand,
  MAX_COMMAND_PAYLOAD,
  MAX_KEY_BYTES,
  MAX_VALUE_BYTES,
  utf8ByteLength,
} from "../../src/kv/mod.ts";

function roundTrip(command: KvCommand): KvCommand {
  const encoded = encodeCommand(command);
  if (!encoded.ok) throw new Error(encoded.message);
  const decoded = decodeCommand(encoded.payload);
  if (!decoded.ok) throw new Error(decoded.message);
  return decoded.command;
}

function decodeError(payload: string | Uint8Array): string {
  const decoded = decodeCommand(payload);
  if (decoded.ok) throw new Error("payload was accepted");
  expect(decoded.code).toBe("invalid_command");
  return decoded.message;
}

describe("KV commands", () => {
  it("encodeCommand() and decodeCommand() round-trip every kind of command", () => {
    const commands: KvCommand[] = [
      { op: "put", key: "a", value: "" },
      { op: "put", id: "req-1", key: "k/ü/🙂", value: "v", expectValue: "old", expectRevision: 7 },
      { op: "put", key: "k", value: "v", expectRevision: 0 },
      { op: "delete", key: "k" },
      { op: "delete", id: "req-2", key: "k", expectValue: "x", expectRevision: 3 },
      { op: "noop" },
      { op: "noop", id: "barrier" },
    ];
    for (const c of commands) expect(roundTrip(c)).toEqual(c);
  });

  it("decodeCommand() accepts UTF-8 bytes as well as strings", () => {
    const encoded = encodeCommand({ op: "put", key: "clé", value: "värde" });
    if (!encoded.ok) throw new Error(encoded.message);
    const decoded = decodeCommand(new TextEncoder().encode(encoded.payload));
    expect(decoded).toEqual({ ok: true, command: { op: "put", key: "clé", value: "värde" } });
  });

  it("decodeCommand() refuses a payload that is not JSON", () => {
    expect(decodeError("{not json")).toContain("payload is not JSON");
    expect(decodeError("")).toContain("payload is not JSON");
  });

  it("decodeCommand() refuses bytes that are not UTF-8", () => {
    expect(decodeError(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))).toBe("payload is not valid UTF-8");
  });

  it("decodeCommand() refuses JSON that is not an object with a known op", () => {
    expect(decodeError("42")).toContain("invalid command");
    expect(decodeError("null")).toContain("invalid command");
    expect(decodeError('{"key":"k","value":"v"}')).toContain("op");
    expect(decodeError('{"op":"increment","key":"k"}')).toContain("op");
  });

  it("decodeCommand() refuses a command with missing or mistyped fields", () => {
    expect(decodeError('{"op":"put","key":"k"}')).toContain("value");
    expect(decodeError('{"op":"delete"}')).toContain("key");
    expect(decodeError('{"op":"put","key":"k","value":1}')).toContain("value");
    expect(decodeError('{"op":"put","key":"k","value":"v","expectRevision":-1}')).toContain("expectRevision");
    expect(decodeError('{"op":"put","key":"k","value":"v","expectRevision":1.5}')).toContain("expectRevision");
  });

  it("decodeCommand() refuses unknown fields rather than ignoring them", () => {
    expect(decodeError('{"op":"put","key":"k","value":"v","ttl":5}')).toContain("ttl");
  });

  it("decodeCommand() refuses an empty key and a key over the byte limit", () => {
    expect(decodeError(JSON.stringify({ op: "put", key: "", value: "v" }))).toContain("key");
    const long = "é".repeat(MAX_KEY_BYTES / 2 + 1);
    expect(long.length).toBeLessThan(MAX_KEY_BYTES);
    expect(decodeError(JSON.stringify({ op: "delete", key: long }))).toContain(`the limit is ${MAX_KEY_BYTES}`);
    expect(roundTrip({ op: "delete", key: "k".repeat(MAX_KEY_BYTES) })).toBeTruthy();
  });

  it("decodeCommand() refuses a value over 1 MiB and accepts one of exactly 1 MiB", () => {
    const tooBig = JSON.stringify({ op: "put", key: "k", value: "x".repeat(MAX_VALUE_BYTES + 1) });
    expect(decodeError(tooBig)).toContain(`the limit is ${MAX_VALUE_BYTES}`);
    expect(roundTrip({ op: "put", key: "k", value: "x".repeat(MAX_VALUE_BYTES) })).toBeTruthy();
  });

  it("decodeCommand() refuses keys and values holding a lone surrogate", () => {
    expect(decodeError(JSON.stringify({ op: "put", key: "a\ud800", value: "v" }))).toContain("lone surrogate");
    expect(decodeError(JSON.stringify({ op: "put", key: "k", value: "\udc00" }))).toContain("lone surrogate");
  });

  it("decodeCommand() refuses a payload above the size bound without parsing it", () => {
    expect(decodeError(" ".repeat(MAX_COMMAND_PAYLOAD + 1))).toContain("the limit is");
  });

  it("decodeCommand() refuses a members command (addresses travel in the Raft configuration)", () => {
    const old = JSON.stringify({ op: "members", upsert: [{ id: "n1", url: "http://a:1" }] });
    expect(decodeError(old)).toContain("op");
  });

  it("encodeCommand() refuses an invalid command instead of producing a doomed payload", () => {
    const encoded = encodeCommand({ op: "put", key: "", value: "v" });
    expect(encoded.ok).toBe(false);
    if (!encoded.ok) expect(encoded.message).toContain("key must have at least 1 byte(s)");
  });

  it("utf8ByteLength() counts like TextEncoder and flags lone surrogates", () => {
    for (const s of ["", "a", "é", "€", "🙂", "a€🙂é"]) {
      expect(utf8ByteLength(s)).toBe(new TextEncoder().encode(s).length);
    }
    expect(utf8ByteLength("\ud83d")).toBe(-1);
    expect(utf8ByteLength("\ude42x")).toBe(-1);
  });
});
