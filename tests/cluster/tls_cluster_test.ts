/**
 * TLS on real node processes, Bun and Deno mixed: with `--tls-cert-file`, `--tls-key-file` and
 * `--tls-ca-file` the nodes serve https and wss, elect a leader over wss peer links, forward
 * writes from followers to the leader over https, let a node `--join` over https and catch up by a
 * snapshot sent on a wss link. A client that does not trust the CA is refused by certificate
 * verification, and plain http to an https port gets no answer. A node whose TLS files are
 * unusable refuses to start.
 */
import { afterAll, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { failureOf } from "../helpers/failure_of.ts";
import { describeAnswer, httpJson, type JsonAnswer } from "../helpers/http_json.ts";
import { ClusterNode, freePorts, type NodeRuntime, ProcessCluster } from "../helpers/process_cluster.ts";
import { slowIt } from "../helpers/slow_test.ts";
import { hasOpenssl, makeTestCertificates } from "../helpers/test_certificates.ts";
import { waitFor } from "../helpers/wait_for.ts";
import { clusterIt, STOP_TIMEOUT_MS } from "./cluster_scenarios.ts";

const WAIT_MS = 30_000;
/** What a refusal by certificate verification says on Bun, on Deno's fetch (in the cause) and on `ws`. */
const CERTIFICATE_REFUSAL = /certificate|UnknownIssuer|self.signed/i;

if (!hasOpenssl()) {
  it.skip("TLS node processes (skipped: the openssl command is not installed, so no test certificate can be made)", () => {});
} else {
  describe("four node processes (Bun and Deno) over https and wss", () => {
    const certs = makeTestCertificates();
    const cluster = new ProcessCluster({
      runtimes: ["bun", "deno", "bun", "deno"],
      voters: 3,
      snapshotEvery: 20,
      tls: { certFile: certs.certFile, keyFile: certs.keyFile, caFile: certs.certFile },
    });
    afterAll(async () => {
      await cluster.stop();
      certs.remove();
    }, STOP_TIMEOUT_MS);

    /** `method path` on `node` over https with the cluster's CA; retried while the cluster is unavailable. */
    const request = (node: ClusterNode, method: string, path: string, body?: unknown) =>
      waitFor(
        async () => {
          const answer = await httpJson(method, `${node.url}${path}`, { body, fetch: cluster.fetch });
          return answer.status >= 502 ? undefined : answer;
        },
        { timeoutMs: WAIT_MS, what: `${method} ${path} through ${node.id} to be served` },
      );
    const expectOk = (answer: JsonAnswer, what: string) => {
      if (answer.status !== 200) throw new Error(`${what}: ${describeAnswer(answer)}`);
      return answer;
    };

    clusterIt(
      cluster,
      "they elect a leader, forward writes and reads, take a joining node, and refuse untrusting and plain clients",
      async () => {
        await cluster.start();
        const [n1, n2, n3, n4] = cluster.nodes;
        await cluster.kill(n4); // Started empty; it joins later.
        await cluster.bootstrap();
        const leader = await cluster.waitForLeader([n1, n2, n3]);
        await cluster.waitForMembers();
        for (const node of [n1, n2, n3]) {
          const status = await node.status();
          expect(status.url).toBe(`https://127.0.0.1:${node.port}`); // The default advertised URL is https.
          expect(status.leader?.url).toBe(leader.url);
        }

        // Writes through every follower: each is forwarded to the leader over https.
        const written = new Map<string, string>();
        const followers = [n1, n2, n3].filter((n) => n.id !== leader.id);
        for (const follower of followers) {
          for (let i = 0; i < 15; i++) {
            const key = `tls/${follower.id}/${i}`;
            const answer = expectOk(
              await request(follower, "PUT", `/v1/kv/${encodeURIComponent(key)}`, { value: key }),
              key,
            );
            expect(answer.headers.get("x-raft-served-by")).toBe(leader.id);
            written.set(key, key);
          }
        }
        await waitFor(async () => ((await leader.status()).snapshotIndex > 0 ? true : undefined), {
          what: "the leader to compact its log",
          timeoutMs: WAIT_MS,
        });

        // A node joins through a follower (forwarded over https) and catches up by a snapshot over wss.
        await cluster.restart(n4, ["--join", followers[0].url]);
        await waitFor(
          async () => {
            const answer = await request(n1, "GET", "/v1/cluster/members");
            const n4Member = (answer.body.members as Array<{ id: string; role: string }>).find((m) => m.id === "n4");
            return n4Member?.role === "voter" ? true : undefined;
          },
          { what: "n4 to join and be promoted", timeoutMs: WAIT_MS },
        );
        // Promotion may come before the catch-up (a learner within 100 entries is promoted): wait for the install.
        await waitFor(async () => ((await n4.status()).snapshotIndex > 0 ? true : undefined), {
          what: "n4 to install a snapshot from the leader",
          timeoutMs: WAIT_MS,
        });

        // Every write reads back through every node (a follower forwards the linearizable read).
        for (const node of cluster.nodes) {
          for (const [key, value] of written) {
            const answer = expectOk(await request(node, "GET", `/v1/kv/${encodeURIComponent(key)}`), `GET ${key}`);
            expect(answer.body.value).toBe(value);
          }
        }
        // The joined Deno node forwards a write of its own.
        const last = expectOk(await request(n4, "PUT", "/v1/kv/from-n4", { value: "deno" }), "PUT from-n4");
        expect(last.headers.get("x-raft-served-by")).not.toBe("n4");

        // A client without the CA is refused by certificate verification; plain http gets no answer.
        for (const node of cluster.nodes) {
          expect(await failureOf(fetch(`${node.url}/livez`))).toMatch(CERTIFICATE_REFUSAL);
          const plain = `http://127.0.0.1:${node.port}/livez`;
          expect(await failureOf(fetch(plain, { signal: AbortSignal.timeout(WAIT_MS) }))).not.toBe("resolved");
        }
      },
    );
  });

  describe("a node whose TLS files are unusable", () => {
    const certs = makeTestCertificates();
    afterAll(() => certs.remove());
    for (const runtime of ["bun", "deno"] as const satisfies readonly NodeRuntime[]) {
      slowIt(
        `a ${runtime} node refuses to start (exit status 2), naming the flag and the file`,
        async () => {
          const [port] = await freePorts(1);
          const dataDir = mkdtempSync(join(tmpdir(), "raftbare-tls-bad-"));
          const node = new ClusterNode("bad", runtime, port, dataDir);
          try {
            const missing = join(certs.dir, "missing.pem");
            node.spawn([
              ...[
                "--id",
                "bad",
                "--listen",
                `127.0.0.1:${port}`,
                "--cluster-token",
                "s3cret-token",
                "--admin-token",
                "s3cret-admin-token",
              ],
              ...["--data-dir", join(dataDir, "data"), "--tls-cert-file", missing, "--tls-key-file", certs.keyFile],
            ]);
            expect(await node.waitExit(WAIT_MS)).toBe(2);
            expect(node.output).toContain("cannot start node bad: unusable TLS files");
            expect(node.output).toContain(`--tls-cert-file (RAFT_TLS_CERT_FILE): ${missing}: cannot read it`);
          } finally {
            await node.signal("SIGKILL");
            rmSync(dataDir, { recursive: true, force: true });
          }
        },
        { timeoutMs: 60_000 },
      );
    }
  });
}
