import { describe, expect, it } from "bun:test";
import { createHttpApp } from "../../routes/mod.ts";
import { OPEN_API } from "../../src/http/api_auth.ts";
import { createLogger } from "../../src/server/logger.ts";
import { FakeNodeService } from "../helpers/fake_service.ts";
import { expectError } from "./helpers.ts";

const MIB = 1024 * 1024;

/** A body that yields `chunks` chunks of `size` bytes on demand (nothing is read ahead), then `end`. */
function lazyBody(chunks: number, size: number, end: "close" | Error = "close") {
  const state = { pulled: 0 };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (state.pulled === chunks) {
          if (end === "close") controller.close();
          else controller.error(end);
          return;
        }
        state.pulled++;
        controller.enqueue(new Uint8Array(size).fill(0x61));
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, state };
}

/** Sends `PUT /v1/kv/k` with `body` and `headers` straight to the app's fetch. */
async function put(app: { fetch: (r: Request) => Response | Promise<Response> }, body: ReadableStream, headers = {}) {
  const init = { method: "PUT", body, headers: { "content-type": "application/json", ...headers }, duplex: "half" };
  const res = await app.fetch(new Request("http://localhost/v1/kv/k", init as RequestInit));
  return { status: res.status, headers: res.headers, body: await res.json() };
}

/** An app over a fake leader that logs every level into `lines`. */
function loggingApp() {
  const lines: string[] = [];
  const service = new FakeNodeService();
  const app = createHttpApp(service, {
    auth: OPEN_API,
    logger: createLogger("n1", "debug", (line) => lines.push(line)),
  });
  return { app, service, lines };
}

describe("request body errors", () => {
  it("a body announced over 16 MiB answers 413 payload_too_large, definite, before any of it is read", async () => {
    const { app, service } = loggingApp();
    const { stream, state } = lazyBody(1000, MIB);
    const answer = await put(app, stream, { "content-length": String(200 * MIB) });
    const error = expectError(answer, 413, "payload_too_large");
    expect(error.message).toBe("Cannot PUT /v1/kv/k: the body is larger than 16777216 bytes");
    expect(error.definite).toBe(true);
    expect(state.pulled).toBe(0);
    expect(service.calls).toEqual([]);
  });

  it("a chunked body answers 413 once it passes 16 MiB, without reading the rest", async () => {
    const { app, service } = loggingApp();
    const { stream, state } = lazyBody(100, MIB);
    expectError(await put(app, stream), 413, "payload_too_large");
    expect(state.pulled).toBe(17);
    expect(service.calls).toEqual([]);
  });

  it("a body cut off by the client answers 400 invalid_request, definite, with one debug line and no error report", async () => {
    const { app, service, lines } = loggingApp();
    const { stream } = lazyBody(1, 10, new DOMException("The connection was closed.", "AbortError"));
    const error = expectError(await put(app, stream), 400, "invalid_request");
    expect(error.message).toBe(
      "Cannot read the body of PUT /v1/kv/k: the connection closed before the body was complete",
    );
    expect(error.definite).toBe(true);
    expect(service.calls).toEqual([]);
    expect(lines.length).toBe(1);
    expect(lines[0]).toContain(" DEBUG [n1] Cannot read the body of PUT /v1/kv/k");
    expect(lines[0]).toContain("(AbortError: The connection was closed.)");
    expect(lines[0]).not.toContain("\n");
  });

  it("a body that is not valid UTF-8 answers 400 validation_failed, definite, and is never decoded with replacement characters", async () => {
    const { app, service } = loggingApp();
    const prefix = new TextEncoder().encode('{"value":"');
    const bodies = [
      [0xff, 0xfe], // Bytes that never occur in UTF-8.
      [0xc3], // A sequence cut short.
      [0xed, 0xa0, 0x80], // A UTF-16 surrogate encoded as if it were a character.
      [0xc0, 0xaf], // An overlong '/'.
    ].map((bad) => new Uint8Array([...prefix, ...bad, 0x22, 0x7d]));
    for (const bytes of bodies) {
      const error = expectError(await put(app, new Blob([bytes]).stream()), 400, "validation_failed");
      expect(error.message).toBe("Cannot PUT /v1/kv/k: the body is not valid UTF-8 (send JSON as UTF-8 text)");
      expect(error.definite).toBe(true);
      expect(error.details).toEqual({ target: "body", issues: [{ path: "", message: "invalid UTF-8" }] });
    }
    expect(service.calls).toEqual([]);
    const fine = new TextEncoder().encode('{"value":"ÿ€😀"}');
    expect((await put(app, new Blob([fine]).stream())).status).toBe(200);
  });
});
