/**
 * The membership walkthrough through a client generated from the OpenAPI document (openapi-fetch
 * typed by the committed `client/src/api_types.ts`), on four Bun node processes: list, add a learner, promote
 * it, hand leadership to it, and remove it again.
 */
import { afterAll, describe, expect } from "bun:test";
import createClient from "openapi-fetch";
import type { paths } from "../../client/src/api_types.ts";
import { bearerHeaders } from "../helpers/http_json.ts";
import { ProcessCluster } from "../helpers/process_cluster.ts";
import { waitFor } from "../helpers/wait_for.ts";
import { clusterIt, STOP_TIMEOUT_MS } from "./cluster_scenarios.ts";

const WAIT_MS = 30_000;

describe("the membership API through a generated client", () => {
  const cluster = new ProcessCluster({ runtimes: ["bun", "bun", "bun", "bun"], voters: 3 });
  afterAll(() => cluster.stop(), { timeout: STOP_TIMEOUT_MS });

  clusterIt(cluster, "list, add a learner, promote it, transfer to it and remove it, all typed", async () => {
    await cluster.start();
    await cluster.bootstrap();
    const [n1, n2, n3, n4] = cluster.nodes;
    await cluster.waitForLeader([n1, n2, n3]);
    const client = createClient<paths>({ baseUrl: n2.url, headers: bearerHeaders(n2.url) }); // Any node: a follower forwards.

    const listed = await client.GET("/v1/cluster/members");
    const roles: Array<"voter" | "learner" | "joining_voter" | "leaving_voter"> = (listed.data?.members ?? []).map(
      (m) => m.role,
    );
    expect(roles).toEqual(["voter", "voter", "voter"]);

    const added = await client.POST("/v1/cluster/members", { body: { id: "n4", url: n4.url, learner: true } });
    expect(added.response.status).toBe(201);
    const changed: boolean | undefined = added.data?.changed;
    expect(changed).toBe(true);

    const promoted = await waitFor(
      async () => {
        const answer = await client.POST("/v1/cluster/members/{id}/promote", { params: { path: { id: "n4" } } });
        if (answer.error !== undefined) expect(answer.error.error.code).toBe("learner_behind");
        return answer.data;
      },
      { what: "n4's promotion", timeoutMs: WAIT_MS },
    );
    expect(promoted.members.find((m) => m.id === "n4")?.role).toBe("voter");

    const moved = await client.POST("/v1/cluster/leader", { body: { to: "n4" } });
    if (moved.data === undefined)
      throw new Error(`transfer failed: ${moved.response.status} ${JSON.stringify(moved.error)}`);
    const term: number = moved.data.term;
    expect(moved.data.leader).toEqual({ id: "n4", url: n4.url });
    expect(term).toBeGreaterThan(1);

    const removed = await client.DELETE("/v1/cluster/members/{id}", { params: { path: { id: "n4" } } });
    expect(removed.data?.members.map((m) => m.id)).toEqual(["n1", "n2", "n3"]);
    // n4 led, so the others elect a new leader first (meanwhile requests answer 503 no_leader).
    expect((await cluster.waitForLeader([n1, n2, n3])).id).not.toBe("n4");
    const unknown = await client.DELETE("/v1/cluster/members/{id}", { params: { path: { id: "n9" } } });
    expect(unknown.error?.error.code).toBe("not_found");
  });
});
