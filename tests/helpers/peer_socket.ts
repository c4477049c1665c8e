/**
 * A peer connection to a node's `/v1/raft` endpoint, for tests that play a peer: it sends raw
 * frames and collects the Error frames the node answers on the same socket.
 */
import { defaultWebSocketImpl, type PeerSocket } from "../../src/transport/mod.ts";
import { waitFor } from "./wait_for.ts";

/** A peer connection to the node as `id`; collects the Error frames the node sends back. */
export class Peer {
  readonly errors: string[] = [];
  readonly #socket: PeerSocket;
  #sentinels = 0;

  private constructor(socket: PeerSocket) {
    this.#socket = socket;
    socket.onmessage = (event) => this.errors.push(String(event.data));
  }

  /** Opens the connection (resolves once open). */
  static async open(url: string, id: string, token: string): Promise<Peer> {
    const WebSocket = defaultWebSocketImpl();
    const socket = new WebSocket(`${url.replace("http:", "ws:")}/v1/raft`, {
      headers: { authorization: `Bearer ${token}`, "x-raft-node-id": id },
    });
    socket.binaryType = "arraybuffer";
    await new Promise<void>((resolve, reject) => {
      socket.onopen = () => resolve();
      socket.onclose = (event) => reject(new Error(`the peer socket closed: ${event.code} ${event.reason}`));
    });
    return new Peer(socket);
  }

  /**
   * Sends `frame` (a text frame, or a binary one for bytes), then waits until the node has handled
   * it (frames on one socket are in order).
   */
  async send(frame: string | Uint8Array): Promise<void> {
    // The node's links only send text; the socket under the interface (a WebSocket) sends bytes too.
    (this.#socket as unknown as { send(data: string | Uint8Array): void }).send(frame);
    const marker = `sentinel-${++this.#sentinels}`;
    // A frame whose sender differs from the handshake's id is refused with an Error frame naming it.
    this.#socket.send(JSON.stringify({ v: 1, type: "RequestVoteReply", from: marker, term: 0, voteGranted: false }));
    await waitFor(() => this.errors.some((e) => e.includes(`'${marker}'`)), {
      timeoutMs: 20_000,
      intervalMs: 2,
      what: `the node to handle frame ${this.#sentinels}`,
    });
  }

  /** Closes the connection. */
  close(): void {
    this.#socket.close();
  }

  /**
   * Closes the connection and resolves once the close handshake is over (a server stopped during
   * it may answer with a close code the client then reports as an uncaught error, as Deno.serve's
   * 1005 does).
   */
  closeAndWait(): Promise<void> {
    return new Promise((resolve) => {
      this.#socket.onclose = () => resolve();
      this.#socket.close();
    });
  }
}
