import { describe, expect, it } from "bun:test";
import { createHash } from "node:crypto";
import {
  SNAPSHOT_INDEX_HEADER,
  SNAPSHOT_SHA256_HEADER,
  SNAPSHOT_SIZE_HEADER,
  SNAPSHOT_TERM_HEADER,
} from "../../schemas/api_snapshot.ts";
import { decodeSnapshotFile } from "../../src/storage/mod.ts";
import { expectError, fixture, send } from "./helpers.ts";

const TOKEN = "s3cret-admin-token";

/** `GET /v1/snapshot` with its body as bytes. */
async function download(app: ReturnType<typeof fixture>["app"], headers: Record<string, string> = {}) {
  const res = await app.request("/v1/snapshot", { headers });
  return { status: res.status, headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()) };
}

describe("POST /v1/snapshot", () => {
  it("answers 200 with exactly { index, term, bytes } of the snapshot it took", async () => {
    const { app, service } = fixture();
    service.seed("a", "1");
    const answer = await send(app, "POST", "/v1/snapshot");
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toContain("application/json");
    expect(Object.keys(answer.body).sort()).toEqual(["bytes", "index", "term"]);
    expect(answer.body).toEqual({ index: service.index, term: service.term, bytes: service.snapshot?.file.length });
  });

  it("answers the existing snapshot when nothing was applied since, and a new one after a write", async () => {
    const { app, service } = fixture();
    const first = (await send(app, "POST", "/v1/snapshot")).body;
    const again = await send(app, "POST", "/v1/snapshot");
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first);
    service.seed("k", "v");
    const next = (await send(app, "POST", "/v1/snapshot")).body;
    expect(next.index).toBe(first.index + 1);
  });

  it("answers 409 nothing_to_snapshot on a node that has applied nothing, and 500 on a storage failure", async () => {
    const empty = fixture({ bootstrapped: false });
    expectError(await send(empty.app, "POST", "/v1/snapshot"), 409, "nothing_to_snapshot");
    const { app, service } = fixture();
    service.failNext("takeSnapshot", "internal", { message: "the disk is gone" });
    const error = expectError(await send(app, "POST", "/v1/snapshot"), 500, "internal");
    expect(error.message).toBe("the disk is gone");
  });
});

describe("GET /v1/snapshot", () => {
  it("answers 404 not_found in the envelope when the node has no snapshot", async () => {
    const { app } = fixture();
    const error = expectError(await send(app, "GET", "/v1/snapshot"), 404, "not_found");
    expect(error.definite).toBeUndefined();
  });

  it("streams the latest snapshot file, with index, term, SHA-256 and length headers that match the body", async () => {
    const { app, service } = fixture();
    for (let i = 0; i < 50; i++) service.seed(`key-${i}`, "x".repeat(100));
    const taken = (await send(app, "POST", "/v1/snapshot")).body;
    const answer = await download(app);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toBe("application/octet-stream");
    expect(answer.headers.get("content-disposition")).toBe(
      `attachment; filename="snapshot-${taken.index}-${taken.term}.snap"`,
    );
    expect(answer.bytes.length).toBe(taken.bytes);
    expect(answer.headers.get("content-length")).toBe(String(taken.bytes));
    expect(answer.headers.get(SNAPSHOT_INDEX_HEADER)).toBe(String(taken.index));
    expect(answer.headers.get(SNAPSHOT_TERM_HEADER)).toBe(String(taken.term));
    expect(answer.headers.get(SNAPSHOT_SIZE_HEADER)).toBe(String(taken.bytes));
    expect(answer.headers.get(SNAPSHOT_SHA256_HEADER)).toBe(createHash("sha256").update(answer.bytes).digest("hex"));
    const decoded = decodeSnapshotFile(answer.bytes, "the download");
    expect(decoded.meta.position).toEqual({ index: taken.index, term: taken.term } as typeof decoded.meta.position);
  });
});

describe("the snapshot routes and the admin token", () => {
  it("POST and GET /v1/snapshot answer 401 without the token, and serve it with the token", async () => {
    const { app, service } = fixture({ auth: { mode: "tokens", adminToken: TOKEN } });
    const postError = expectError(await send(app, "POST", "/v1/snapshot"), 401, "unauthorized");
    expect(postError.definite).toBe(true);
    const getAnswer = await send(app, "GET", "/v1/snapshot");
    const getError = expectError(getAnswer, 401, "unauthorized");
    expect(getError.definite).toBeUndefined();
    expect(getAnswer.headers.get("www-authenticate")).toContain("Bearer");
    expectError(
      await send(app, "GET", "/v1/snapshot", undefined, { authorization: "Bearer wrong" }),
      401,
      "unauthorized",
    );
    expect(service.calls).toEqual([]);
    const headers = { authorization: `Bearer ${TOKEN}` };
    expect((await send(app, "POST", "/v1/snapshot", undefined, headers)).status).toBe(200);
    expect((await download(app, headers)).status).toBe(200);
  });

  it("without an admin token, both need no authorization header", async () => {
    const { app } = fixture();
    expect((await send(app, "POST", "/v1/snapshot")).status).toBe(200);
    expect((await download(app)).status).toBe(200);
  });
});
