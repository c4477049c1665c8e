import { describe, expect, it } from "bun:test";
import { frameResponse } from "../../scripts/bench/http_response.ts";

const bytes = (text: string) => Buffer.from(text, "latin1");

describe("frameResponse()", () => {
  it("frameResponse() frames a response by its content-length, and waits for the rest of a partial one", () => {
    const text = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"value":1}';
    const frame = frameResponse(bytes(text));
    expect(frame).toEqual({
      status: 200,
      length: text.length,
      bodyStart: text.indexOf("{"),
      bodyEnd: text.length,
      close: false,
    });
    for (const cut of [5, text.indexOf("\r\n\r\n"), text.length - 1])
      expect(frameResponse(bytes(text.slice(0, cut)))).toBeUndefined();
  });

  it("frameResponse() frames only the first of two responses in the buffer", () => {
    const first = "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 2\r\n\r\nno";
    const frame = frameResponse(bytes(`${first}HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n`));
    expect(frame?.status).toBe(503);
    expect(frame?.length).toBe(first.length);
  });

  it("frameResponse() frames a chunked body through its last chunk and trailer", () => {
    const text =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\nX-T: 1\r\n\r\n";
    expect(frameResponse(bytes(text))?.length).toBe(text.length);
    for (const cut of [text.indexOf("5\r\n") + 4, text.indexOf("0\r\n") + 2, text.length - 2]) {
      expect(frameResponse(bytes(text.slice(0, cut)))).toBeUndefined();
    }
    const plain = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n";
    expect(frameResponse(bytes(plain))?.length).toBe(plain.length);
  });

  it("frameResponse() notes connection: close, and HTTP/1.0 closing by default", () => {
    expect(frameResponse(bytes("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"))?.close).toBe(true);
    expect(frameResponse(bytes("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"))?.close).toBe(true);
    expect(frameResponse(bytes("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n"))?.close).toBe(
      false,
    );
  });

  it("frameResponse() refuses what it cannot frame, naming the problem", () => {
    expect(() => frameResponse(bytes("SMTP ready\r\n\r\n"))).toThrow("status line");
    expect(() => frameResponse(bytes("HTTP/1.1 200 OK\r\n\r\n"))).toThrow("content-length");
    expect(() => frameResponse(bytes("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"))).toThrow("content-length");
    expect(() => frameResponse(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"))).toThrow(
      "chunk size",
    );
    expect(() => frameResponse(Buffer.alloc(70 * 1024, 0x61))).toThrow("head over");
  });
});
