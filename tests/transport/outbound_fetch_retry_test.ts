import { afterEach, describe, expect, it } from "bun:test";
import net from "node:net";
import { outboundClients } from "../../src/transport/mod.ts";

/**
 * A raw HTTP/1.1 server on loopback that answers every request with 200 and keeps the connection
 * open, except the first PUT /reset-once: it reads that request in full, counts it, and resets the
 * connection without answering (a leader that applied a write and then lost the connection).
 */
async function resettingServer() {
  const counts = new Map<string, number>();
  const sockets = new Set<net.Socket>();
  let resetDone = false;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
    let buffer = "";
    socket.on("data", (data) => {
      buffer += String(data);
      for (;;) {
        const end = buffer.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = buffer.slice(0, end);
        const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? "0");
        if (buffer.length < end + 4 + length) return;
        buffer = buffer.slice(end + 4 + length);
        const [method, path] = head.split(" ");
        const name = `${method} ${path}`;
        counts.set(name, (counts.get(name) ?? 0) + 1);
        if (name === "PUT /reset-once" && !resetDone) {
          resetDone = true;
          socket.resetAndDestroy();
          return;
        }
        socket.write("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  const close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { url: `http://127.0.0.1:${port}`, counts, close };
}

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe("outboundClients().fetch", () => {
  it("outboundClients().fetch never resends a write whose connection was reset after it was delivered", async () => {
    const server = await resettingServer();
    cleanup = server.close;
    const { fetch } = outboundClients();
    // A first request leaves a connection the runtime could pool and reuse.
    const warm = await fetch(`${server.url}/warm`, { method: "GET" });
    expect(await warm.text()).toBe("ok");
    const init: RequestInit = { method: "PUT", body: '{"value":"v"}', headers: { "content-type": "application/json" } };
    const outcome = await fetch(`${server.url}/reset-once`, init).then(
      (r) => `answered ${r.status}`,
      () => "failed",
    );
    // Bun's and Deno's fetch resend a PUT (an idempotent method) on a new connection when a reused
    // one is reset: a forwarded cas or put would then be applied twice. Ours must fail instead.
    expect(server.counts.get("PUT /reset-once")).toBe(1);
    expect(outcome).toBe("failed");
  });
});
