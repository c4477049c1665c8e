/**
 * A TCP relay for one directed link of a fault run: node A dials node B through the relay A→B
 * (`--peer-via B=http://127.0.0.1:<relay port>` on A), and the run decides what the relay does with
 * the bytes. It needs no privileges, so it runs the same on a laptop and in CI.
 *
 * Modes:
 * - `pass`: bytes flow both ways.
 * - `stall`: like an iptables DROP on the link: no byte moves either way, live sockets are held open
 *   (no close, no reset), new connections are accepted and held too; bytes already read wait in the
 *   relay and flow, in order, once the mode is `pass` again (as TCP retransmission would deliver them).
 * - `reset`: live connections are reset (RST) and new ones are reset as soon as they are accepted.
 * - `slow`: every chunk is delivered `delayMs` after it arrived (order kept).
 * - `flaky`: bytes flow, but every {@link FLAKY_TICK_MS} each connection is, with `probability`,
 *   either reset or stalled for a random 100..1000 ms.
 *
 * What "one-way" means: a TCP connection carries both directions, so a relay cuts whole connections.
 * The node's peer protocol sends each node's own messages on the connection it dialed (replies come
 * back on the peer's own connection), so cutting A→B loses exactly what A sends to B, A's requests
 * forwarded to B included, while B still reaches A through B→A.
 */
import net from "node:net";
import { Prng } from "../../tests/sim/prng.ts";

/** What a relay does with its connections. */
export type RelayMode =
  | { readonly kind: "pass" }
  | { readonly kind: "stall" }
  | { readonly kind: "reset" }
  | { readonly kind: "slow"; readonly delayMs: number }
  | { readonly kind: "flaky"; readonly probability: number };

/** Options of a {@link Relay}. */
export interface RelayOptions {
  /** A name for logs, e.g. `n1->n2`. */
  readonly name: string;
  /** The port to listen on (127.0.0.1); 0 picks a free one. */
  readonly listenPort: number;
  /** The port of the target node, looked up at each new connection (a restarted node may move). */
  readonly targetPort: () => number;
  /** Seed of the relay's own random choices (flaky mode). */
  readonly seed: number;
}

/** How often flaky mode decides, per connection, whether to misbehave. */
export const FLAKY_TICK_MS = 250;
/** Bytes a relay holds per direction of a connection before it stops reading from the sender. */
const MAX_QUEUED_BYTES = 1024 * 1024;
/** Connections a relay keeps at once; more are reset (a node dials a peer over one or a few). */
const MAX_CONNECTIONS = 64;

/** Counters of a relay. */
export interface RelayStats {
  readonly accepted: number;
  readonly resets: number;
  readonly open: number;
  readonly bytes: number;
}

/** One accepted connection and its upstream leg. */
class RelayConnection {
  readonly #client: net.Socket;
  readonly #upstream: net.Socket;
  readonly #toUpstream: Direction;
  readonly #toClient: Direction;
  #closed = false;
  #stalledUntil = 0;
  readonly #onClose: (conn: RelayConnection) => void;

  constructor(client: net.Socket, targetPort: number, relay: Relay, onClose: (conn: RelayConnection) => void) {
    this.#client = client;
    this.#onClose = onClose;
    this.#upstream = net.connect({ port: targetPort, host: "127.0.0.1", allowHalfOpen: true });
    const held = () => this.#closed || relay.mode.kind === "stall" || Date.now() < this.#stalledUntil;
    const delay = () => (relay.mode.kind === "slow" ? relay.mode.delayMs : 0);
    this.#toUpstream = new Direction(client, this.#upstream, held, delay, (n) => relay.countBytes(n));
    this.#toClient = new Direction(this.#upstream, client, held, delay, (n) => relay.countBytes(n));
    for (const socket of [client, this.#upstream]) {
      socket.on("error", () => this.destroy());
      socket.on("close", () => this.destroy());
    }
  }

  /** Applies the relay's mode (called on every mode change). */
  update(): void {
    this.#toUpstream.pump();
    this.#toClient.pump();
  }

  /** Holds this connection for `ms` (flaky mode); bytes flow again afterwards. */
  stallFor(ms: number): void {
    this.#stalledUntil = Date.now() + ms;
    setTimeout(() => this.update(), ms + 1);
  }

  /** Resets both sockets (RST where the runtime can). */
  reset(): void {
    if (this.#closed) return;
    for (const socket of [this.#client, this.#upstream]) resetSocket(socket);
    this.destroy();
  }

  /** Closes both sockets quietly. Idempotent. */
  destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#toUpstream.drop();
    this.#toClient.drop();
    this.#client.destroy();
    this.#upstream.destroy();
    this.#onClose(this);
  }
}

/** One direction of a connection: a bounded FIFO of chunks, each with the time it may leave. */
class Direction {
  readonly #from: net.Socket;
  readonly #to: net.Socket;
  readonly #held: () => boolean;
  readonly #delay: () => number;
  readonly #count: (bytes: number) => void;
  readonly #queue: Array<{ readonly data: Buffer; readonly at: number }> = [];
  #queuedBytes = 0;
  #ended = false;
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(from: net.Socket, to: net.Socket, held: () => boolean, delay: () => number, count: (n: number) => void) {
    this.#from = from;
    this.#to = to;
    this.#held = held;
    this.#delay = delay;
    this.#count = count;
    from.on("data", (data: Buffer) => {
      this.#queue.push({ data, at: Date.now() + this.#delay() });
      this.#queuedBytes += data.length;
      this.pump();
    });
    from.on("end", () => {
      this.#ended = true;
      this.pump();
    });
  }

  /** Delivers what may leave now; pauses the sender while held or while the queue is full. */
  pump(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#held()) {
      this.#from.pause(); // Hold: read nothing more, so the sender's TCP window fills as under a DROP.
      return;
    }
    const now = Date.now();
    while (this.#queue.length > 0 && this.#queue[0].at <= now) {
      const chunk = this.#queue.shift() as { data: Buffer; at: number };
      this.#queuedBytes -= chunk.data.length;
      this.#count(chunk.data.length);
      if (!this.#to.destroyed) this.#to.write(chunk.data);
    }
    if (this.#queue.length > 0) this.#timer = setTimeout(() => this.pump(), Math.max(1, this.#queue[0].at - now));
    if (this.#queuedBytes > MAX_QUEUED_BYTES) this.#from.pause();
    else this.#from.resume();
    if (this.#ended && this.#queue.length === 0 && !this.#to.destroyed) this.#to.end();
  }

  /** Forgets queued bytes and timers (the connection is gone). */
  drop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#queue.length = 0;
    this.#queuedBytes = 0;
  }
}

/** Sends RST where the runtime supports it, else closes. */
function resetSocket(socket: net.Socket): void {
  const withReset = socket as net.Socket & { resetAndDestroy?: () => void };
  try {
    if (typeof withReset.resetAndDestroy === "function" && !socket.destroyed) withReset.resetAndDestroy();
    else socket.destroy();
  } catch {
    socket.destroy(); // A socket that is not connected yet cannot be reset; closing it is the same to its peer.
  }
}

/** A relay for one directed link; see the module comment for its modes. */
export class Relay {
  readonly name: string;
  readonly #options: RelayOptions;
  readonly #server: net.Server;
  readonly #connections = new Set<RelayConnection>();
  readonly #random: Prng;
  #mode: RelayMode = { kind: "pass" };
  #port = 0;
  #flakyTimer: ReturnType<typeof setInterval> | null = null;
  #accepted = 0;
  #resets = 0;
  #bytes = 0;

  /** A relay that is not listening yet; call {@link Relay.listen}. */
  constructor(options: RelayOptions) {
    this.name = options.name;
    this.#options = options;
    this.#random = new Prng(options.seed);
    this.#server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => this.#accept(socket));
    this.#server.on("error", () => {}); // Errors of accepted sockets are handled per connection.
  }

  /** The port the relay listens on (after {@link Relay.listen}). */
  get port(): number {
    return this.#port;
  }

  /** The current mode. */
  get mode(): RelayMode {
    return this.#mode;
  }

  /** Counters, for the run's log. */
  get stats(): RelayStats {
    return { accepted: this.#accepted, resets: this.#resets, open: this.#connections.size, bytes: this.#bytes };
  }

  /** Starts listening on 127.0.0.1 at the configured port. */
  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(this.#options.listenPort, "127.0.0.1", () => {
        this.#server.off("error", reject);
        this.#port = (this.#server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  /** Switches mode: `reset` resets every live connection at once; `pass` releases held bytes. */
  setMode(mode: RelayMode): void {
    this.#mode = mode;
    if (mode.kind === "reset") for (const conn of [...this.#connections]) this.#reset(conn);
    for (const conn of this.#connections) conn.update();
    this.#setFlakyTimer(mode.kind === "flaky");
  }

  /** Counts bytes delivered (for the stats). */
  countBytes(bytes: number): void {
    this.#bytes += bytes;
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    this.#setFlakyTimer(false);
    for (const conn of [...this.#connections]) conn.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(socket: net.Socket): void {
    this.#accepted += 1;
    if (this.#mode.kind === "reset" || this.#connections.size >= MAX_CONNECTIONS) {
      this.#resets += 1;
      resetSocket(socket);
      return;
    }
    const conn = new RelayConnection(socket, this.#options.targetPort(), this, (c) => this.#connections.delete(c));
    this.#connections.add(conn);
    conn.update();
  }

  #reset(conn: RelayConnection): void {
    this.#resets += 1;
    conn.reset();
  }

  #setFlakyTimer(on: boolean): void {
    if (!on) {
      if (this.#flakyTimer !== null) clearInterval(this.#flakyTimer);
      this.#flakyTimer = null;
      return;
    }
    if (this.#flakyTimer !== null) return;
    this.#flakyTimer = setInterval(() => this.#flakyTick(), FLAKY_TICK_MS);
  }

  #flakyTick(): void {
    const mode = this.#mode;
    if (mode.kind !== "flaky") return;
    for (const conn of [...this.#connections]) {
      if (!this.#random.chance(mode.probability)) continue;
      if (this.#random.chance(0.5)) this.#reset(conn);
      else conn.stallFor(this.#random.int(100, 1000));
    }
  }
}
