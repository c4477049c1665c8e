/**
 * Finds where one HTTP/1.1 response ends in the bytes received so far on a keep-alive connection:
 * its status, its body (by Content-Length, or chunked transfer coding) and whether the server
 * closes the connection after it. Only what a load generator needs; anything else is an error.
 */

/** One complete response at the start of a buffer. */
export interface ResponseFrame {
  readonly status: number;
  /** Bytes of the buffer the response takes (head and body). */
  readonly length: number;
  /** Where its body starts and ends in the buffer (chunked: the raw coded bytes). */
  readonly bodyStart: number;
  readonly bodyEnd: number;
  /** True when the server said `connection: close`. */
  readonly close: boolean;
}

const HEAD_END = Buffer.from("\r\n\r\n");
const CRLF = Buffer.from("\r\n");
/** The largest response head accepted. */
const MAX_HEAD_BYTES = 64 * 1024;

/**
 * The response at the start of `bytes`, or undefined while it is incomplete; throws on a response
 * this parser does not read (no length, a malformed head, an oversized head).
 */
export function frameResponse(bytes: Buffer): ResponseFrame | undefined {
  const headEnd = bytes.indexOf(HEAD_END);
  if (headEnd < 0) {
    if (bytes.length > MAX_HEAD_BYTES) throw new Error(`a response head over ${MAX_HEAD_BYTES} bytes`);
    return undefined;
  }
  const head = bytes.toString("latin1", 0, headEnd);
  const lines = head.split("\r\n");
  const statusLine = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
  if (statusLine === null) throw new Error(`not an HTTP/1.1 status line: ${lines[0].slice(0, 80)}`);
  const status = Number(statusLine[1]);
  let contentLength: number | undefined;
  let chunked = false;
  let close = lines[0].startsWith("HTTP/1.0");
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line
      .slice(colon + 1)
      .trim()
      .toLowerCase();
    if (name === "content-length") contentLength = Number(value);
    else if (name === "transfer-encoding") chunked = value.split(",").some((v) => v.trim() === "chunked");
    else if (name === "connection") close = value.split(",").some((v) => v.trim() === "close");
  }
  const bodyStart = headEnd + HEAD_END.length;
  // A response to HEAD, 1xx, 204 and 304 have no body; the load generator sends none of those.
  if (chunked) {
    const end = chunkedEnd(bytes, bodyStart);
    return end === undefined ? undefined : { status, length: end, bodyStart, bodyEnd: end, close };
  }
  if (contentLength === undefined || !Number.isSafeInteger(contentLength) || contentLength < 0) {
    throw new Error(`a response (status ${status}) without a usable content-length or chunked coding`);
  }
  const end = bodyStart + contentLength;
  return bytes.length < end ? undefined : { status, length: end, bodyStart, bodyEnd: end, close };
}

/** Where a chunked body starting at `from` ends (after the last chunk's trailer), or undefined while incomplete. */
function chunkedEnd(bytes: Buffer, from: number): number | undefined {
  let at = from;
  for (;;) {
    const lineEnd = bytes.indexOf(CRLF, at);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(bytes.toString("latin1", at, lineEnd).split(";")[0].trim(), 16);
    if (!Number.isSafeInteger(size) || size < 0) throw new Error("a malformed chunk size");
    if (size === 0) {
      // The trailer section: header lines, then an empty line.
      let trailer = lineEnd + CRLF.length;
      for (;;) {
        const end = bytes.indexOf(CRLF, trailer);
        if (end < 0) return undefined;
        if (end === trailer) return end + CRLF.length;
        trailer = end + CRLF.length;
      }
    }
    at = lineEnd + CRLF.length + size + CRLF.length;
    if (bytes.length < at) return undefined;
  }
}
