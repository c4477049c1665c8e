/**
 * The API tokens on real node processes (Bun and Deno): tokens read from files, the read-only token
 * refused on writes, refusals counted in /metrics and never logged, and a node without any token
 * refusing to start unless told it may serve /v1 to anyone.
 */
import { afterAll, describe, expect } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeAnswer, httpJson } from "../helpers/http_json.ts";
import { ClusterNode, freePorts } from "../helpers/process_cluster.ts";
import { parseExposition, sampleValue } from "../helpers/prometheus_text.ts";
import { slowIt } from "../helpers/slow_test.ts";
import { waitFor } from "../helpers/wait_for.ts";

const ADMIN = "admin-token-from-a-file-0123";
const READ = "read-token-from-a-file-4567";
const WRONG = "wrong-token-nobody-has-89ab";
const TEST_TIMEOUT_MS = 90_000;

describe("API tokens on node processes", () => {
  const started: ClusterNode[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const node of started) if (node.running) await node.signal("SIGTERM");
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  for (const runtime of ["bun", "deno"] as const) {
    slowIt(
      `a ${runtime} node reads its tokens from files, refuses missing, wrong and read-only tokens, counts them and logs none`,
      async () => {
        const secrets = mkdtempSync(join(tmpdir(), "raftbare-tokens-"));
        dirs.push(secrets);
        writeFileSync(join(secrets, "admin"), `${ADMIN}\n`, { mode: 0o600 });
        writeFileSync(join(secrets, "read"), `${READ}\n`, { mode: 0o600 });
        writeFileSync(join(secrets, "cluster"), "cluster-token-0123\n", { mode: 0o600 });
        const [port] = await freePorts(1);
        const node = new ClusterNode("n1", runtime, port, mkdtempSync(join(tmpdir(), "raftbare-n1-")));
        started.push(node);
        dirs.push(node.dataDir);
        const files = ["--cluster-token-file", join(secrets, "cluster"), "--admin-token-file", join(secrets, "admin")];
        node.spawn([
          "--id",
          "n1",
          "--listen",
          `127.0.0.1:${port}`,
          "--data-dir",
          node.dataDir,
          "--log-level",
          "debug",
          ...files,
          "--read-token-file",
          join(secrets, "read"),
        ]);
        await node.waitLive(30_000);
        const as = (token: string | null) => ({ authorization: token === null ? "" : `Bearer ${token}` });
        const boot = await httpJson("POST", `${node.url}/v1/cluster`, {
          body: { members: [{ id: "n1", url: node.url }] },
          headers: as(ADMIN),
        });
        expect(boot.status).toBe(201);
        await waitFor(
          async () => {
            const s = await httpJson("GET", `${node.url}/v1/status`, { headers: as(READ) });
            return s.body.role === "leader" || undefined;
          },
          { timeoutMs: 20_000, what: "n1 to lead" },
        );
        const put = await httpJson("PUT", `${node.url}/v1/kv/k`, { body: { value: "v" }, headers: as(ADMIN) });
        expect(put.status).toBe(200);

        const read = await httpJson("GET", `${node.url}/v1/kv/k`, { headers: as(READ) });
        expect([read.status, read.body.value]).toEqual([200, "v"]);
        const refusals = [
          [await httpJson("GET", `${node.url}/v1/kv/k`, { headers: as(null) }), 401, "unauthorized"],
          [await httpJson("GET", `${node.url}/v1/status`, { headers: as(WRONG) }), 401, "unauthorized"],
          [
            await httpJson("PUT", `${node.url}/v1/kv/k`, { body: { value: "x" }, headers: as(WRONG) }),
            401,
            "unauthorized",
          ],
          [await httpJson("PUT", `${node.url}/v1/kv/k`, { body: { value: "x" }, headers: as(READ) }), 403, "forbidden"],
          [await httpJson("GET", `${node.url}/v1/snapshot`, { headers: as(READ) }), 403, "forbidden"],
        ] as const;
        for (const [answer, status, code] of refusals) {
          expect({ status: answer.status, code: answer.body?.error?.code }).toEqual({ status, code });
        }
        const after = await httpJson("GET", `${node.url}/v1/kv/k`, { headers: as(ADMIN) });
        expect(after.body.value).toBe("v"); // No refused write took effect.

        const metrics = await fetch(`${node.url}/metrics`);
        expect(metrics.status).toBe(200);
        const exposition = parseExposition(await metrics.text());
        const failures = (reason: string) => sampleValue(exposition, "http_auth_failures_total", { reason }) ?? 0;
        expect([failures("missing"), failures("wrong_token"), failures("read_only")]).toEqual([1, 2, 2]);

        expect((await httpJson("GET", `${node.url}/readyz`, { headers: as(null) })).status).toBe(200);
        expect((await httpJson("GET", `${node.url}/openapi.json`, { headers: as(null) })).status).toBe(200);
        const output = node.output;
        for (const secret of [ADMIN, READ, WRONG]) expect(output).not.toContain(secret);
        expect(output).not.toMatch(/unauthorized|forbidden/i);
      },
      { timeoutMs: TEST_TIMEOUT_MS, onFailure: () => console.error(started.map((n) => n.output).join("\n")) },
    );

    slowIt(
      `a ${runtime} node without an admin token refuses to start, unless --insecure-no-auth true`,
      async () => {
        const [port] = await freePorts(1);
        const node = new ClusterNode("n1", runtime, port, mkdtempSync(join(tmpdir(), "raftbare-n1-")));
        started.push(node);
        dirs.push(node.dataDir);
        const base = ["--id", "n1", "--listen", `127.0.0.1:${port}`, "--data-dir", node.dataDir];
        node.spawn([...base, "--cluster-token", "cluster-token-0123"]);
        expect(await node.waitExit(30_000)).toBe(2);
        expect(node.output).toContain("--insecure-no-auth true");
        expect(node.output).toContain("--admin-token-file");
        node.spawn([...base, "--cluster-token", "cluster-token-0123", "--insecure-no-auth", "true"]);
        await node.waitLive(30_000);
        const open = await httpJson("GET", `${node.url}/v1/status`, { headers: { authorization: "" } });
        if (open.status !== 200) throw new Error(describeAnswer(open));
        expect(open.body.id).toBe("n1");
      },
      { timeoutMs: TEST_TIMEOUT_MS, onFailure: () => console.error(started.map((n) => n.output).join("\n")) },
    );
  }
});
