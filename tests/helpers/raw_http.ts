/**
 * HTTP/1.1 over a plain socket, for requests fetch cannot make: a path sent exactly as written
 * (`/v1/kv/..` is not resolved), headers that announce more body than is sent, a body cut off
 * mid-way, and WebSocket upgrade headers. One request per connection.
 */
import { Buffer } from "node:buffer";
import { connect } from "node:net";

/** A raw request: the request line and headers, then what to send and when to stop. */
export interface RawRequest {
  readonly method: string;
  /** Sent as written in the request line. */
  readonly path: string;
  readonly headers?: Record<string, string>;
  /** Bytes sent after the head (no Content-Length is added: set it in `headers`). */
  readonly body?: string | Uint8Array;
  /** True: close the connection as soon as everything is sent (a client going away mid-request). */
  readonly hangUp?: boolean;
  /** Give up waiting for the answer after this many milliseconds (default 10 000). */
  readonly timeoutMs?: number;
  /**
   * How the request line and headers become bytes: `utf8` (default), or `latin1`, where each
   * character below U+0100 is one byte (to send bytes such as 0xFF that are not UTF-8).
   */
  readonly headEncoding?: "utf8" | "latin1";
}

/** The answer to a raw request; status 0 when none came before the connection closed. */
export interface RawAnswer {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Record<string, string>;
  readonly text: string;
  /** The body decoded as JSON, or undefined when it is not JSON. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON fields.
  readonly body: any;
}

/**
 * Sends `request` to 127.0.0.1:`port` and resolves with the answer once its body is complete (by
 * its Content-Length) or the connection closed; rejects on a timeout.
 */
export function rawHttp(port: number, request: RawRequest): Promise<RawAnswer> {
  const head = [`${request.method} ${request.path} HTTP/1.1`, "host: 127.0.0.1", "connection: close"];
  for (const [name, value] of Object.entries(request.headers ?? {})) head.push(`${name}: ${value}`);
  const timeoutMs = request.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, "127.0.0.1");
    let settled = false;
    const finish = (answer: RawAnswer | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (answer instanceof Error) reject(answer);
      else resolve(answer);
    };
    const timer = setTimeout(
      () => finish(new Error(`${request.method} ${request.path.slice(0, 80)}: no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on("connect", () => {
      socket.write(Buffer.from(`${head.join("\r\n")}\r\n\r\n`, request.headEncoding ?? "utf8"));
      // Once everything written is flushed, a `hangUp` request closes the connection mid-request.
      const sent = () => (request.hangUp === true ? finish(emptyAnswer()) : undefined);
      if (request.body !== undefined) socket.write(request.body, sent);
      else socket.write("", sent);
    });
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      const answer = parseAnswer(Buffer.concat(chunks), false);
      if (answer !== undefined) finish(answer);
    });
    // A server may answer and close while the request is still being written; keep what arrived.
    socket.on("error", () => finish(parseAnswer(Buffer.concat(chunks), true) ?? emptyAnswer()));
    socket.on("close", () => finish(parseAnswer(Buffer.concat(chunks), true) ?? emptyAnswer()));
  });
}

function emptyAnswer(): RawAnswer {
  return { status: 0, headers: {}, text: "", body: undefined };
}

/** The answer in `bytes`, or undefined while it is incomplete (unless the connection `ended`). */
function parseAnswer(bytes: Buffer, ended: boolean): RawAnswer | undefined {
  const end = bytes.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const [statusLine, ...lines] = bytes.subarray(0, end).toString("latin1").split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = headers["content-length"] === undefined ? undefined : Number(headers["content-length"]);
  const body = bytes.subarray(end + 4);
  if (!ended && (length === undefined || body.length < length)) return undefined;
  const text = body.subarray(0, length ?? body.length).toString("utf8");
  return { status: Number(statusLine.split(" ")[1]), headers, text, body: jsonBody(headers, text) };
}

function jsonBody(headers: Record<string, string>, text: string): unknown {
  if (!(headers["content-type"]?.includes("json") ?? false) || text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
