import { describe, expect, it } from "bun:test";
import { expectError, fixture, LEADER, RecordingFetch, send } from "./helpers.ts";

describe("PUT /v1/kv/{key} errors", () => {
  it("PUT /v1/kv/{key} answers 400 validation_failed for malformed JSON, definite", async () => {
    const { app, service } = fixture();
    const error = expectError(await send(app, "PUT", "/v1/kv/k", '{"value":'), 400, "validation_failed");
    expect(error.definite).toBe(true);
    expect(service.calls).toEqual([]);
  });

  it("PUT /v1/kv/{key} answers 400 naming the field when the value is not a string", async () => {
    const { app } = fixture();
    const error = expectError(await send(app, "PUT", "/v1/kv/k", { value: 7 }), 400, "validation_failed");
    expect(error.details.target).toBe("body");
    expect(error.details.issues.map((i: { path: string }) => i.path)).toEqual(["value"]);
    expect(error.message).toContain("value");
  });

  it("PUT /v1/kv/{key} answers 400 for a missing value and for an unknown field (a misspelt condition)", async () => {
    const { app } = fixture();
    expectError(await send(app, "PUT", "/v1/kv/k", {}), 400, "validation_failed");
    const error = expectError(
      await send(app, "PUT", "/v1/kv/k", { value: "v", expectRevison: 3 }),
      400,
      "validation_failed",
    );
    expect(error.message).toContain("expectRevison");
  });

  it("PUT /v1/kv/{key} answers 400 for a negative or fractional expectRevision", async () => {
    const { app } = fixture();
    expectError(await send(app, "PUT", "/v1/kv/k", { value: "v", expectRevision: -1 }), 400, "validation_failed");
    expectError(await send(app, "PUT", "/v1/kv/k", { value: "v", expectRevision: 1.5 }), 400, "validation_failed");
  });

  it("PUT /v1/kv/{key} answers 400 for a key longer than 1024 UTF-8 bytes", async () => {
    const { app } = fixture();
    const key = encodeURIComponent("é".repeat(513));
    const error = expectError(await send(app, "PUT", `/v1/kv/${key}`, { value: "v" }), 400, "validation_failed");
    expect(error.details.target).toBe("path");
    expect(error.message).toContain("1026");
  });

  it("PUT /v1/kv/{key} answers 400 for a value over 1 MiB", async () => {
    const { app } = fixture();
    const value = "x".repeat(1024 * 1024 + 1);
    expectError(await send(app, "PUT", "/v1/kv/k", { value }), 400, "validation_failed");
  });

  it("PUT /v1/kv/{key} answers 413 payload_too_large for a body over 16 MiB, before parsing it", async () => {
    const { app, service } = fixture();
    const body = `{"value":"${"x".repeat(16 * 1024 * 1024)}"}`;
    const error = expectError(await send(app, "PUT", "/v1/kv/k", body), 413, "payload_too_large");
    expect(error.definite).toBe(true);
    expect(service.calls).toEqual([]);
  });

  it("PUT /v1/kv/{key} answers 415 unsupported_media_type for a form body", async () => {
    const { app } = fixture();
    const headers = { "content-type": "application/x-www-form-urlencoded" };
    const error = expectError(await send(app, "PUT", "/v1/kv/k", "value=v", headers), 415, "unsupported_media_type");
    expect(error.message).toContain("application/json");
  });

  it("PUT /v1/kv/{key} answers 409 compare_failed when the expected revision differs, with the current entry", async () => {
    const { app, service } = fixture();
    const current = service.seed("k", "v");
    const answer = await send(app, "PUT", "/v1/kv/k", { value: "w", expectRevision: 5 });
    const error = expectError(answer, 409, "compare_failed");
    expect(error.details.current).toEqual(current);
    expect(error.definite).toBe(true);
    expect(service.entries.get("k")).toEqual(current);
  });

  it("PUT /v1/kv/{key} answers 409 compare_failed when expectRevision 0 meets an existing key", async () => {
    const { app, service } = fixture();
    service.seed("k", "v");
    expectError(await send(app, "PUT", "/v1/kv/k", { value: "w", expectRevision: 0 }), 409, "compare_failed");
  });

  it("PUT /v1/kv/{key} answers 503 no_leader with definite: true and retry-after when the service knows no leader", async () => {
    const { app, service } = fixture();
    service.failNext("put", "no_leader", { message: "No leader is known", definite: true });
    const answer = await send(app, "PUT", "/v1/kv/k", { value: "v" });
    const error = expectError(answer, 503, "no_leader");
    expect(error.definite).toBe(true);
    expect(answer.headers.get("retry-after")).toBe("1");
  });

  it("PUT /v1/kv/{key} answers 504 timeout with definite: false when the outcome is unknown", async () => {
    const { app, service } = fixture();
    service.failNext("put", "timeout", { message: "Proposed at 11 but not applied within 5000 ms" });
    const error = expectError(await send(app, "PUT", "/v1/kv/k", { value: "v" }), 504, "timeout");
    expect(error.definite).toBe(false);
    expect(error.message).toBe("Proposed at 11 but not applied within 5000 ms");
  });

  it("PUT /v1/kv/{key} answers 503 for overloaded and shutting_down, 500 for internal", async () => {
    const { app, service } = fixture();
    service
      .failNext("put", "overloaded", { definite: true })
      .failNext("put", "shutting_down")
      .failNext("put", "internal");
    expect(expectError(await send(app, "PUT", "/v1/kv/k", { value: "v" }), 503, "overloaded").definite).toBe(true);
    expect(expectError(await send(app, "PUT", "/v1/kv/k", { value: "v" }), 503, "shutting_down").definite).toBe(false);
    // Without the service's word, a failed write may have taken effect.
    expect(expectError(await send(app, "PUT", "/v1/kv/k", { value: "v" }), 500, "internal").definite).toBe(false);
  });

  it("PUT /v1/kv/{key} answers 400 invalid_request when the service rejects the input", async () => {
    const { app, service } = fixture();
    service.failNext("put", "invalid_request", { message: "Cannot write key 'k': the value has a lone surrogate" });
    expectError(await send(app, "PUT", "/v1/kv/k", { value: "v" }), 400, "invalid_request");
  });

  it("PUT /v1/kv/a/b (an unencoded '/') answers 404 not_found_route with a hint", async () => {
    const { app } = fixture();
    const error = expectError(await send(app, "PUT", "/v1/kv/a/b", { value: "v" }), 404, "not_found_route");
    expect(error.message).toContain("%2F");
  });
});

describe("GET /v1/kv/{key} errors", () => {
  it("GET /v1/kv/{key} answers 404 not_found with the key and the read index in details", async () => {
    const { app } = fixture();
    const answer = await send(app, "GET", "/v1/kv/missing");
    const error = expectError(answer, 404, "not_found");
    expect(error.details).toEqual({ key: "missing", index: 10 });
    expect(error.definite).toBeUndefined();
    expect(answer.headers.get("x-raft-index")).toBe("10");
  });

  it("GET /v1/kv/{key} answers 400 for an unknown consistency and for an unknown query parameter", async () => {
    const { app } = fixture();
    const error = expectError(await send(app, "GET", "/v1/kv/k?consistency=eventual"), 400, "validation_failed");
    expect(error.details.target).toBe("query");
    expect(error.definite).toBeUndefined();
    expectError(await send(app, "GET", "/v1/kv/k?consistancy=stale"), 400, "validation_failed");
  });

  it("GET /v1/kv/{key} answers 504 timeout without definite when a read times out", async () => {
    const { app, service } = fixture();
    service.failNext("get", "timeout");
    const error = expectError(await send(app, "GET", "/v1/kv/k"), 504, "timeout");
    expect(error.definite).toBeUndefined();
  });

  it("GET /v1/kv/{key} answers 503 no_leader when the service knows no leader", async () => {
    const { app, service } = fixture();
    service.failNext("get", "no_leader", { leader: null });
    expectError(await send(app, "GET", "/v1/kv/k"), 503, "no_leader");
  });
});

describe("DELETE /v1/kv/{key} errors", () => {
  it("DELETE /v1/kv/{key} answers 400 for a non-numeric or negative expectRevision", async () => {
    const { app, service } = fixture();
    expectError(await send(app, "DELETE", "/v1/kv/k?expectRevision=abc"), 400, "validation_failed");
    const error = expectError(await send(app, "DELETE", "/v1/kv/k?expectRevision=-1"), 400, "validation_failed");
    expect(error.definite).toBe(true);
    expectError(await send(app, "DELETE", "/v1/kv/k?expectRevision="), 400, "validation_failed");
    expect(service.calls).toEqual([]);
  });

  it("DELETE /v1/kv/{key} answers 409 compare_failed when the expected value differs", async () => {
    const { app, service } = fixture();
    const current = service.seed("k", "v");
    const error = expectError(await send(app, "DELETE", "/v1/kv/k?expectValue=w"), 409, "compare_failed");
    expect(error.details.current).toEqual(current);
    expect(service.entries.has("k")).toBe(true);
  });

  it("DELETE /v1/kv/{key} answers 400 validation_failed, definite, for a JSON body of conditions, pointing at the query", async () => {
    const { app, service } = fixture();
    service.seed("k", "v");
    const error = expectError(await send(app, "DELETE", "/v1/kv/k", { expectRevision: 3 }), 400, "validation_failed");
    expect(error.message).toBe(
      "Cannot DELETE /v1/kv/k: a delete takes no body; send its conditions in the query string (?expectRevision=…&expectValue=…)",
    );
    expect(error.definite).toBe(true);
    expect(error.details.target).toBe("body");
    expect(service.calls).toEqual([]);
    expect(service.entries.has("k")).toBe(true);
  });

  it("DELETE /v1/kv/{key} refuses a body on a follower before forwarding it", async () => {
    const recorder = new RecordingFetch();
    const { app } = fixture({ leader: LEADER, fetch: recorder.fetch });
    const answer = await send(app, "DELETE", "/v1/kv/k?expectRevision=3", "x", { "content-type": "text/plain" });
    expect(expectError(answer, 400, "validation_failed").definite).toBe(true);
    expect(recorder.requests).toEqual([]);
  });

  it("DELETE /v1/kv/{key} answers 413 for a body over 16 MiB", async () => {
    const { app } = fixture();
    const body = "x".repeat(16 * 1024 * 1024 + 1);
    expectError(await send(app, "DELETE", "/v1/kv/k", body), 413, "payload_too_large");
  });

  it("DELETE /v1/kv/{key} answers 504 timeout with definite: false", async () => {
    const { app, service } = fixture();
    service.failNext("delete", "timeout");
    expect(expectError(await send(app, "DELETE", "/v1/kv/k"), 504, "timeout").definite).toBe(false);
  });
});

describe("GET /v1/kv errors", () => {
  it("GET /v1/kv answers 400 for limit 0, limit 1001 and a non-numeric limit", async () => {
    const { app, service } = fixture();
    for (const limit of ["0", "1001", "ten", "1e3"]) {
      const error = expectError(await send(app, "GET", `/v1/kv?limit=${limit}`), 400, "validation_failed");
      expect(error.details.issues[0].path).toBe("limit");
    }
    expect(service.calls).toEqual([]);
  });

  it("GET /v1/kv answers 400 for a prefix longer than any key", async () => {
    const { app } = fixture();
    expectError(await send(app, "GET", `/v1/kv?prefix=${"p".repeat(1025)}`), 400, "validation_failed");
  });

  it("GET /v1/kv answers 503 overloaded when the read queue is full", async () => {
    const { app, service } = fixture();
    service.failNext("list", "overloaded");
    expectError(await send(app, "GET", "/v1/kv"), 503, "overloaded");
  });
});
