import { afterAll, afterEach, describe, expect, it } from "bun:test";
import { Buffer } from "node:buffer";
import { Hono } from "hono";
import {
  ClusterConfig,
  Generation,
  LogEntries,
  LogEntry,
  LogIndex,
  LogPosition,
  type Message,
  NodeId,
  Term,
} from "../../packages/core/src/mod.ts";
import { decodeFrame, encodeMessage, type SnapshotChunk } from "../../src/transport/codec.ts";
import { type PeerHandshake, registerPeerEndpoint } from "../../src/transport/peer_endpoint.ts";
import { PeerLink } from "../../src/transport/peer_link.ts";
import { PeerTransport } from "../../src/transport/peer_transport.ts";
import { type ReceivedSnapshot, SnapshotReceiver } from "../../src/transport/snapshot_stream.ts";
import { defaultWebSocketImpl, type PeerSocket } from "../../src/transport/websocket_client.ts";
import { serveApp, type TestServer } from "./serve_helper.ts";

const TOKEN = "test-cluster-token";
const WAIT_MS = 5000;

/** A FIFO of received things with bounded, timed waits. */
class Inbox<T> {
  readonly #items: T[] = [];
  readonly #waiters: Array<(item: T) => void> = [];

  push(item: T): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter(item);
    else if (this.#items.length < 10_000) this.#items.push(item);
  }

  get size(): number {
    return this.#items.length;
  }

  next(timeoutMs = WAIT_MS): Promise<T> {
    const item = this.#items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise<T>((resolve, reject) => {
      const waiter = (got: T) => {
        clearTimeout(timer);
        resolve(got);
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`nothing arrived within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }
}

/** Waits until `check()` holds, re-checking after each event in `events`; bounded by time. */
async function until<T>(check: () => boolean, events: Inbox<T>, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`condition not met within ${timeoutMs} ms`);
    await events.next(left).catch(() => undefined);
  }
}

/** One node under test: an endpoint on a real server, and a transport dialing its peers. */
class TestNode {
  readonly messages = new Inbox<[NodeId, Message]>();
  readonly chunks = new Inbox<[NodeId, SnapshotChunk]>();
  readonly opened = new Inbox<PeerHandshake>();
  readonly linkChanges = new Inbox<string>();
  readonly transport: PeerTransport;
  server: TestServer;

  private constructor(
    readonly id: NodeId,
    server: TestServer,
  ) {
    this.server = server;
    this.transport = new PeerTransport({
      selfId: id,
      selfUrl: server.url,
      token: TOKEN,
      onLinkChange: (peer, up) => this.linkChanges.push(`${peer} ${up}`),
    });
  }

  static async start(id: string): Promise<TestNode> {
    let node: TestNode | undefined;
    const server = await serveApp((upgrade) => TestNode.#app(upgrade, () => node));
    node = new TestNode(NodeId.of(id), server);
    return node;
  }

  static #app(upgradeWebSocket: Parameters<typeof registerPeerEndpoint>[1], self: () => TestNode | undefined): Hono {
    const app = new Hono();
    registerPeerEndpoint(app, upgradeWebSocket, {
      token: TOKEN,
      onMessage: (from, message) => self()?.messages.push([from, message]),
      onSnapshotChunk: (from, chunk) => self()?.chunks.push([from, chunk]),
      onPeerOpen: (peer) => self()?.opened.push(peer),
    });
    return app;
  }

  /** Restarts the server on the same port (retrying briefly while the port is released). */
  async restart(): Promise<void> {
    const port = this.server.port;
    for (let attempt = 0; ; attempt++) {
      try {
        this.server = await serveApp((upgrade) => TestNode.#app(upgrade, () => this), port);
        return;
      } catch (e) {
        if (attempt >= 50) throw e;
        await new Promise((r) => setTimeout(r, 20)); // The OS has not released the port yet.
      }
    }
  }

  dial(...peers: TestNode[]): Promise<void> {
    this.transport.setPeers(peers.map((p) => ({ id: p.id, url: p.server.url })));
    return until(() => peers.every((p) => this.transport.canSend(p.id)), this.linkChanges);
  }

  async stop(): Promise<void> {
    this.transport.close();
    await this.server.stop();
  }
}

function entriesOfSize(approxBytes: number, seed: number): LogEntries {
  const payload = (k: number) => `${seed}:${k}:`.padEnd(Math.floor(approxBytes / 10) - 30, "x");
  return LogEntries.from(
    LogPosition.of(5, 100 + seed * 10),
    Array.from({ length: 10 }, (_, k) => LogEntry.command(payload(k))),
  );
}

function append(from: NodeId, seq: number, entries: LogEntries): Message {
  return { type: "AppendEntriesCall", from, term: Term.of(5), commitIndex: LogIndex.of(99), entries, seq };
}

function reply(from: NodeId, seq: number): Message {
  return {
    type: "AppendEntriesReply",
    from,
    term: Term.of(5),
    generation: Generation.of(1),
    lastPosition: LogPosition.of(5, 110),
    rejected: false,
    seq,
  };
}

function sameMessage(x: Message, y: Message): boolean {
  if (x.type === "AppendEntriesCall" && y.type === "AppendEntriesCall") {
    return x.entries.equals(y.entries) && encodeMessage(x) === encodeMessage(y);
  }
  return encodeMessage(x) === encodeMessage(y);
}

describe("peer links over a real server", () => {
  const nodes: TestNode[] = [];
  const sockets: PeerSocket[] = [];
  const links: PeerLink[] = [];
  const servers: TestServer[] = [];

  async function node(id: string): Promise<TestNode> {
    const n = await TestNode.start(id);
    nodes.push(n);
    return n;
  }

  afterEach(async () => {
    for (const link of links.splice(0)) link.close();
    for (const socket of sockets.splice(0)) socket.close();
    await Promise.all(servers.splice(0).map((server) => server.stop()));
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
  });
  afterAll(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
  });

  it("delivers every message type, with string and byte payloads, from a PeerTransport to the endpoint", async () => {
    const [a, b] = [await node("node-a"), await node("node-b")];
    await a.dial(b);
    const opened = await b.opened.next();
    expect(opened).toEqual({ id: a.id, url: a.server.url });
    const entries = LogEntries.from(LogPosition.of(4, 7), [
      LogEntry.term(Term.of(5)),
      LogEntry.config(new ClusterConfig({ voters: [a.id, b.id] })),
      LogEntry.command("text"),
      LogEntry.command(new Uint8Array([0, 255, 1])),
    ]);
    const sent: Message[] = [
      { type: "RequestVoteCall", from: a.id, term: Term.of(5), lastPosition: LogPosition.of(4, 7) },
      { type: "RequestVoteReply", from: a.id, term: Term.of(5), voteGranted: true },
      append(a.id, 1, entries),
      reply(a.id, 1),
    ];
    for (const m of sent) expect(a.transport.send(b.id, m)).toBe(true);
    for (const m of sent) {
      const [from, got] = await b.messages.next();
      expect(from).toBe(a.id);
      expect(sameMessage(got, m)).toBe(true);
    }
    expect(a.transport.stats()).toEqual([
      { id: b.id, url: b.server.url, dialUrl: b.server.url, connected: true, sent: 4, dropped: 0, refused: 0 },
    ]);
  });

  it("answers invalid frames with Error frames over the wire and keeps the connection", async () => {
    const b = await node("node-b");
    const replies = new Inbox<string>();
    const opened = new Inbox<true>();
    const Impl = defaultWebSocketImpl();
    const socket = new Impl(`ws://127.0.0.1:${b.server.port}/v1/raft`, {
      headers: { authorization: `Bearer ${TOKEN}`, "x-raft-node-id": "node-x" },
    });
    sockets.push(socket);
    socket.binaryType = "arraybuffer";
    socket.onopen = () => opened.push(true);
    socket.onmessage = (event) => replies.push(String(event.data));
    await opened.next();
    socket.send("{not json");
    expect(JSON.parse(await replies.next())).toMatchObject({ v: 1, type: "Error", code: "invalid_json" });
    socket.send(encodeMessage(reply(NodeId.of("node-y"), 1)));
    expect(JSON.parse(await replies.next())).toMatchObject({ type: "Error", code: "sender_mismatch" });
    const valid = reply(NodeId.of("node-x"), 2);
    (socket as unknown as { send(data: Uint8Array): void }).send(new TextEncoder().encode(encodeMessage(valid)));
    const [from, got] = await b.messages.next();
    expect(from).toBe(NodeId.of("node-x"));
    expect(sameMessage(got, valid)).toBe(true);
    expect(replies.size).toBe(0);
  });

  it("refuses a wrong token with 401 before upgrading, and such a link never opens", async () => {
    const b = await node("node-b");
    const res = await fetch(`${b.server.url}/v1/raft`, {
      headers: { authorization: "Bearer wrong", "x-raft-node-id": "node-a" },
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
    const events = new Inbox<string>();
    const link = new PeerLink({
      url: `ws://127.0.0.1:${b.server.port}/v1/raft`,
      headers: { authorization: "Bearer wrong", "x-raft-node-id": "node-a" },
      onOpen: () => events.push("open"),
      onClose: () => events.push("close"),
    });
    links.push(link);
    expect(await events.next()).toBe("close");
    expect(link.isOpen).toBe(false);
    expect(link.send("{}")).toBe(false);
    expect(b.opened.size).toBe(0);
  });

  it("reconnects after the server restarts on the same port, and round-trips again", async () => {
    const [a, b] = [await node("node-a"), await node("node-b")];
    await a.dial(b);
    expect(a.transport.send(b.id, reply(a.id, 1))).toBe(true);
    expect((await b.messages.next())[1].type).toBe("AppendEntriesReply");
    await b.server.stop();
    await until(() => !a.transport.canSend(b.id), a.linkChanges);
    expect(a.transport.send(b.id, reply(a.id, 2))).toBe(false);
    await b.restart();
    await until(() => a.transport.canSend(b.id), a.linkChanges);
    expect(a.transport.send(b.id, reply(a.id, 3))).toBe(true);
    const [, got] = await b.messages.next();
    expect(got.type === "AppendEntriesReply" && got.seq).toBe(3);
    expect(a.transport.stats()[0]).toMatchObject({ connected: true, sent: 2, dropped: 1 });
  });

  it("streams a snapshot through the link into a SnapshotReceiver", async () => {
    const [a, b] = [await node("node-a"), await node("node-b")];
    await a.dial(b);
    const data = new Uint8Array(700 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 8)) & 0xff;
    const config = new ClusterConfig({ voters: [a.id, b.id] });
    const sending = a.transport.sendSnapshot(b.id, { position: LogPosition.of(5, 500), config, data });
    const receiver = new SnapshotReceiver();
    try {
      let done: ReceivedSnapshot | null = null;
      for (let k = 0; k < 10 && done === null; k++) {
        const [, chunk] = await b.chunks.next();
        const result = receiver.accept(chunk);
        if (result.status === "rejected") throw new Error(result.message);
        if (result.status === "complete") done = result.received;
      }
      expect(await sending).toBe(true);
      expect(done?.from).toBe(a.id);
      expect(done?.snapshot.position).toEqual(LogPosition.of(5, 500));
      expect(done?.snapshot.config.equals(config)).toBe(true);
      expect(done?.snapshot.data.byteLength).toBe(data.byteLength);
      expect(Buffer.compare(Buffer.from(done?.snapshot.data ?? []), Buffer.from(data))).toBe(0);
    } finally {
      receiver.close();
    }
  });

  it("a saturated link drops frames instead of growing its buffer, and recovers once drained", async () => {
    const received = new Inbox<number>();
    const server = await serveApp((upgradeWebSocket) => {
      const app = new Hono();
      app.get("/sink", (c) => upgradeWebSocket(c, { onMessage: (event) => received.push(String(event.data).length) }));
      return app;
    });
    servers.push(server);
    const opened = new Inbox<true>();
    const highWaterMark = 1024 * 1024;
    const link = new PeerLink({
      url: `ws://127.0.0.1:${server.port}/sink`,
      highWaterMark,
      onOpen: () => opened.push(true),
    });
    links.push(link);
    await opened.next();
    const frame = "x".repeat(1024 * 1024);
    let sent = 0;
    let maxBuffered = 0;
    // The receiver shares this thread, so it reads nothing during the burst: 64 MiB cannot all fit.
    for (let i = 0; i < 64; i++) {
      if (link.send(frame)) sent += 1;
      maxBuffered = Math.max(maxBuffered, link.bufferedAmount);
    }
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(64);
    expect(maxBuffered).toBeLessThanOrEqual(highWaterMark + frame.length + 64);
    for (let i = 0; i < sent; i++) expect(await received.next()).toBe(frame.length);
    expect(link.send("after the burst")).toBe(true);
    expect(await received.next()).toBe("after the burst".length);
  });

  // Deno's built-in client stalls about 44 ms on each 1-48 KiB frame once the server answers on
  // the same connection; scripts/bench_peer_link.ts measures this pattern against small frames.
  it("PeerLink round-trips 4.9 KB AppendEntries against a same-socket echo, in order", async () => {
    const server = await serveApp((upgradeWebSocket) => {
      const app = new Hono();
      app.get("/echo", (c) =>
        upgradeWebSocket(c, {
          onMessage: (event, ws) => {
            const decoded = decodeFrame(String(event.data));
            if (decoded.ok && decoded.frame.type === "AppendEntriesCall") {
              ws.send(encodeMessage(reply(NodeId.of("node-b"), decoded.frame.seq)));
            }
          },
        }),
      );
      return app;
    });
    servers.push(server);
    const replies = new Inbox<string>();
    const opened = new Inbox<true>();
    const link = new PeerLink({
      url: `ws://127.0.0.1:${server.port}/echo`,
      onOpen: () => opened.push(true),
      onText: (text) => replies.push(text),
    });
    links.push(link);
    await opened.next();
    const from = NodeId.of("node-a");
    const roundTrip = async (seq: number): Promise<void> => {
      const text = encodeMessage(append(from, seq, entriesOfSize(4900, seq)));
      expect(text.length).toBeGreaterThan(4700);
      expect(text.length).toBeLessThan(5100);
      expect(link.send(text)).toBe(true);
      const decoded = decodeFrame(await replies.next());
      expect(decoded.ok && decoded.frame.type === "AppendEntriesReply" && decoded.frame.seq).toBe(seq);
    };
    for (let seq = 1; seq <= 24; seq++) await roundTrip(seq);
    expect(replies.size).toBe(0);
  });

  it("round-trips 4.9 KB AppendEntries between two nodes' transports, in order", async () => {
    const [a, b] = [await node("node-a"), await node("node-b")];
    await Promise.all([a.dial(b), b.dial(a)]);
    const sizes = new Set<number>();
    const roundTrip = async (seq: number): Promise<void> => {
      const call = append(a.id, seq, entriesOfSize(4900, seq));
      sizes.add(encodeMessage(call).length);
      expect(a.transport.send(b.id, call)).toBe(true);
      const [, got] = await b.messages.next();
      expect(got.type === "AppendEntriesCall" && got.seq).toBe(seq);
      expect(b.transport.send(a.id, reply(b.id, seq))).toBe(true);
      const [, back] = await a.messages.next();
      expect(back.type === "AppendEntriesReply" && back.seq).toBe(seq);
    };
    for (let seq = 1; seq <= 24; seq++) await roundTrip(seq);
    for (const size of sizes) {
      expect(size).toBeGreaterThan(4700);
      expect(size).toBeLessThan(5100);
    }
  });
});
