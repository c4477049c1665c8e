// Runs a bundled Worker in workerd through Miniflare and sends it requests; prints one JSON line
// with each answer's status and body. Run under Node: the worker's bindings and the requests come
// from the environment (WORKER_BUNDLE, RAFT_ENDPOINTS, RAFT_TOKEN, WORKER_REQUESTS as a JSON array
// of { method, path, body? }).
import { readFileSync } from "node:fs";
import process from "node:process";
import { Miniflare } from "miniflare";

const requests = JSON.parse(process.env.WORKER_REQUESTS ?? "[]");
const mf = new Miniflare({
  modules: true,
  script: readFileSync(process.env.WORKER_BUNDLE ?? "", "utf8"),
  // No nodejs_compat flag: the client must run on web-standard APIs alone.
  compatibilityDate: "2025-09-01",
  bindings: { RAFT_ENDPOINTS: process.env.RAFT_ENDPOINTS ?? "", RAFT_TOKEN: process.env.RAFT_TOKEN ?? "" },
});
try {
  const answers = [];
  for (const { method, path, body } of requests) {
    const response = await mf.dispatchFetch(`http://worker.test${path}`, { method, body });
    const text = await response.text();
    let parsed;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
    answers.push({ status: response.status, body: parsed });
  }
  console.log(JSON.stringify({ answers }));
} finally {
  await mf.dispose();
}
