import { describe, expect, it } from "bun:test";
import { ClusterConfig, LogPosition, type Message, NodeId, Term } from "../../packages/core/src/mod.ts";
import { decodeFrame, encodeError, encodeMessage } from "../../src/transport/codec.ts";
import { PeerTransport, type PeerTransportOptions, peerSocketUrl } from "../../src/transport/peer_transport.ts";
import { fakeWebSocketImpl, ManualTimers } from "./fakes.ts";

const a = NodeId.of("node-a");
const b = NodeId.of("node-b");
const c = NodeId.of("node-c");
const vote: Message = { type: "RequestVoteCall", from: a, term: Term.of(3), lastPosition: LogPosition.of(2, 8) };

function setup(options: Partial<PeerTransportOptions> = {}) {
  const fake = fakeWebSocketImpl();
  const timers = new ManualTimers();
  const errors: string[] = [];
  const changes: string[] = [];
  const transport = new PeerTransport({
    selfId: a,
    selfUrl: "http://127.0.0.1:7001",
    token: "s3cret",
    link: { WebSocket: fake.impl, timers, random: () => 0, highWaterMark: 1000 },
    onPeerError: (peer, error) => errors.push(`${peer} ${error.code}`),
    onLinkChange: (peer, up) => changes.push(`${peer} ${up ? "up" : "down"}`),
    ...options,
  });
  const socketTo = (url: string) => {
    const matching = fake.sockets.filter((s) => s.url === url);
    const socket = matching[matching.length - 1];
    if (socket === undefined) throw new Error(`no socket to ${url}`);
    return socket;
  };
  return { transport, fake, timers, errors, changes, socketTo };
}

describe("peerSocketUrl()", () => {
  const cases: Array<[string, string]> = [
    ["http://127.0.0.1:7001", "ws://127.0.0.1:7001/v1/raft"],
    ["http://127.0.0.1:7001/", "ws://127.0.0.1:7001/v1/raft"],
    ["https://raft.example:8443", "wss://raft.example:8443/v1/raft"],
    ["https://proxy.example/node-a/", "wss://proxy.example/node-a/v1/raft"],
    ["http://[::1]:7001?x=1#y", "ws://[::1]:7001/v1/raft"],
    ["ws://127.0.0.1:9", "ws://127.0.0.1:9/v1/raft"],
    ["ftp://x", "ftp://x"],
    ["not a url", "not a url"],
  ];
  for (const [http, ws] of cases) {
    it(`maps ${http} to ${ws}`, () => expect(peerSocketUrl(http)).toBe(ws));
  }
});

describe("PeerTransport", () => {
  it("dials each peer but itself with the handshake headers", () => {
    const { transport, fake } = setup();
    transport.setPeers([
      { id: a, url: "http://127.0.0.1:7001" },
      { id: b, url: "http://127.0.0.1:7002" },
      { id: c, url: "http://127.0.0.1:7003" },
    ]);
    expect(fake.sockets.map((s) => s.url)).toEqual(["ws://127.0.0.1:7002/v1/raft", "ws://127.0.0.1:7003/v1/raft"]);
    expect(fake.sockets[0].headers).toEqual({
      authorization: "Bearer s3cret",
      "x-raft-node-id": "node-a",
      "x-raft-node-url": "http://127.0.0.1:7001",
    });
    transport.close();
  });

  it("sends encoded messages, counts drops, and reports link changes", () => {
    const { transport, socketTo, changes } = setup();
    transport.setPeers([{ id: b, url: "http://127.0.0.1:7002" }]);
    expect(transport.send(b, vote)).toBe(true); // Kept while the dial is in flight.
    socketTo("ws://127.0.0.1:7002/v1/raft").open();
    expect(transport.send(b, vote)).toBe(true);
    expect(transport.send(c, vote)).toBe(false); // Not a peer.
    const sent = socketTo("ws://127.0.0.1:7002/v1/raft").sent;
    expect(sent).toEqual([encodeMessage(vote), encodeMessage(vote)]);
    expect(decodeFrame(sent[0]).ok).toBe(true);
    expect(transport.stats()).toEqual([
      {
        id: b,
        url: "http://127.0.0.1:7002",
        dialUrl: "http://127.0.0.1:7002",
        connected: true,
        sent: 2,
        dropped: 0,
        refused: 0,
      },
    ]);
    socketTo("ws://127.0.0.1:7002/v1/raft").drop();
    expect(changes).toEqual(["node-b up", "node-b down"]);
    expect(transport.stats()[0].connected).toBe(false);
    transport.close();
  });

  it("dials a peer named in `via` at that address, keeps its member URL, and dials the others directly", () => {
    const via = new Map([[b, "http://127.0.0.1:9123/relay"]]);
    const { transport, fake, socketTo } = setup({ via });
    transport.setPeers([
      { id: b, url: "http://127.0.0.1:7002" },
      { id: c, url: "http://127.0.0.1:7003" },
    ]);
    expect(fake.sockets.map((s) => s.url)).toEqual([
      "ws://127.0.0.1:9123/relay/v1/raft",
      "ws://127.0.0.1:7003/v1/raft",
    ]);
    socketTo("ws://127.0.0.1:9123/relay/v1/raft").open();
    expect(transport.send(b, vote)).toBe(true);
    expect(transport.stats().map((p) => [p.id, p.url, p.dialUrl])).toEqual([
      [b, "http://127.0.0.1:7002", "http://127.0.0.1:9123/relay"],
      [c, "http://127.0.0.1:7003", "http://127.0.0.1:7003"],
    ]);
    transport.setPeers([{ id: b, url: "http://127.0.0.1:7012" }]); // b moved: still dialed through its via address.
    expect(fake.sockets[fake.sockets.length - 1].url).toBe("ws://127.0.0.1:9123/relay/v1/raft");
    transport.close();
  });

  it("sends a snapshot to a peer named in `via` over the link to that address", async () => {
    const via = new Map([[b, "http://127.0.0.1:9123"]]);
    const { transport, socketTo } = setup({ via });
    transport.setPeers([{ id: b, url: "http://127.0.0.1:7002" }]);
    socketTo("ws://127.0.0.1:9123/v1/raft").open();
    const config = new ClusterConfig({ voters: [a, b] });
    const data = new TextEncoder().encode("snapshot bytes");
    expect(await transport.sendSnapshot(b, { position: LogPosition.of(2, 9), config, data })).toBe(true);
    const frames = socketTo("ws://127.0.0.1:9123/v1/raft").sent.map((t) => decodeFrame(t));
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.every((f) => f.ok && f.frame.type === "SnapshotChunk")).toBe(true);
    transport.close();
  });

  it("broadcasts one encoding to every listed peer", () => {
    const { transport, socketTo } = setup();
    transport.setPeers([
      { id: b, url: "http://127.0.0.1:7002" },
      { id: c, url: "http://127.0.0.1:7003" },
    ]);
    socketTo("ws://127.0.0.1:7002/v1/raft").open();
    socketTo("ws://127.0.0.1:7003/v1/raft").open();
    expect(transport.broadcast([b, c], vote)).toBe(2);
    expect(transport.broadcast([], vote)).toBe(0);
    const sb = socketTo("ws://127.0.0.1:7002/v1/raft").sent;
    const sc = socketTo("ws://127.0.0.1:7003/v1/raft").sent;
    expect(sb).toEqual(sc);
    expect(transport.sendEncoded(b, sb[0], "request_vote_call")).toBe(true);
    transport.close();
  });

  it("drops instead of buffering once a link is saturated", () => {
    const { transport, socketTo } = setup();
    transport.setPeers([{ id: b, url: "http://127.0.0.1:7002" }]);
    const socket = socketTo("ws://127.0.0.1:7002/v1/raft");
    socket.open();
    socket.bufferedAmount = 5000; // The high-water mark is 1000 bytes.
    let accepted = 0;
    for (let i = 0; i < 50; i++) if (transport.send(b, vote)) accepted += 1;
    expect(accepted).toBe(0);
    expect(transport.canSend(b)).toBe(false);
    expect(transport.stats()[0].dropped).toBe(50);
    expect(socket.sent.length).toBe(0);
    transport.close();
  });

  it("follows membership: closes removed peers and redials a changed URL, keeping counters", () => {
    const { transport, fake, socketTo } = setup();
    transport.setPeers([
      { id: b, url: "http://127.0.0.1:7002" },
      { id: c, url: "http://127.0.0.1:7003" },
    ]);
    socketTo("ws://127.0.0.1:7002/v1/raft").open();
    transport.send(b, vote);
    transport.setPeers([{ id: b, url: "http://127.0.0.1:7002" }]); // c removed.
    expect(socketTo("ws://127.0.0.1:7003/v1/raft").closeCalls).toBe(1);
    transport.setPeers([{ id: b, url: "http://127.0.0.1:7012" }]); // b moved.
    expect(socketTo("ws://127.0.0.1:7002/v1/raft").closeCalls).toBe(1);
    expect(fake.sockets.length).toBe(3);
    expect(transport.stats()).toEqual([
      {
        id: b,
        url: "http://127.0.0.1:7012",
        dialUrl: "http://127.0.0.1:7012",
        connected: false,
        sent: 1,
        dropped: 0,
        refused: 0,
      },
    ]);
    transport.setPeers([{ id: b, url: "http://127.0.0.1:7012" }]); // Unchanged: no redial.
    expect(fake.sockets.length).toBe(3);
    transport.close();
  });

  it("reports Error frames the peer sends back and ignores anything else on the link", () => {
    const { transport, socketTo, errors } = setup();
    transport.setPeers([{ id: b, url: "http://127.0.0.1:7002" }]);
    const socket = socketTo("ws://127.0.0.1:7002/v1/raft");
    socket.open();
    socket.receive(encodeError({ code: "invalid_frame", message: "Cannot accept frame: x" }));
    socket.receive(encodeMessage(vote));
    socket.receive("garbage");
    expect(errors).toEqual(["node-b invalid_frame"]);
    expect(transport.stats()[0].refused).toBe(1);
    transport.close();
  });

  it("close() closes every link and later calls do nothing", () => {
    const { transport, fake, timers } = setup();
    transport.setPeers([{ id: b, url: "http://127.0.0.1:7002" }]);
    transport.close();
    expect(fake.sockets[0].closeCalls).toBe(1);
    expect(timers.pending.size).toBe(0);
    transport.setPeers([{ id: c, url: "http://127.0.0.1:7003" }]);
    expect(fake.sockets.length).toBe(1);
    expect(transport.send(b, vote)).toBe(false);
    expect(transport.stats()).toEqual([]);
  });

  it("sendSnapshot() streams every chunk of an open link and refuses a second transfer to the same peer", async () => {
    const { transport, socketTo, timers } = setup({ snapshotChunkBytes: 4 });
    transport.setPeers([{ id: b, url: "http://127.0.0.1:7002" }]);
    const socket = socketTo("ws://127.0.0.1:7002/v1/raft");
    socket.open();
    socket.bufferedAmount = 900; // Above the low-water mark (a quarter of 1000): the transfer waits.
    const snapshot = {
      position: LogPosition.of(3, 9),
      config: new ClusterConfig({ voters: [a, b] }),
      data: new Uint8Array(10),
    };
    const first = transport.sendSnapshot(b, snapshot);
    expect(await transport.sendSnapshot(b, snapshot)).toBe(false);
    expect(socket.sent.length).toBe(0);
    socket.bufferedAmount = 0;
    timers.fireNext();
    expect(await first).toBe(true);
    const frames = socket.sent.map((text) => decodeFrame(text));
    const chunks = frames.map((f) => (f.ok && f.frame.type === "SnapshotChunk" ? f.frame : null));
    expect(chunks.map((f) => f?.offset)).toEqual([0, 4, 8]);
    expect(chunks.map((f) => f?.last)).toEqual([false, false, true]);
    expect(chunks[0]?.snapshotId).toBe("node-a.3.9.1");
    expect(await transport.sendSnapshot(c, snapshot)).toBe(false); // Not a peer.
    transport.close();
  });

  it("sendSnapshot() gives up when the link is down", async () => {
    const { transport } = setup();
    transport.setPeers([{ id: b, url: "http://127.0.0.1:7002" }]);
    const snapshot = { position: LogPosition.of(3, 9), config: ClusterConfig.EMPTY, data: new Uint8Array(10) };
    expect(await transport.sendSnapshot(b, snapshot)).toBe(false);
    transport.close();
  });
});
