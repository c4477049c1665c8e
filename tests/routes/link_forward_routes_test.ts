import { describe, expect, it } from "bun:test";
import { createHttpApp } from "../../routes/mod.ts";
import { OPEN_API } from "../../src/http/api_auth.ts";
import type { Consistency, GetResult, PutOptions, ServiceError, WriteResult } from "../../src/server/service.ts";
import { FakeNodeService } from "../helpers/fake_service.ts";
import { LEADER, RecordingFetch, send } from "./helpers.ts";

/** A follower of {@link LEADER} whose service answers key-value calls itself, as over an open link to the leader. */
class LinkedFollower extends FakeNodeService {
  linkOpen = true;
  forwardsOverLink(): boolean {
    return this.linkOpen;
  }
  override get(key: string, consistency: Consistency): Promise<GetResult | ServiceError> {
    this.calls.push({ method: "get", args: [key, consistency] });
    return Promise.resolve({ ok: true, kv: this.entries.get(key) ?? null, index: this.index, servedBy: LEADER.id });
  }
  override put(key: string, value: string, options: PutOptions): Promise<WriteResult | ServiceError> {
    this.calls.push({ method: "put", args: [key, value, options] });
    return Promise.resolve({ ok: true, index: 12, revision: 12, prev: null, replayed: true, servedBy: LEADER.id });
  }
}

function linked() {
  const service = new LinkedFollower({ leader: LEADER });
  const recorder = new RecordingFetch();
  const app = createHttpApp(service, {
    onInternalError: () => {},
    auth: OPEN_API,
    fetch: recorder.fetch,
    pooledFetch: recorder.fetch,
  });
  return { app, service, recorder };
}

describe("a follower with an open link to the leader", () => {
  it("serves key-value writes and linearizable reads through its service, naming the leader as the server", async () => {
    const { app, service, recorder } = linked();
    service.seed("k", "v");
    const read = await send(app, "GET", "/v1/kv/k");
    expect({ status: read.status, value: read.body.value, servedBy: read.headers.get("x-raft-served-by") }).toEqual({
      status: 200,
      value: "v",
      servedBy: LEADER.id,
    });
    const write = await send(app, "PUT", "/v1/kv/k", { value: "w" }, { "idempotency-key": '"ik"' });
    expect(write.status).toBe(200);
    expect(write.headers.get("idempotent-replayed")).toBe("true");
    expect(write.headers.get("x-raft-served-by")).toBe(LEADER.id);
    expect(service.calls.map((c) => c.method)).toEqual(["get", "put"]);
    expect(recorder.requests).toEqual([]);
  });

  it("forwards over HTTP what the link does not carry: member lists, leader reads, forwarded requests; redirects on request", async () => {
    const { app, service, recorder } = linked();
    await send(app, "GET", "/v1/cluster/members");
    await send(app, "GET", "/v1/kv/k?consistency=leader");
    const forwarded = await send(app, "GET", "/v1/kv/k", undefined, { "x-raft-forwarded": "n3" });
    expect(forwarded.body.error.code).toBe("not_leader");
    const redirect = await send(app, "PUT", "/v1/kv/k?redirect=true", { value: "w" });
    expect(redirect.status).toBe(307);
    expect(recorder.requests.map((r) => `${r.method} ${new URL(r.url).pathname}${new URL(r.url).search}`)).toEqual([
      "GET /v1/cluster/members",
      "GET /v1/kv/k?consistency=leader",
    ]);
    expect(service.calls).toEqual([]);
  });

  it("forwards over HTTP once the link is down", async () => {
    const { app, service, recorder } = linked();
    service.linkOpen = false;
    await send(app, "GET", "/v1/kv/k");
    await send(app, "PUT", "/v1/kv/k", { value: "w" });
    expect(recorder.requests.map((r) => r.method)).toEqual(["GET", "PUT"]);
    expect(service.calls).toEqual([]);
  });
});
