/**
 * The server's check of a WebSocket opening handshake (RFC 6455 §4.2.1), made before the runtime
 * is asked to upgrade: given a malformed handshake, Bun refuses to upgrade (an exception) and Deno
 * upgrades anyway, so the endpoint checks it itself and answers a malformed one in the envelope.
 */

/** The outcome of {@link checkUpgrade}: fine, or the refusal to answer with. */
export type UpgradeCheck =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly code: "upgrade_required" | "invalid_handshake";
      readonly message: string;
      /** Response headers that tell the client what to send instead. */
      readonly headers: Record<string, string>;
    };

/** The WebSocket protocol version this server speaks (the only one RFC 6455 defines). */
const VERSION = "13";

/**
 * `Sec-WebSocket-Key`: the base64 encoding of 16 bytes, i.e. 21 characters, one that carries the
 * last 2 bits (so its low 4 bits are zero: A, Q, g or w), and the padding `==`.
 */
const KEY = /^[A-Za-z0-9+/]{21}[AQgw]==$/;

/** Checks the upgrade headers: `upgrade`, `connection`, `sec-websocket-version` and `sec-websocket-key`. */
export function checkUpgrade(headers: Headers): UpgradeCheck {
  if (headers.get("upgrade")?.trim().toLowerCase() !== "websocket") {
    const message = "Cannot open peer connection: the request is not a WebSocket upgrade";
    return { ok: false, code: "upgrade_required", message, headers: { upgrade: "websocket" } };
  }
  const connection = (headers.get("connection") ?? "").split(",").map((t) => t.trim().toLowerCase());
  if (!connection.includes("upgrade")) {
    return refuse("header connection must include 'upgrade'", {});
  }
  const version = headers.get("sec-websocket-version");
  if (version?.trim() !== VERSION) {
    const got = version === null ? "it is missing" : `got '${version.slice(0, 16)}'`;
    return refuse(`header sec-websocket-version must be ${VERSION} (${got})`, { "sec-websocket-version": VERSION });
  }
  const key = headers.get("sec-websocket-key");
  if (key === null || !KEY.test(key.trim())) {
    const got = key === null ? "it is missing" : `got ${key.length} characters`;
    return refuse(`header sec-websocket-key must be the base64 encoding of 16 bytes (${got})`, {});
  }
  return { ok: true };
}

function refuse(why: string, headers: Record<string, string>): UpgradeCheck {
  return { ok: false, code: "invalid_handshake", message: `Cannot open peer connection: ${why}`, headers };
}
