// Cloudflare Workers: a small key-value API in front of the cluster. Bindings: RAFT_ENDPOINTS
// (comma-separated node URLs) and RAFT_TOKEN (a secret). Routes: GET|PUT|DELETE /kv/<key>, GET /kv?prefix=…
import { type ClientResult, RaftClient } from "raftbare-ts-client";

interface Env {
  readonly RAFT_ENDPOINTS: string;
  readonly RAFT_TOKEN: string;
}

// One client per isolate: it remembers the leader from one request to the next.
let client: RaftClient | undefined;

function answer<T>(result: ClientResult<T>): Response {
  if (result.ok) return Response.json({ value: result.value, servedBy: result.servedBy, leader: result.leader });
  return Response.json({ error: result.error }, { status: result.error.status ?? 502 });
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    client ??= new RaftClient({ endpoints: env.RAFT_ENDPOINTS.split(","), token: env.RAFT_TOKEN, timeoutMs: 3000 });
    const url = new URL(request.url);
    if (url.pathname === "/kv") return answer(await client.list({ prefix: url.searchParams.get("prefix") ?? "" }));
    if (!url.pathname.startsWith("/kv/")) return new Response("not found", { status: 404 });
    const key = decodeURIComponent(url.pathname.slice("/kv/".length));
    if (request.method === "PUT") return answer(await client.put(key, await request.text()));
    if (request.method === "DELETE") return answer(await client.delete(key));
    return answer(await client.get(key));
  },
};
