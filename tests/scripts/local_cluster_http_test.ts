/** The launcher's HTTP calls against a stand-in node that answers what each test needs. */
import { afterEach, describe, expect, it } from "bun:test";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { bootstrap, isNewCluster, waitForLeader } from "../../scripts/local_cluster/cluster_http.ts";
import type { NodeSpec } from "../../scripts/local_cluster/layout.ts";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const servers: Server[] = [];
const ADMIN = "launcher-admin-token";

/** A stand-in node on a free port answering with `handler`. */
async function standIn(id: string, handler: Handler): Promise<NodeSpec> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return { id, port, url: `http://127.0.0.1:${port}`, dataDir: `/unused/${id}` };
}

/** A handler answering `status` with `body` as JSON to requests with the admin token, and 401 to others. */
function json(status: number, body: unknown): Handler {
  return (req, res) => {
    if (req.headers.authorization !== `Bearer ${ADMIN}`) {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "unauthorized", message: "no token" } }));
      return;
    }
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
}

/** A `GET /v1/status` body. */
function status(lastIndex: number, leader: string | null, members: number): unknown {
  return {
    role: "follower",
    lastIndex,
    leader: leader === null ? null : { id: leader },
    members: Array(members).fill({}),
  };
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

describe("the launcher's cluster setup", () => {
  it("says so clearly when a node refuses the launcher's admin token", async () => {
    const node = await standIn("n1", json(200, status(0, null, 0)));
    await expect(isNewCluster([node], "another-admin-token")).rejects.toThrow("n1 refused the admin token");
  });

  it("isNewCluster() is true only while no node has a log or members (a restart is not bootstrapped again)", async () => {
    const fresh = [
      await standIn("n1", json(200, status(0, null, 0))),
      await standIn("n2", json(200, status(0, null, 0))),
    ];
    const restarted = [
      await standIn("n1", json(200, status(0, null, 0))),
      await standIn("n2", json(200, status(7, null, 3))),
    ];
    expect(await isNewCluster(fresh, ADMIN)).toBe(true);
    expect(await isNewCluster(restarted, ADMIN)).toBe(false);
  });

  it("bootstrap() accepts 201 and 409 already_bootstrapped and fails clearly on anything else", async () => {
    const created = await standIn("n1", json(201, { members: [] }));
    const already = await standIn("n1", json(409, { error: { code: "already_bootstrapped", message: "…" } }));
    const broken = await standIn("n1", json(500, { error: { code: "internal", message: "disk on fire" } }));
    expect(await bootstrap([created], ADMIN)).toBe(true);
    expect(await bootstrap([already], ADMIN)).toBe(false);
    await expect(bootstrap([broken], ADMIN)).rejects.toThrow(
      /Cannot bootstrap the cluster: POST .*\/v1\/cluster answered 500 .*disk on fire/,
    );
  });

  it("waitForLeader() resolves once every node names the same leader, and fails after its deadline otherwise", async () => {
    const agreed = [
      await standIn("n1", json(200, status(3, "n2", 2))),
      await standIn("n2", json(200, status(3, "n2", 2))),
    ];
    const split = [
      await standIn("n1", json(200, status(3, "n1", 2))),
      await standIn("n2", json(200, status(3, null, 2))),
    ];
    expect(await waitForLeader(agreed, ADMIN, 5_000)).toBe("n2");
    await expect(waitForLeader(split, ADMIN, 300)).rejects.toThrow(
      /no leader was elected within 0.3 s \(n1: follower, leader n1; n2: follower, leader unknown\)/,
    );
  });
});
