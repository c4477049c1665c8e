// Deno: `deno run --allow-net --allow-env client/examples/deno.ts` (RAFT_ENDPOINTS and RAFT_TOKEN from the environment).
import { RaftClient } from "raftbare-ts-client";

const endpoints = Deno.env.get("RAFT_ENDPOINTS") ?? "http://127.0.0.1:7001,http://127.0.0.1:7002,http://127.0.0.1:7003";
const client = new RaftClient({ endpoints: endpoints.split(","), token: Deno.env.get("RAFT_TOKEN") });

const put = await client.put("examples/deno/greeting", "hello from Deno");
if (!put.ok) throw new Error(`put failed: ${put.error.code}: ${put.error.message}`);
const got = await client.get("examples/deno/greeting");
const listed = await client.list({ prefix: "examples/deno/" });
const deleted = await client.delete("examples/deno/greeting", { expectRevision: put.value.revision });
const gone = await client.get("examples/deno/greeting");
// Errors are values, never exceptions: a key over 1024 bytes is refused with a typed error.
const bad = await client.put("k".repeat(1025), "x");

console.log(
  JSON.stringify({
    put: { revision: put.value.revision, servedBy: put.servedBy, leader: put.leader },
    get: got.ok ? got.value?.value : got.error.code,
    list: listed.ok ? listed.value.items.map((item) => item.key) : listed.error.code,
    deleted: deleted.ok ? deleted.value.deleted : deleted.error.code,
    gone: gone.ok ? gone.value : gone.error.code,
    bad: bad.ok ? "accepted" : { code: bad.error.code, status: bad.error.status, definite: bad.error.definite },
  }),
);
