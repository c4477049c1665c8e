/**
 * Peer-link benchmark: round trips of AppendEntries frames over one PeerLink (the node's WebSocket
 * client) against an echo endpoint served by this runtime on loopback, for (a) 4.9 KB frames and
 * (b) frames of about 400 bytes (ten tiny entries), interleaved in the same run; prints both averages and their ratio.
 *
 * Small frames are the baseline: a client that stalls on mid-sized frames once the server answers
 * on the same connection (Deno's built-in client does, by about 44 ms per frame) shows as a ratio
 * far above 1, whatever the machine's speed. Run it under each runtime:
 *
 *   npx bun scripts/bench_peer_link.ts [--rounds 200]
 *   npx deno run --allow-all scripts/bench_peer_link.ts [--rounds 200] [--client builtin]
 *
 * `--client builtin` dials with the runtime's own WebSocket instead of the node's default client
 * (to see the stall the default avoids).
 */
import { Hono } from "hono";
import type { UpgradeWebSocket } from "hono/ws";
import { LogEntries, LogEntry, LogIndex, LogPosition, type Message, NodeId, Term } from "../packages/core/src/mod.ts";
import { decodeFrame, encodeMessage } from "../src/transport/codec.ts";
import { PeerLink } from "../src/transport/peer_link.ts";
import type { WebSocketImpl } from "../src/transport/websocket_client.ts";

const isBun = (globalThis as { Bun?: unknown }).Bun !== undefined;
const rounds = Number(argument("rounds", "200"));
const client = argument("client", "default");
const FROM = NodeId.of("node-a");

function argument(name: string, fallback: string): string {
  const args = isBun ? process.argv : (globalThis as unknown as { Deno: { args: string[] } }).Deno.args;
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
}

/** An AppendEntries call of ten entries carrying about `bytes` of payload in all. */
function appendOf(seq: number, bytes: number): Message {
  const payload = "x".repeat(Math.max(1, Math.floor(bytes / 10) - 30));
  const entries = LogEntries.from(
    LogPosition.of(5, 100),
    Array.from({ length: 10 }, () => LogEntry.command(payload)),
  );
  return { type: "AppendEntriesCall", from: FROM, term: Term.of(5), commitIndex: LogIndex.of(99), entries, seq };
}

/** Serves an echo endpoint that answers each frame with a short text, with this runtime's server. */
async function serveEcho(): Promise<{ port: number; stop: () => Promise<void> }> {
  const build = (upgradeWebSocket: UpgradeWebSocket) => {
    const app = new Hono();
    app.get("/echo", (c) =>
      upgradeWebSocket(c, {
        onMessage: (event, ws) => {
          const decoded = decodeFrame(String(event.data));
          ws.send(decoded.ok && decoded.frame.type === "AppendEntriesCall" ? `ok ${decoded.frame.seq}` : "bad");
        },
      }),
    );
    return app;
  };
  if (isBun) {
    const { bunHost, serveWithBun } = await import("../src/http/serve_bun.ts");
    return serveWithBun(build(bunHost.upgradeWebSocket), "127.0.0.1", 0);
  }
  const { denoHost, serveWithDeno } = await import("../src/http/serve_deno.ts");
  return serveWithDeno(build(denoHost.upgradeWebSocket), "127.0.0.1", 0);
}

async function main(): Promise<void> {
  const server = await serveEcho();
  let answer: ((text: string) => void) | null = null;
  let opened: () => void = () => {};
  const open = new Promise<void>((resolve) => {
    opened = resolve;
  });
  const link = new PeerLink({
    url: `ws://127.0.0.1:${server.port}/echo`,
    ...(client === "builtin" ? { WebSocket: globalThis.WebSocket as unknown as WebSocketImpl } : {}),
    onOpen: () => opened(),
    onText: (text) => answer?.(text),
  });
  await open;
  const roundTrip = async (seq: number, bytes: number): Promise<number> => {
    const text = encodeMessage(appendOf(seq, bytes));
    const replied = new Promise<string>((resolve) => {
      answer = resolve;
    });
    const started = performance.now();
    if (!link.send(text)) throw new Error("the link refused a frame");
    const reply = await replied;
    const took = performance.now() - started;
    if (reply !== `ok ${seq}`) throw new Error(`unexpected reply ${reply.slice(0, 80)}`);
    return took;
  };
  const sizes = [4900, 100].map((bytes) => encodeMessage(appendOf(1, bytes)).length);
  for (let seq = 1; seq <= 20; seq++) await roundTrip(seq, seq % 2 === 0 ? 4900 : 100); // Warm-up.
  let large = 0;
  let small = 0;
  for (let i = 0; i < rounds; i++) {
    large += await roundTrip(100 + 2 * i, 4900);
    small += await roundTrip(101 + 2 * i, 100);
  }
  link.close();
  await server.stop();
  const runtime = isBun ? `Bun ${Bun.version}` : "Deno";
  const [a, b] = [large / rounds, small / rounds];
  console.log(
    `PeerLink round trips on ${runtime} (${client} client), ${rounds} of each, interleaved, same-socket echo`,
  );
  console.log(`  (a) ${sizes[0]}-byte AppendEntries frames: ${a.toFixed(3)} ms average`);
  console.log(`  (b) ${sizes[1]}-byte AppendEntries frames: ${b.toFixed(3)} ms average`);
  console.log(`  ratio (a)/(b): ${(a / b).toFixed(2)} (near 1 without a stall; a stall shows as tens)`);
}

await main();
