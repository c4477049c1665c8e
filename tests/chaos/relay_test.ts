import { afterEach, describe, expect, it } from "bun:test";
import net from "node:net";
import { Relay } from "../../scripts/chaos/relay.ts";
import { delay } from "../helpers/wait_for.ts";

/** An echo server on a free loopback port. */
async function echoServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  const close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { port, close };
}

/** A client of `port` that collects what it receives and how it ended. */
async function client(port: number) {
  const socket = net.connect(port, "127.0.0.1");
  let received = "";
  let ended: string | null = null;
  socket.on("data", (d) => {
    received += String(d);
  });
  socket.on("error", (e: NodeJS.ErrnoException) => {
    ended = e.code ?? e.message;
  });
  socket.on("close", () => {
    ended ??= "closed";
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("error", reject); // Reset before the connect event (a relay in reset mode).
    socket.once("close", () => reject(new Error("closed before connect")));
  });
  return {
    socket,
    received: () => received,
    ended: () => ended,
    async waitFor(text: string, timeoutMs = 10_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!received.includes(text)) {
        if (Date.now() > deadline) throw new Error(`did not receive ${JSON.stringify(text)}; got ${received}`);
        await delay(5);
      }
    },
    async waitEnd(timeoutMs = 10_000): Promise<string> {
      const deadline = Date.now() + timeoutMs;
      while (ended === null) {
        if (Date.now() > deadline) throw new Error("the connection did not end");
        await delay(5);
      }
      return ended;
    },
  };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup() {
  const echo = await echoServer();
  const relay = new Relay({ name: "a->b", listenPort: 0, targetPort: () => echo.port, seed: 7 });
  await relay.listen();
  cleanups.push(echo.close, () => relay.close());
  return { echo, relay };
}

describe("Relay", () => {
  it("Relay passes bytes both ways in pass mode", async () => {
    const { relay } = await setup();
    const c = await client(relay.port);
    c.socket.write("hello");
    await c.waitFor("hello");
    expect(relay.stats.bytes).toBeGreaterThanOrEqual(10);
    c.socket.destroy();
  });

  it("Relay stall holds the connection open, delivers nothing, and delivers the held bytes in order on pass", async () => {
    const { relay } = await setup();
    const c = await client(relay.port);
    relay.setMode({ kind: "stall" });
    c.socket.write("one,");
    c.socket.write("two");
    await delay(300);
    expect(c.received()).toBe("");
    expect(c.ended()).toBeNull();
    relay.setMode({ kind: "pass" });
    await c.waitFor("one,two");
    c.socket.destroy();
  });

  it("Relay stall also holds a connection opened while stalled", async () => {
    const { relay } = await setup();
    relay.setMode({ kind: "stall" });
    const c = await client(relay.port);
    c.socket.write("late");
    await delay(300);
    expect(c.received()).toBe("");
    relay.setMode({ kind: "pass" });
    await c.waitFor("late");
    c.socket.destroy();
  });

  it("Relay reset ends live connections and resets new ones until pass", async () => {
    const { relay } = await setup();
    const live = await client(relay.port);
    relay.setMode({ kind: "reset" });
    expect(await live.waitEnd()).not.toBeNull();
    const fresh = await client(relay.port).catch(() => null);
    if (fresh !== null) expect(await fresh.waitEnd()).not.toBeNull();
    relay.setMode({ kind: "pass" });
    const again = await client(relay.port);
    again.socket.write("back");
    await again.waitFor("back");
    again.socket.destroy();
    expect(relay.stats.resets).toBeGreaterThanOrEqual(1);
  });

  it("Relay slow delivers every chunk no earlier than its delay, in order", async () => {
    const { relay } = await setup();
    const c = await client(relay.port);
    relay.setMode({ kind: "slow", delayMs: 150 });
    const start = performance.now();
    c.socket.write("a");
    c.socket.write("b");
    await c.waitFor("ab");
    // Each direction delays by 150 ms; a lower bound holds however loaded the machine is.
    expect(performance.now() - start).toBeGreaterThanOrEqual(290);
    c.socket.destroy();
  });

  it("Relay flaky with probability 1 resets or stalls every connection, and pass heals it", async () => {
    const { relay } = await setup();
    relay.setMode({ kind: "flaky", probability: 1 });
    const clients = await Promise.all([1, 2, 3, 4].map(() => client(relay.port)));
    await delay(1500);
    expect(relay.stats.resets).toBeGreaterThan(0); // Seeded: the same choices every run.
    relay.setMode({ kind: "pass" });
    const c = await client(relay.port);
    c.socket.write("steady");
    await c.waitFor("steady");
    for (const x of [...clients, c]) x.socket.destroy();
  });
});
