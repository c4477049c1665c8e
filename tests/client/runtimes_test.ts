/**
 * The client against a live 3-node cluster from every runtime it claims: in the test process (Bun
 * or Deno, whichever runs the tests), and the README's commands: its Bun and Deno examples, the
 * built package on Node 20, and its Worker bundled and run in workerd through Miniflare. Each puts,
 * gets, lists and deletes a key with a follower as the first endpoint, and gets a typed error for a
 * bad key.
 */
import { afterAll, describe, expect } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RaftClient } from "../../client/src/mod.ts";
import { STOP_TIMEOUT_MS } from "../cluster/cluster_scenarios.ts";
import { slowIt } from "../helpers/slow_test.ts";
import { lastJsonLine, runChild, runtimeBin } from "./child_run.ts";
import { expectLeader, type LiveCluster, newLiveCluster, startLiveCluster } from "./live_cluster.ts";
import { clientCommand } from "./readme_blocks.ts";

/** Deadline of one runtime's test (a build, a bundle, a workerd start on a loaded machine). */
const RUNTIME_TEST_MS = 180_000;
/** A key over the service's 1024-byte limit. */
const BAD_KEY = "k".repeat(1025);

/** What every README example prints for runtime `name` (see client/examples/). */
async function expectTour(live: LiveCluster, out: unknown, name: string, greeting: string): Promise<void> {
  expect(out).toEqual({
    put: { revision: expect.any(Number), servedBy: expect.any(String), leader: expect.any(String) },
    get: greeting,
    list: [`examples/${name}/greeting`],
    deleted: true,
    gone: null,
    bad: { code: "validation_failed", status: 400, definite: true },
  });
  const put = (out as { put: { servedBy: string; leader: string } }).put;
  expect(put.leader).toBe(put.servedBy);
  await expectLeader(live, put.servedBy);
}

/** The environment that points an example at the cluster (the README's `export RAFT_TOKEN=…` and endpoints). */
function exampleEnv(live: LiveCluster): Record<string, string> {
  return { RAFT_ENDPOINTS: live.endpoints.join(","), RAFT_TOKEN: live.token };
}

/** Runs the README's command line that contains `needle` with bash, pointed at the cluster. */
async function runReadmeCommand(live: LiveCluster, needle: string, edit: (line: string) => string = (l) => l) {
  const line = edit(clientCommand(needle));
  const run = await runChild("bash", ["-c", line], { env: exampleEnv(live) });
  return { line, run };
}

describe("the client against a live 3-node cluster", () => {
  const cluster = newLiveCluster();
  let started: Promise<LiveCluster> | undefined;
  const live = () => {
    started ??= startLiveCluster(cluster);
    return started;
  };
  afterAll(() => cluster.stop(), { timeout: STOP_TIMEOUT_MS });
  const runtimeIt = (name: string, fn: () => Promise<void>) =>
    slowIt(name, fn, { timeoutMs: RUNTIME_TEST_MS, onFailure: () => cluster.printLogs(name) });

  runtimeIt("in the test process: finds the leader behind a follower, then talks to it directly", async () => {
    const l = await live();
    const requested: string[] = [];
    const client = new RaftClient({
      endpoints: l.endpoints,
      token: l.token,
      fetch: (request) => {
        requested.push(new URL(request.url).origin);
        return fetch(request);
      },
    });
    const put = await client.put("inproc/a", "1", { expectRevision: 0 });
    if (!put.ok) throw new Error(`put failed: ${JSON.stringify(put.error)}`);
    await expectLeader(l, put.servedBy);
    expect(put.leader).toBe(put.servedBy);
    expect(put.value).toMatchObject({ key: "inproc/a", prev: null });
    expect(requested[0]).toBe(l.endpoints[0]);
    const leaderUrl = client.leader?.url ?? "no leader known";
    expect(leaderUrl).toBe(cluster.node(put.servedBy as string).url);
    const got = await client.get("inproc/a");
    expect(got.ok && got.value).toMatchObject({
      key: "inproc/a",
      value: "1",
      revision: put.value.revision,
      version: 1,
    });
    expect(requested.at(-1)).toBe(leaderUrl);
    const again = await client.put("inproc/a", "2", { expectRevision: 0 });
    expect(again.ok).toBe(false);
    if (!again.ok)
      expect(again.error).toMatchObject({ code: "compare_failed", status: 409, definite: true, attempts: 1 });
    const listed = await client.list({ prefix: "inproc/" });
    expect(listed.ok && listed.value.items.map((i) => i.value)).toEqual(["1"]);
    const stale = await client.get("inproc/a", { consistency: "stale" });
    expect(stale.ok && stale.value?.value).toBe("1");
    const deleted = await client.delete("inproc/a", { expectValue: "1" });
    expect(deleted.ok && deleted.value.deleted).toBe(true);
    expect(await client.get("inproc/a")).toMatchObject({ ok: true, value: null });
    const bad = await client.put(BAD_KEY, "x");
    expect(bad).toMatchObject({ ok: false, error: { code: "validation_failed", status: 400, definite: true } });
  });

  runtimeIt("in the test process: status, members, readiness, health and a snapshot", async () => {
    const l = await live();
    const client = new RaftClient({ endpoints: l.endpoints, token: l.token });
    const status = await client.status({ endpoint: l.endpoints[0] });
    expect(status.ok && status.value.role).toBe("follower");
    const members = await client.members();
    expect(members.ok && members.value.members.map((m) => m.id).sort()).toEqual(["n1", "n2", "n3"]);
    const ready = await client.readyz({ endpoint: l.endpoints[1] });
    expect(ready.ok && ready.value.ready).toBe(true);
    const health = await client.health();
    expect(health.ok && health.value).toEqual({ live: true });
    const snapshot = await client.snapshot({ endpoint: l.endpoints[0] });
    expect(snapshot.ok && snapshot.value.index).toBeGreaterThan(0);
    const unauthorized = await new RaftClient({ endpoints: l.endpoints, token: "not-the-token" }).get("x");
    expect(unauthorized).toMatchObject({ ok: false, error: { code: "unauthorized", status: 401, attempts: 1 } });
  });

  runtimeIt("Bun: the README's example (client/examples/bun.ts)", async () => {
    const l = await live();
    const { line, run } = await runReadmeCommand(l, "client/examples/bun.ts");
    await expectTour(l, lastJsonLine(run, line), "bun", "hello from Bun");
  });

  runtimeIt("Deno: the README's example (client/examples/deno.ts)", async () => {
    const l = await live();
    const { line, run } = await runReadmeCommand(l, "client/examples/deno.ts");
    await expectTour(l, lastJsonLine(run, line), "deno", "hello from Deno");
  });

  runtimeIt("Node 20: the README's build and example (client/examples/node.mjs) on the built package", async () => {
    const l = await live();
    const version = await runChild(runtimeBin("node"), ["--version"]);
    expect(version.stdout.trim()).toMatch(/^v20\./);
    const { line, run } = await runReadmeCommand(l, "client/examples/node.mjs");
    expect(run.stdout).toContain("client/dist: ");
    await expectTour(l, lastJsonLine(run, line), "node", "hello from Node");
    // The published declarations as a Node (NodeNext) project sees them, through the package's own name.
    const tsc = [
      ...["--noEmit", "--allowJs", "--checkJs", "--strict", "--skipLibCheck", "--types", "node"],
      ...["--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--lib", "es2022,dom"],
      "client/examples/node.mjs",
    ];
    const checked = await runChild(join("node_modules", ".bin", "tsc"), tsc);
    expect(`${checked.code} ${checked.stdout}${checked.stderr}`).toBe("0 ");
    // Node keeps no process alive for AbortSignal.timeout alone: the backoff must not rely on it.
    const script = [
      'import { RaftClient } from "./client/dist/mod.js";',
      'const client = new RaftClient({ endpoints: ["http://127.0.0.1:9"], attempts: 3, backoffMs: { base: 400, max: 400 }, random: () => 0.99 });',
      "console.log(JSON.stringify(await client.get('k')));",
    ].join("\n");
    const retried = await runChild(runtimeBin("node"), ["--input-type=module", "-e", script]);
    expect(lastJsonLine(retried, "node -e")).toMatchObject({ ok: false, error: { code: "network", attempts: 3 } });
  });

  runtimeIt("workerd (Miniflare): the README's Worker, bundled, reaches the cluster on loopback", async () => {
    const l = await live();
    const dir = mkdtempSync(join(tmpdir(), "raftbare-worker-"));
    try {
      const bundle = join(dir, "worker.js");
      const { line, run: built } = await runReadmeCommand(l, "client/examples/worker.ts", (command) => {
        expect(command).toContain("--outfile=dist/worker.js");
        return command.replace("--outfile=dist/worker.js", `--outfile=${bundle}`);
      });
      expect(`${line}: ${built.code}`).toBe(`${line}: 0`);
      expect(readFileSync(bundle, "utf8")).not.toMatch(/from\s*["']node:|require\(["']node:/);
      const key = encodeURIComponent("examples/worker/greeting");
      const requests = [
        { method: "PUT", path: `/kv/${key}`, body: "hello from Workers" },
        { method: "GET", path: `/kv/${key}` },
        { method: "GET", path: `/kv?prefix=${encodeURIComponent("examples/worker/")}` },
        { method: "DELETE", path: `/kv/${key}` },
        { method: "GET", path: `/kv/${key}` },
        { method: "PUT", path: `/kv/${BAD_KEY}`, body: "x" },
      ];
      const env = { ...exampleEnv(l), WORKER_BUNDLE: bundle, WORKER_REQUESTS: JSON.stringify(requests) };
      const run = await runChild(runtimeBin("node"), ["tests/client/workerd_driver.mjs"], { env });
      const { answers } = lastJsonLine(run, "node tests/client/workerd_driver.mjs") as {
        // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON fields.
        answers: Array<{ status: number; body: Record<string, any> }>;
      };
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 400]);
      const [put, got, listed, deleted, gone, bad] = answers.map((a) => a.body);
      expect(put.servedBy).toBe(put.leader);
      await expectLeader(l, put.servedBy);
      expect(got.value.value).toBe("hello from Workers");
      expect(listed.value.items.map((i: { key: string }) => i.key)).toEqual(["examples/worker/greeting"]);
      expect(deleted.value.deleted).toBe(true);
      expect(gone.value).toBe(null);
      expect(bad.error).toMatchObject({ code: "validation_failed", status: 400, definite: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  runtimeIt(
    "in the test process: a learner added, its promotion refused while it lags, removed; leadership moved",
    async () => {
      const l = await live();
      const client = new RaftClient({ endpoints: l.endpoints, token: l.token });
      // A learner at an address where nothing listens: it never catches up.
      const spare = { id: "spare", url: "http://127.0.0.1:9" };
      const added = await client.addMember({ ...spare, learner: true });
      expect(added.ok && added.value.changed).toBe(true);
      expect(added.ok && added.value.members.find((m) => m.id === "spare")?.role).toBe("learner");
      const again = await client.addMember({ ...spare, learner: true });
      expect(again.ok && again.value.changed).toBe(false);
      const promoted = await client.promoteMember("spare");
      expect(promoted).toMatchObject({ ok: false, error: { code: "learner_behind", status: 409, definite: true } });
      const removed = await client.removeMember("spare");
      expect(removed.ok && removed.value.members.map((m) => m.id).sort()).toEqual(["n1", "n2", "n3"]);
      const before = await l.cluster.waitForLeader();
      const target = l.cluster.nodes.find((n) => n.id !== before.id) as (typeof l.cluster.nodes)[number];
      const moved = await client.transferLeader({ to: target.id });
      expect(moved.ok && moved.value.leader).toEqual({ id: target.id, url: target.url });
      const put = await client.put("inproc/after-transfer", "x");
      expect(put.ok && put.servedBy).toBe(target.id);
      expect(client.leader).toEqual({ id: target.id, url: target.url });
    },
  );
});
