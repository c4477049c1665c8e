import { afterAll, describe, expect, it } from "bun:test";
import { createHttpApp } from "../../routes/mod.ts";
import { OPEN_API } from "../../src/http/api_auth.ts";
import { FakeNodeService } from "../helpers/fake_service.ts";
import { expectError, send } from "./helpers.ts";

/** A listening HTTP server on a free loopback port. */
interface Served {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `fetch` on 127.0.0.1 with whichever runtime runs the tests. */
function serve(fetch: (request: Request) => Response | Promise<Response>): Served {
  if (typeof Bun !== "undefined") {
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch });
    return { url: `http://127.0.0.1:${server.port}`, close: () => server.stop(true) };
  }
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, fetch);
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

describe("forwarding over real HTTP", () => {
  const leader = new FakeNodeService({ id: "n2" });
  const leaderServer = serve(createHttpApp(leader, { auth: OPEN_API }).fetch);
  afterAll(() => leaderServer.close());

  it("a follower forwards a write to the leader over the network and relays its answer", async () => {
    const follower = new FakeNodeService({ id: "n1", leader: { id: "n2", url: leaderServer.url } });
    const app = createHttpApp(follower, { auth: OPEN_API });
    const answer = await send(app, "PUT", "/v1/kv/a%2Fb", { value: "v" });
    expect(answer.status).toBe(200);
    expect(answer.body.key).toBe("a/b");
    expect(answer.headers.get("x-raft-served-by")).toBe("n2");
    expect(leader.entries.get("a/b")?.value).toBe("v");
    expect(follower.calls).toEqual([]);
  });

  it("a follower whose leader refuses connections answers 502 leader_unreachable with definite: false", async () => {
    const closed = serve(() => new Response("gone"));
    await closed.close();
    const follower = new FakeNodeService({ id: "n1", leader: { id: "n3", url: closed.url } });
    const app = createHttpApp(follower, { auth: OPEN_API });
    // A refused connection proves nothing: the client may have sent the request on another one first.
    const error = expectError(await send(app, "PUT", "/v1/kv/k", { value: "v" }), 502, "leader_unreachable");
    expect(error.definite).toBe(false);
    expect(error.message).toContain(closed.url);
  });

  it("a follower whose leader never answers answers 504 timeout with definite: false after the forward timeout", async () => {
    const silent = serve(() => new Promise<Response>(() => {}));
    try {
      const follower = new FakeNodeService({ id: "n1", leader: { id: "n3", url: silent.url } });
      const app = createHttpApp(follower, { auth: OPEN_API, forwardTimeouts: { request: 50 } });
      const error = expectError(await send(app, "PUT", "/v1/kv/k", { value: "v" }), 504, "timeout");
      expect(error.definite).toBe(false);
    } finally {
      void silent.close();
    }
  });
});
