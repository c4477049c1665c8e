/**
 * One HTTP/1.1 keep-alive connection to a loopback port, one request at a time (no pipelining):
 * the load generator's client. Requests are written as prepared text, answers are framed by
 * {@link frameResponse}; a connection the server closed is opened again before the next request.
 */
import { connect, type Socket } from "node:net";
import { frameResponse } from "./http_response.ts";

/** The answer to one request: its status and, for a status other than 2xx, the start of its body. */
export interface Answer {
  readonly status: number;
  readonly errorText: string;
}

interface Waiting {
  resolve(answer: Answer): void;
  reject(error: Error): void;
}

/** A keep-alive connection; {@link KeepAliveConnection.open} makes one. */
export class KeepAliveConnection {
  readonly port: number;
  #socket: Socket | null = null;
  #pending: Buffer | null = null;
  #waiting: Waiting | null = null;
  #closed = true;

  private constructor(port: number) {
    this.port = port;
  }

  /** A connection to 127.0.0.1:`port`, connected. */
  static async open(port: number): Promise<KeepAliveConnection> {
    const connection = new KeepAliveConnection(port);
    await connection.#connect();
    return connection;
  }

  /** Sends `request` (a whole HTTP/1.1 request) and resolves with the answer; one at a time. */
  async send(request: string): Promise<Answer> {
    if (this.#waiting !== null) throw new Error("one request at a time on a keep-alive connection");
    if (this.#closed) await this.#connect();
    const socket = this.#socket;
    if (socket === null) throw new Error(`no connection to port ${this.port}`);
    return await new Promise<Answer>((resolve, reject) => {
      this.#waiting = { resolve, reject };
      socket.write(request);
    });
  }

  /** Closes the connection; a request still waiting fails. */
  close(): void {
    this.#fail(new Error(`the connection to port ${this.port} was closed by the client`));
    this.#drop();
  }

  #connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port: this.port, host: "127.0.0.1", noDelay: true });
      // Events of a socket this connection has replaced since concern nobody.
      const current = () => this.#socket === socket;
      socket.once("connect", () => {
        socket.off("error", reject);
        this.#socket = socket;
        this.#pending = null;
        this.#closed = false;
        resolve();
      });
      socket.once("error", reject);
      socket.on("error", (error) => {
        if (current()) this.#fail(error);
      });
      socket.on("data", (chunk: Buffer) => {
        if (current()) this.#received(chunk);
      });
      socket.on("close", () => {
        if (!current()) return;
        this.#closed = true;
        this.#fail(new Error(`port ${this.port} closed the connection`));
      });
    });
  }

  #received(chunk: Buffer): void {
    const bytes = this.#pending === null ? chunk : Buffer.concat([this.#pending, chunk]);
    let frame: ReturnType<typeof frameResponse>;
    try {
      frame = frameResponse(bytes);
    } catch (error) {
      this.#fail(error instanceof Error ? error : new Error(String(error)));
      this.#drop();
      return;
    }
    if (frame === undefined) {
      this.#pending = bytes;
      return;
    }
    const waiting = this.#waiting;
    this.#waiting = null;
    // Bytes past one answer, or an answer nobody waits for, mean the stream is out of step.
    this.#pending = null;
    if (waiting === null || frame.length < bytes.length || frame.close) this.#drop();
    if (waiting === null) return;
    const ok = frame.status >= 200 && frame.status < 300;
    const errorText = ok ? "" : bytes.toString("utf8", frame.bodyStart, Math.min(frame.bodyEnd, frame.bodyStart + 300));
    waiting.resolve({ status: frame.status, errorText });
  }

  /** Forgets the socket (its later events are ignored) and destroys it; the next request connects again. */
  #drop(): void {
    this.#socket?.destroy();
    this.#socket = null;
    this.#closed = true;
  }

  #fail(error: Error): void {
    const waiting = this.#waiting;
    this.#waiting = null;
    this.#pending = null;
    waiting?.reject(error);
  }
}
