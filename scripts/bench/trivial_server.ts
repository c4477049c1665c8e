/**
 * The trivial HTTP server of the floor measurement, run as its own process on Bun or Deno: it
 * serves with the runtime's own server (as a node does), answers every request 200 "ok", prints
 * `listening <port>` once bound to a free loopback port, and exits when its standard input closes
 * (the benchmark that started it is gone) or on SIGTERM.
 */
import process from "node:process";

/** Serves on a free 127.0.0.1 port with the runtime's own server; resolves with the port. */
function serve(): number {
  const answer = () => new Response("ok", { headers: { "content-type": "text/plain" } });
  if (typeof Bun !== "undefined") return Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: answer }).port ?? 0;
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, answer).addr.port;
}

const port = serve();
process.stdout.write(`listening ${port}\n`);
process.stdin.on("data", () => {});
process.stdin.on("end", () => process.exit(0));
process.stdin.on("close", () => process.exit(0));
process.on("SIGTERM", () => process.exit(0));
