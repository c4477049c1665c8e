import { describe, expect, it } from "bun:test";
import { Hono } from "hono";
import { type UpgradeWebSocket, WSContext, type WSEvents } from "hono/ws";
import {
  ClusterConfig,
  LogEntries,
  LogEntry,
  LogIndex,
  LogPosition,
  type Message,
  NodeId,
  Term,
} from "../../packages/core/src/mod.ts";
import { encodeBinaryAppend } from "../../src/transport/binary_append.ts";
import { encodeError, encodeMessage, encodeSnapshotChunk, type SnapshotChunk } from "../../src/transport/codec.ts";
import {
  checkHandshake,
  type PeerEndpointOptions,
  type PeerHandshake,
  peerConnectionEvents,
  registerPeerEndpoint,
} from "../../src/transport/peer_endpoint.ts";

const b = NodeId.of("node-b");
const vote: Message = { type: "RequestVoteCall", from: b, term: Term.of(2), lastPosition: LogPosition.of(1, 4) };

function headers(init: Record<string, string>): Headers {
  return new Headers(init);
}

describe("checkHandshake()", () => {
  const good = {
    authorization: "Bearer s3cret",
    "x-raft-node-id": "node-b",
    "x-raft-node-url": "http://127.0.0.1:7002",
  };

  it("accepts the right token with a node id and an optional URL", () => {
    expect(checkHandshake(headers(good), "s3cret")).toEqual({
      ok: true,
      peer: { id: b, url: "http://127.0.0.1:7002" },
    });
    const { "x-raft-node-url": _, ...noUrl } = good;
    expect(checkHandshake(headers(noUrl), "s3cret")).toEqual({ ok: true, peer: { id: b, url: null } });
  });

  const refusals: Array<[string, Record<string, string>, number]> = [
    ["a missing token", { ...good, authorization: "" }, 401],
    ["a wrong token", { ...good, authorization: "Bearer s3creT" }, 401],
    ["a token prefix", { ...good, authorization: "Bearer s3cre" }, 401],
    ["a non-bearer scheme", { ...good, authorization: "Basic s3cret" }, 401],
    ["a missing node id", { authorization: good.authorization }, 400],
    ["a bad node id", { ...good, "x-raft-node-id": "node b" }, 400],
    ["a non-http URL", { ...good, "x-raft-node-url": "ftp://x" }, 400],
    ["an unparsable URL", { ...good, "x-raft-node-url": "::" }, 400],
  ];
  for (const [what, init, status] of refusals) {
    it(`refuses ${what} with ${status}`, () => {
      const result = checkHandshake(headers(init), "s3cret");
      expect(result.ok ? 200 : result.status).toBe(status);
    });
  }

  it("refuses every dial when the configured token is empty", () => {
    const result = checkHandshake(headers({ ...good, authorization: "Bearer " }), "");
    expect(result.ok ? 200 : result.status).toBe(401);
  });
});

describe("registerPeerEndpoint()", () => {
  function app(upgrade: () => Response = () => new Response("upgraded", { status: 200 })) {
    const upgrades: WSEvents[] = [];
    const upgradeErrors: unknown[] = [];
    const upgradeWebSocket = (async (_c: unknown, events: WSEvents) => {
      upgrades.push(events);
      return upgrade();
    }) as unknown as UpgradeWebSocket;
    const hono = new Hono();
    registerPeerEndpoint(hono, upgradeWebSocket, {
      token: "s3cret",
      onMessage: () => undefined,
      onUpgradeError: (e) => upgradeErrors.push(e),
    });
    return { hono, upgrades, upgradeErrors };
  }

  const dial = {
    authorization: "Bearer s3cret",
    "x-raft-node-id": "node-b",
    upgrade: "websocket",
    connection: "Upgrade",
    "sec-websocket-version": "13",
    "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
  };

  type Envelope = { error: { code: string; message: string } };

  it("answers a wrong token with 401 and the JSON error envelope, before upgrading", async () => {
    const { hono, upgrades } = app();
    for (const authorization of ["Bearer nope", ""]) {
      const res = await hono.request("/v1/raft", { headers: { ...dial, authorization } });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe("Bearer");
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("unauthorized");
      expect(body.error.message).toContain("token");
    }
    expect(upgrades.length).toBe(0);
  });

  it("answers a bad node id with 400 and a plain request with 426, in the envelope", async () => {
    const { hono, upgrades } = app();
    const bad = await hono.request("/v1/raft", { headers: { ...dial, "x-raft-node-id": "../x" } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Envelope).error.code).toBe("invalid_handshake");
    const plain = await hono.request("/v1/raft", { headers: { ...dial, upgrade: "" } });
    expect(plain.status).toBe(426);
    expect(plain.headers.get("upgrade")).toBe("websocket");
    expect(((await plain.json()) as Envelope).error.code).toBe("upgrade_required");
    expect(upgrades.length).toBe(0);
  });

  it("answers a malformed Sec-WebSocket-Key or version with 400 invalid_handshake, before upgrading", async () => {
    const { hono, upgrades } = app();
    const badKey = await hono.request("/v1/raft", { headers: { ...dial, "sec-websocket-key": "bad" } });
    expect(badKey.status).toBe(400);
    const body = (await badKey.json()) as Envelope;
    expect(body.error.code).toBe("invalid_handshake");
    expect(body.error.message).toContain("sec-websocket-key must be the base64 encoding of 16 bytes");
    const badVersion = await hono.request("/v1/raft", { headers: { ...dial, "sec-websocket-version": "8" } });
    expect(badVersion.status).toBe(400);
    expect(badVersion.headers.get("sec-websocket-version")).toBe("13");
    expect(upgrades.length).toBe(0);
  });

  it("answers an upgrade that throws with 500 internal in the envelope, reports it, and shows no stack", async () => {
    const { hono, upgradeErrors } = app(() => {
      throw new Error("Failed to upgrade WebSocket");
    });
    const res = await hono.request("/v1/raft", { headers: dial });
    expect(res.status).toBe(500);
    const text = await res.text();
    const body = JSON.parse(text) as Envelope;
    expect(body.error).toEqual({
      code: "internal",
      message: "Cannot open peer connection from node-b: the WebSocket upgrade failed",
    });
    expect(text).not.toContain("at ");
    expect(upgradeErrors.map(String)).toEqual(["Error: Failed to upgrade WebSocket"]);
  });

  it("upgrades a good handshake", async () => {
    const { hono, upgrades } = app();
    const res = await hono.request("/v1/raft", { headers: dial });
    expect(await res.text()).toBe("upgraded");
    expect(upgrades.length).toBe(1);
  });
});

describe("peerConnectionEvents()", () => {
  function connection(options: Partial<PeerEndpointOptions> = {}) {
    const messages: Array<[NodeId, Message]> = [];
    const chunks: Array<[NodeId, SnapshotChunk]> = [];
    const frameErrors: Array<[NodeId, string]> = [];
    const replies: string[] = [];
    const peers: string[] = [];
    const peer: PeerHandshake = { id: b, url: "http://127.0.0.1:7002" };
    const events = peerConnectionEvents(peer, {
      token: "s3cret",
      onMessage: (from, message) => messages.push([from, message]),
      onSnapshotChunk: (from, chunk) => chunks.push([from, chunk]),
      onFrameError: (from, error) => frameErrors.push([from, error.code]),
      onPeerOpen: (p) => peers.push(`open ${p.id} ${p.url}`),
      onPeerClose: (p) => peers.push(`close ${p.id}`),
      ...options,
    });
    const ws = new WSContext({
      send: (data) => replies.push(String(data)),
      close: () => undefined,
      readyState: 1,
    });
    const deliver = (data: string | ArrayBuffer | Blob) =>
      events.onMessage?.(new MessageEvent("message", { data }), ws);
    const replyCodes = () => replies.map((r) => (JSON.parse(r) as { code: string }).code);
    return { events, ws, deliver, messages, chunks, frameErrors, replies, replyCodes, peers };
  }

  it("hands a valid message to onMessage with the handshake's id", () => {
    const c = connection();
    c.deliver(encodeMessage(vote));
    expect(c.messages).toEqual([[b, vote]]);
    expect(c.replies).toEqual([]);
  });

  it("reports open and close with the handshake", () => {
    const c = connection();
    c.events.onOpen?.(new Event("open"), c.ws);
    c.events.onClose?.(new CloseEvent("close"), c.ws);
    expect(c.peers).toEqual(["open node-b http://127.0.0.1:7002", "close node-b"]);
  });

  it("decodes binary frames as UTF-8", () => {
    const c = connection();
    c.deliver(new TextEncoder().encode(encodeMessage(vote)).buffer as ArrayBuffer);
    expect(c.messages).toEqual([[b, vote]]);
  });

  it("takes binary AppendEntriesCall frames, and refuses one from another sender or a corrupt one", () => {
    const append = (from: NodeId) =>
      ({
        type: "AppendEntriesCall",
        from,
        term: Term.of(2),
        commitIndex: LogIndex.of(4),
        entries: LogEntries.from(LogPosition.of(1, 4), [LogEntry.term(Term.of(2)), LogEntry.command("x")]),
        seq: 7,
      }) as const;
    const exact = (bytes: Uint8Array) => bytes.slice().buffer as ArrayBuffer;
    const c = connection();
    c.deliver(exact(encodeBinaryAppend(append(b))));
    c.deliver(exact(encodeBinaryAppend(append(NodeId.of("node-c")))));
    c.deliver(exact(encodeBinaryAppend(append(b)).subarray(0, 20)));
    expect(c.messages.length).toBe(1);
    const [from, message] = c.messages[0];
    expect(from).toBe(b);
    if (message.type !== "AppendEntriesCall") throw new Error(`expected an AppendEntriesCall, got ${message.type}`);
    expect(message.entries.equals(append(b).entries)).toBe(true);
    expect(c.replyCodes()).toEqual(["sender_mismatch", "invalid_frame"]);
  });

  it("answers invalid frames with Error frames, drops them and keeps going", () => {
    const c = connection({ maxFrameBytes: 4096 });
    c.deliver("{not json");
    c.deliver(JSON.stringify({ v: 1, type: "Bogus" }));
    c.deliver(JSON.stringify({ ...JSON.parse(encodeMessage(vote)), v: 9 }));
    c.deliver(encodeMessage({ ...vote, from: NodeId.of("node-c") }));
    c.deliver("x".repeat(5000));
    c.deliver(new Uint8Array(5000).buffer as ArrayBuffer);
    c.deliver(new Uint8Array([0xff, 0xfe, 0x7b]).buffer as ArrayBuffer);
    c.deliver(encodeMessage(vote));
    expect(c.replyCodes()).toEqual([
      "invalid_json",
      "invalid_frame",
      "unsupported_version",
      "sender_mismatch",
      "frame_too_large",
      "frame_too_large",
      "invalid_json",
    ]);
    expect(c.frameErrors.map(([, code]) => code)).toEqual(c.replyCodes());
    expect(c.messages).toEqual([[b, vote]]);
  });

  it("reports an Error frame from the peer without answering it", () => {
    const c = connection();
    c.deliver(encodeError({ code: "invalid_frame", message: "Cannot accept frame: test" }));
    expect(c.frameErrors).toEqual([[b, "invalid_frame"]]);
    expect(c.replies).toEqual([]);
  });

  const chunk: SnapshotChunk = {
    from: b,
    snapshotId: "s1",
    position: LogPosition.of(2, 9),
    config: new ClusterConfig({ voters: [b] }),
    offset: 0,
    totalBytes: 2,
    data: new Uint8Array([1, 2]),
    last: true,
    crc32: 123,
  };

  it("hands snapshot chunks to onSnapshotChunk, and refuses them without one", () => {
    const c = connection();
    c.deliver(encodeSnapshotChunk(chunk));
    expect(c.chunks.length).toBe(1);
    expect(Array.from(c.chunks[0][1].data)).toEqual([1, 2]);
    const without = connection({ onSnapshotChunk: undefined });
    without.deliver(encodeSnapshotChunk(chunk));
    expect(without.replyCodes()).toEqual(["unexpected_frame"]);
  });

  it("reads Blob frames and still checks their size first", async () => {
    let resolve: (message: Message) => void = () => undefined;
    const promise = new Promise<Message>((r) => {
      resolve = r;
    });
    const c = connection({ maxFrameBytes: 1000, onMessage: (_from, message) => resolve(message) });
    c.deliver(new Blob([encodeMessage(vote)]));
    c.deliver(new Blob(["y".repeat(1001)]));
    expect(c.replyCodes()).toEqual(["frame_too_large"]);
    expect(await promise).toEqual(vote);
  });

  it("survives a send that throws on a closing connection", () => {
    const c = connection();
    const closing = new WSContext({
      send: () => {
        throw new Error("closed");
      },
      close: () => undefined,
      readyState: 2,
    });
    expect(() => c.events.onMessage?.(new MessageEvent("message", { data: "{" }), closing)).not.toThrow();
    expect(c.frameErrors.map(([, code]) => code)).toEqual(["invalid_json"]);
  });
});
