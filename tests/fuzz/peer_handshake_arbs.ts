/**
 * Arbitraries of dials to the peer endpoint that must be refused: another cluster's token (the
 * cluster is known by its token), no token or a malformed one, a bad node id or URL header, no
 * WebSocket upgrade, bad upgrade headers, and frames sent as the body of a plain request (before
 * any handshake). Each says the status and reason the endpoint must refuse it with.
 */
import fc from "fast-check";

/** A dial, and how the endpoint must refuse it. */
export interface HostileDial {
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
  readonly status: number;
  readonly reason: "unauthorized" | "invalid_handshake" | "upgrade_required";
}

const VALID_KEY = "dGhlIHNhbXBsZSBub25jZQ==";

/** Header values, `undefined` for a header that is not sent. */
const option = <T>(good: T, bad: readonly T[]) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant({ value: good as T | undefined, ok: true }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(...bad, undefined).map((value) => ({ value, ok: false })),
    },
  );

/** Dials refused by the endpoint with `token` as the cluster token. */
export function handshakeArb(token: string): fc.Arbitrary<HostileDial> {
  const frame = JSON.stringify({
    v: 1,
    type: "RequestVoteCall",
    from: "n2",
    term: 1e6,
    lastPosition: { term: 1e6, index: 1e6 },
  });
  return fc
    .record({
      authorization: option(`Bearer ${token}`, [
        "Bearer other-cluster-token",
        `bearer ${token}`,
        "Bearer ",
        `Basic ${token}`,
        token,
      ]),
      id: option("n2", ["", "bad id!", "x".repeat(65), "n2\u00ff"]),
      url: fc.oneof(
        fc.constant({ value: undefined as string | undefined, ok: true }),
        fc.constant({ value: "http://10.0.0.2:7001" as string | undefined, ok: true }),
        fc
          .constantFrom("ftp://10.0.0.2/", "not a url", `http://${"a".repeat(3000)}`)
          .map((value) => ({ value: value as string | undefined, ok: false })),
      ),
      upgrade: option("websocket", ["h2c", ""]),
      connection: option("Upgrade", ["keep-alive"]),
      version: option("13", ["8", "", "13, 8"]),
      key: option(VALID_KEY, ["short", `${VALID_KEY}x`, ""]),
      body: fc.option(fc.constant(frame), { nil: undefined }),
    })
    .map((h) => {
      // A dial that passes every check would be upgraded; break its key.
      const allOk = [h.authorization, h.id, h.url, h.upgrade, h.connection, h.version, h.key].every((p) => p.ok);
      const key = allOk ? { value: "short", ok: false } : h.key;
      const headers: Record<string, string> = {};
      const put = (name: string, value: string | undefined) => {
        if (value !== undefined) headers[name] = value;
      };
      put("authorization", h.authorization.value);
      put("x-raft-node-id", h.id.value);
      put("x-raft-node-url", h.url.value);
      put("upgrade", h.upgrade.value);
      put("connection", h.connection.value);
      put("sec-websocket-version", h.version.value);
      put("sec-websocket-key", key.value);
      // Frames as the body of a plain request (no upgrade asked for): Deno itself refuses a body
      // on an upgrade request, before the endpoint sees it.
      const body = h.upgrade.value === undefined ? h.body : undefined;
      if (body !== undefined) put("content-length", String(body.length));
      const verdict = (): Pick<HostileDial, "status" | "reason"> => {
        if (!h.authorization.ok) return { status: 401, reason: "unauthorized" };
        if (!h.id.ok || !h.url.ok) return { status: 400, reason: "invalid_handshake" };
        if (!h.upgrade.ok) return { status: 426, reason: "upgrade_required" };
        return { status: 400, reason: "invalid_handshake" };
      };
      return { headers, body, ...verdict() };
    });
}
