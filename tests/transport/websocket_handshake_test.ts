import { describe, expect, it } from "bun:test";
import { checkUpgrade } from "../../src/transport/websocket_handshake.ts";

/** The headers of a well-formed upgrade (the key is the example of RFC 6455 §1.3). */
const good = {
  upgrade: "websocket",
  connection: "Upgrade",
  "sec-websocket-version": "13",
  "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
};

describe("checkUpgrade()", () => {
  it("accepts a well-formed upgrade, whatever the case of upgrade and connection tokens", () => {
    expect(checkUpgrade(new Headers(good))).toEqual({ ok: true });
    const other = { ...good, upgrade: "WebSocket", connection: "keep-alive, upgrade" };
    expect(checkUpgrade(new Headers(other))).toEqual({ ok: true });
  });

  it("accepts every key that encodes 16 random bytes", () => {
    for (let i = 0; i < 50; i++) {
      const bytes = crypto.getRandomValues(new Uint8Array(16));
      const key = btoa(String.fromCharCode(...bytes));
      expect(checkUpgrade(new Headers({ ...good, "sec-websocket-key": key }))).toEqual({ ok: true });
    }
  });

  it("answers a plain request with upgrade_required and an upgrade header", () => {
    const { upgrade: _, ...plain } = good;
    const result = checkUpgrade(new Headers(plain));
    expect(result).toEqual({
      ok: false,
      code: "upgrade_required",
      message: "Cannot open peer connection: the request is not a WebSocket upgrade",
      headers: { upgrade: "websocket" },
    });
  });

  const malformed: Array<[string, Record<string, string>, string]> = [
    ["no connection: upgrade", { ...good, connection: "keep-alive" }, "header connection must include 'upgrade'"],
    [
      "a missing key",
      { ...good, "sec-websocket-key": "" },
      "sec-websocket-key must be the base64 encoding of 16 bytes",
    ],
    ["a short key", { ...good, "sec-websocket-key": "bad" }, "(got 3 characters)"],
    ["a key of 17 bytes", { ...good, "sec-websocket-key": btoa("x".repeat(17)) }, "sec-websocket-key"],
    ["a key of 15 bytes", { ...good, "sec-websocket-key": btoa("x".repeat(15)) }, "sec-websocket-key"],
    ["a key that is not base64", { ...good, "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ!=" }, "sec-websocket-key"],
    ["a non-canonical key", { ...good, "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZR==" }, "sec-websocket-key"],
    ["version 8", { ...good, "sec-websocket-version": "8" }, "sec-websocket-version must be 13 (got '8')"],
  ];
  for (const [what, init, text] of malformed) {
    it(`answers ${what} with invalid_handshake`, () => {
      const headers = new Headers(init);
      if (init["sec-websocket-key"] === "") headers.delete("sec-websocket-key");
      const result = checkUpgrade(headers);
      expect(result.ok ? "ok" : result.code).toBe("invalid_handshake");
      if (!result.ok) expect(result.message).toContain(text);
    });
  }

  it("tells a client with a missing or wrong version which one to send", () => {
    const { "sec-websocket-version": _, ...noVersion } = good;
    const result = checkUpgrade(new Headers(noVersion));
    expect(result.ok ? {} : result.headers).toEqual({ "sec-websocket-version": "13" });
    if (!result.ok) expect(result.message).toContain("(it is missing)");
  });
});
