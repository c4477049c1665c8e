/**
 * A typed client against a live node: types generated from the node's own `/openapi.json` must
 * equal the client package's committed `client/src/api_types.ts` (set UPDATE_API_TYPES=1 to
 * rewrite it), and openapi-fetch with those types drives the API end to end.
 */
import { afterAll, describe, expect } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import createClient from "openapi-fetch";
import type { paths } from "../../client/src/api_types.ts";
import { formatLikeCommitted, generateApiTypes } from "../helpers/api_types_codegen.ts";
import { bearerHeaders, httpJson } from "../helpers/http_json.ts";
import { ProcessCluster, REPO_ROOT } from "../helpers/process_cluster.ts";
import { clusterIt, STOP_TIMEOUT_MS } from "./cluster_scenarios.ts";

/** The committed types, relative to the repository root. */
const TYPES_FILE = "client/src/api_types.ts";

/** Writes `text` to a fresh temporary file and reads it back (the generated file as a user gets it). */
function throughTempFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "raftbare-api-types-"));
  try {
    const file = join(dir, "api_types.ts");
    writeFileSync(file, text);
    return readFileSync(file, "utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Generates types from the `/openapi.json` of the node at `url` and compares them with the committed ones. */
async function checkGeneratedTypes(url: string): Promise<void> {
  const answer = await httpJson("GET", `${url}/openapi.json`);
  expect(answer.status).toBe(200);
  const text = throughTempFile(await generateApiTypes(answer.body));
  for (const path of ["/v1/cluster", "/v1/status", "/v1/kv/{key}", "/v1/kv", "/livez", "/readyz"]) {
    expect(text).toContain(`"${path}": {`);
  }
  for (const operation of ["bootstrapCluster", "getStatus", "putKey", "getKey", "deleteKey", "listKeys"]) {
    expect(text).toContain(`${operation}: {`);
  }
  const formatted = formatLikeCommitted(text, TYPES_FILE);
  if (process.env.UPDATE_API_TYPES === "1") writeFileSync(join(REPO_ROOT, TYPES_FILE), formatted);
  expect(formatted).toBe(readFileSync(join(REPO_ROOT, TYPES_FILE), "utf8"));
}

describe("a typed OpenAPI client against a live node", () => {
  const cluster = new ProcessCluster({ runtimes: ["bun"] });
  let started: Promise<void> | undefined;
  const ensureStarted = () => {
    started ??= cluster.start();
    return started;
  };
  afterAll(() => cluster.stop(), { timeout: STOP_TIMEOUT_MS });

  clusterIt(
    cluster,
    "types generated from the live /openapi.json declare every path and equal the committed ones",
    async () => {
      await ensureStarted();
      await checkGeneratedTypes(cluster.nodes[0].url);
    },
  );

  clusterIt(
    cluster,
    "openapi-fetch with the committed types bootstraps, writes, reads, lists and deletes a key",
    async () => {
      await ensureStarted();
      const node = cluster.nodes[0];
      const client = createClient<paths>({ baseUrl: node.url, headers: bearerHeaders(node.url) });
      const boot = await client.POST("/v1/cluster", { body: { members: [{ id: node.id, url: node.url }] } });
      expect(boot.response.status).toBe(201);
      expect(boot.data?.members).toEqual([{ id: node.id, url: node.url }]);
      await cluster.waitForLeader();
      await checkKeyLifecycle(client, "typed/key one");
      await checkStatus(client, node.id);
    },
  );
});

/** An openapi-fetch client typed by the committed types. */
type TypedClient = ReturnType<typeof createClient<paths>>;

/** PUT, GET, list, DELETE and a GET of the deleted key through `client`, checking the typed results. */
async function checkKeyLifecycle(client: TypedClient, key: string): Promise<void> {
  const path = { key };
  const put = await client.PUT("/v1/kv/{key}", { params: { path }, body: { value: "v1" } });
  if (put.data === undefined) throw new Error(`PUT failed: ${put.response.status} ${JSON.stringify(put.error)}`);
  const revision: number = put.data.revision;
  expect(put.data).toEqual({ key, revision, index: revision, prev: null });
  const got = await client.GET("/v1/kv/{key}", { params: { path, query: { consistency: "linearizable" } } });
  if (got.data === undefined) throw new Error(`GET failed: ${got.response.status} ${JSON.stringify(got.error)}`);
  const value: string = got.data.value;
  expect({ value, revision: got.data.revision, version: got.data.version }).toEqual({
    value: "v1",
    revision,
    version: 1,
  });
  // `item?.`: the document marks the shared KvEntry schema nullable, so list items are typed `KvEntry | null`.
  const listed = await client.GET("/v1/kv", { params: { query: { prefix: "typed/", limit: 10 } } });
  const more: boolean | undefined = listed.data?.more;
  expect({ keys: listed.data?.items.map((item) => item?.key), more }).toEqual({ keys: [key], more: false });
  const deleted = await client.DELETE("/v1/kv/{key}", { params: { path } });
  const wasDeleted: boolean | undefined = deleted.data?.deleted;
  expect(wasDeleted).toBe(true);
  expect(deleted.data?.prev?.value).toBe("v1");
  const gone = await client.GET("/v1/kv/{key}", { params: { path } });
  expect(gone.response.status).toBe(404);
  expect(gone.error?.error.code).toBe("not_found");
}

/** GET /v1/status through `client`: a single-node cluster led by `id`. */
async function checkStatus(client: TypedClient, id: string): Promise<void> {
  const status = await client.GET("/v1/status");
  if (status.data === undefined) throw new Error(`GET /v1/status failed: ${status.response.status}`);
  const role: "follower" | "precandidate" | "candidate" | "leader" = status.data.role;
  expect(role).toBe("leader");
  expect(status.data.id).toBe(id);
  expect(status.data.leader).toMatchObject({ id });
  expect(status.data.runtime.name).toBe("bun");
  expect(status.data.appliedIndex).toBeLessThanOrEqual(status.data.commitIndex);
  expect(status.data.members.map((m) => [m.id, m.role])).toEqual([[id, "voter"]]);
  expect(status.data.progress).toEqual([]); // A single voter has no followers.
  expect(status.data.options).toEqual({ preVote: true, checkQuorum: true });
}
