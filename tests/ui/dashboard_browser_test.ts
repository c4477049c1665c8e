/**
 * The dashboard (`GET /ui`) in a real browser (headless Chromium through playwright-core) against
 * live node processes (three Bun nodes with tokens, one Deno node without): the token prompt, the
 * leader and members shown, admin actions clicked in the page and checked through the API, a
 * kill -9 of the leader and then of the page's own node, followed by the page. Every wait polls
 * the DOM or the API with a generous deadline; nothing sleeps for a fixed time.
 */
import { afterAll, describe, expect } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { STOP_TIMEOUT_MS, startAndBootstrap } from "../cluster/cluster_scenarios.ts";
import { TestBrowser, type WatchedPage } from "../helpers/browser.ts";
import { describeAnswer, httpJson } from "../helpers/http_json.ts";
import { ClusterNode, freePorts, ProcessCluster } from "../helpers/process_cluster.ts";
import { slowIt } from "../helpers/slow_test.ts";
import { waitFor } from "../helpers/wait_for.ts";

/** Deadline of each test: generous, the machine may be loaded. */
const TEST_TIMEOUT_MS = 120_000;
/** How long the page may take to show what the cluster did (it polls about once a second). */
const DOM_WAIT_MS = 30_000;

/** What the page shows right now, for failure messages. */
async function pageState(page: Page): Promise<string> {
  return await page.evaluate(() => {
    const text = (selector: string) => document.querySelector(selector)?.textContent?.trim() ?? "(missing)";
    const rows = [...document.querySelectorAll("#member-rows tr")].map((tr) =>
      [...tr.querySelectorAll("td")]
        .slice(0, 7)
        .map((td) => td.textContent)
        .join(" | "),
    );
    return [
      `connection: ${text("#connection")}`,
      `prompt: ${text("#auth-prompt")}`,
      `leader: ${text("#leader")}`,
      `members: ${text("#members-note")}`,
      ...rows.map((r) => `  ${r}`),
      `results: ${text("#results")}`,
    ].join("\n");
  });
}

/**
 * Waits until `predicate(arg)` holds in the page (it runs there: it sees only `arg`, no closure);
 * on timeout the error shows what the page shows.
 */
async function waitForPage(page: Page, what: string, predicate: (arg: string) => boolean, arg = ""): Promise<void> {
  try {
    await page.waitForFunction(predicate, arg, { timeout: DOM_WAIT_MS, polling: 100 });
  } catch (error) {
    const state = await pageState(page).catch((e) => `(cannot read the page: ${e})`);
    throw new Error(`The page did not show ${what} within ${DOM_WAIT_MS} ms (${error}); it shows:\n${state}`);
  }
}

/** Waits until the page names `leaderId` as the leader, with the data live. */
function waitForLeaderShown(page: Page, leaderId: string): Promise<void> {
  return waitForPage(
    page,
    `${leaderId} as the leader`,
    (id) =>
      document.querySelector("#leader")?.getAttribute("data-leader") === id &&
      document.querySelector("#connection")?.getAttribute("data-state") === "live" &&
      document.querySelector(`#member-rows tr[data-member="${id}"]`)?.getAttribute("data-leader") === "true",
    leaderId,
  );
}

/** Waits until the member table (the leader's view) shows `id` as `reachability`. */
function waitForReachability(page: Page, id: string, reachability: "reachable" | "unreachable"): Promise<void> {
  return waitForPage(
    page,
    `${id} ${reachability}`,
    (pair) => {
      const [member, want] = pair.split(" ");
      const cell = document.querySelector(`#member-rows tr[data-member="${member}"] td[data-reachable]`);
      return (
        document.querySelector("#members")?.getAttribute("data-source") === "leader" &&
        cell?.getAttribute("data-reachable") === want
      );
    },
    `${id} ${reachability}`,
  );
}

/** Waits for the newest result entry to end, and returns its outcome and text. */
async function newestResult(page: Page): Promise<{ outcome: string; text: string }> {
  await waitForPage(page, "the action's outcome", () => {
    const first = document.querySelector("#results li");
    return first !== null && first.getAttribute("data-outcome") !== "pending";
  });
  const first = page.locator("#results li").first();
  return { outcome: (await first.getAttribute("data-outcome")) ?? "", text: (await first.textContent()) ?? "" };
}

/** The members as the leader reports them, through the API. */
async function apiMembers(node: ClusterNode): Promise<Array<{ id: string; role: string }>> {
  const answer = await httpJson("GET", `${node.url}/v1/cluster/members`);
  if (answer.status !== 200) throw new Error(`GET /v1/cluster/members on ${node.id}: ${describeAnswer(answer)}`);
  return answer.body.members;
}

describe("the dashboard in a browser, on three node processes with tokens", () => {
  const cluster = new ProcessCluster({ runtimes: ["bun", "bun", "bun"] });
  let browser: TestBrowser | undefined;
  let watched: WatchedPage | undefined;
  /** The node whose /ui the page shows (a follower at the start, so it outlives the leader's kill). */
  let home: ClusterNode | undefined;
  afterAll(async () => {
    await browser?.close();
    await cluster.stop();
  }, STOP_TIMEOUT_MS);

  const uiIt = (name: string, fn: (page: Page, home: ClusterNode) => Promise<void>) =>
    slowIt(
      name,
      async () => {
        if (watched === undefined || home === undefined) throw new Error("the first test did not open the page");
        await fn(watched.page, home);
        expect(watched.problems).toEqual([]);
      },
      { timeoutMs: TEST_TIMEOUT_MS, onFailure: () => cluster.printLogs(name) },
    );

  slowIt(
    "the page asks for the token, refuses a wrong one, and with the admin token shows the leader and every member reachable",
    async () => {
      browser = await TestBrowser.launch();
      const leader = await startAndBootstrap(cluster);
      home = cluster.nodes.find((n) => n.id !== leader.id) as ClusterNode;
      watched = await browser.newPage();
      const page = watched.page;
      await page.goto(`${home.url}/ui`);
      await waitForPage(
        page,
        "the token prompt",
        () => document.querySelector("#connection")?.getAttribute("data-state") === "unauthorized",
      );
      expect(await page.isVisible("#auth-prompt")).toBe(true);
      expect(await page.textContent("#auth-prompt")).toContain("needs an API token");

      await page.fill("#token", "not-the-admin-token-0000");
      await page.click("#token-save");
      await waitForPage(
        page,
        "the wrong token refused",
        () => document.querySelector("#auth-prompt")?.textContent?.includes("refused the token") === true,
      );

      await page.fill("#token", cluster.adminToken);
      await page.click("#token-save");
      await waitForLeaderShown(page, leader.id);
      expect(await page.isVisible("#auth-prompt")).toBe(false);
      expect(await page.inputValue("#token")).toBe(""); // The typed token does not stay in the field.
      for (const node of cluster.nodes) await waitForReachability(page, node.id, "reachable");
      expect(await page.locator("#member-rows tr").count()).toBe(3);
      for (const node of cluster.nodes) {
        expect(await page.textContent(`#member-rows tr[data-member="${node.id}"]`)).toContain("voter");
      }
      expect(await page.textContent("#connection")).toContain(`${home.id} (${home.url}) answered`);
      expect(await page.textContent("#node-facts")).toContain(`${home.id} (${home.url})`);
      expect(await page.textContent("#members-note")).toContain(`As ${leader.id} sees it`);
      expect(watched.problems).toEqual([]);
    },
    { timeoutMs: TEST_TIMEOUT_MS, onFailure: () => cluster.printLogs("token prompt") },
  );

  uiIt(
    "the token survives a reload (session storage), and a snapshot clicked in the page is taken",
    async (page, home) => {
      await page.reload();
      const leader = await cluster.waitForLeader();
      await waitForLeaderShown(page, leader.id);
      expect(await page.isVisible("#auth-prompt")).toBe(false);
      await page.click("#snapshot");
      const result = await newestResult(page);
      expect(result).toMatchObject({ outcome: "ok" });
      expect(result.text).toContain(`${home.id} has a snapshot at index`);
      const index = Number(/at index (\d+)/.exec(result.text)?.[1]);
      expect(index).toBeGreaterThan(0);
      expect((await home.status()).snapshotIndex).toBeGreaterThanOrEqual(index);
    },
  );

  uiIt(
    "a member added and then removed in the page is added and removed (checked through the API)",
    async (page, home) => {
      const [port] = await freePorts(1);
      const url = `http://127.0.0.1:${port}`;
      await page.fill("#add-id", "n4");
      await page.fill("#add-url", url);
      await page.check("#add-learner");
      await page.click("#add");
      const added = await newestResult(page);
      expect(added).toMatchObject({ outcome: "ok" });
      expect(added.text).toContain("n4 was added as a learner");
      expect((await apiMembers(home)).find((m) => m.id === "n4")).toMatchObject({ id: "n4", role: "learner" });
      await waitForPage(page, "n4's row", () => document.querySelector('#member-rows tr[data-member="n4"]') !== null);
      expect(await page.textContent('#member-rows tr[data-member="n4"]')).toContain("learner");

      await page.click('#member-rows button[data-action="remove-ask"][data-member="n4"]');
      await page.click('#member-rows button[data-action="remove-confirm"][data-member="n4"]');
      const removed = await newestResult(page);
      expect(removed).toMatchObject({ outcome: "ok" });
      expect(removed.text).toContain("n4 was removed");
      expect((await apiMembers(home)).map((m) => m.id).sort()).toEqual(["n1", "n2", "n3"]);
      await waitForPage(
        page,
        "n4's row gone",
        () => document.querySelector('#member-rows tr[data-member="n4"]') === null,
      );
    },
  );

  uiIt("after kill -9 of the leader the page shows the new leader and the killed node unreachable", async (page) => {
    const old = await cluster.waitForLeader();
    await cluster.kill(old);
    const survivors = cluster.running;
    const next = await cluster.waitForLeader(survivors);
    expect(next.id).not.toBe(old.id);
    await waitForLeaderShown(page, next.id);
    await waitForReachability(page, old.id, "unreachable");
    for (const node of survivors) await waitForReachability(page, node.id, "reachable");
  });

  uiIt("a leadership transfer clicked in the page moves the leadership (checked through the API)", async (page) => {
    const survivors = cluster.running;
    const leader = await cluster.waitForLeader(survivors);
    await waitForLeaderShown(page, leader.id);
    const target = survivors.find((n) => n.id !== leader.id) as ClusterNode;
    await waitForPage(
      page,
      `${target.id} offered as a transfer target`,
      (id) => [...document.querySelectorAll("#transfer-target option")].some((o) => o.getAttribute("value") === id),
      target.id,
    );
    await page.selectOption("#transfer-target", target.id);
    await page.click("#transfer");
    const result = await newestResult(page);
    expect(result).toMatchObject({ outcome: "ok" });
    expect(result.text).toContain(`Leadership is now with ${target.id}`);
    expect((await cluster.waitForLeader(survivors)).id).toBe(target.id);
    for (const node of survivors) expect((await node.status()).leader?.id).toBe(target.id);
    await waitForLeaderShown(page, target.id);
  });

  uiIt(
    "when the node serving the page dies, the page says so and links another member's dashboard, which works",
    async (page, home) => {
      await cluster.kill(home);
      const other = cluster.running[0];
      await waitForPage(
        page,
        "the data stale and a link to the other member's dashboard",
        (href) =>
          document.querySelector("#connection")?.getAttribute("data-state") === "stale" &&
          document.querySelector(`#elsewhere a[href="${href}"]`) !== null,
        `${other.url}/ui`,
      );
      expect(await page.textContent("#connection")).toContain(`${home.id} (${home.url}) did not answer`);
      expect(await page.getAttribute("#members", "data-stale")).toBe("true");
      await page.click(`#elsewhere a[href="${other.url}/ui"]`);
      await page.waitForURL(`${other.url}/ui`);
      // Another origin, so another session storage: the token is asked for again.
      await waitForPage(
        page,
        "the token prompt",
        () => document.querySelector("#connection")?.getAttribute("data-state") === "unauthorized",
      );
      await page.fill("#token", cluster.adminToken);
      await page.click("#token-save");
      await waitForPage(
        page,
        `${other.id} answering`,
        (id) => document.querySelector("#node-facts")?.textContent?.includes(`${id} (`) === true,
        other.id,
      );
    },
  );
});

describe("the dashboard in a browser, on a Deno node without auth", () => {
  let browser: TestBrowser | undefined;
  let node: ClusterNode | undefined;
  afterAll(async () => {
    await browser?.close();
    if (node?.running) await node.signal("SIGTERM");
    if (node !== undefined) rmSync(node.dataDir, { recursive: true, force: true });
  }, STOP_TIMEOUT_MS);

  slowIt(
    "with --insecure-no-auth true the page needs no token: it shows the leader and takes a snapshot",
    async () => {
      browser = await TestBrowser.launch();
      const [port] = await freePorts(1);
      node = new ClusterNode("n1", "deno", port, mkdtempSync(join(tmpdir(), "raftbare-ui-open-")));
      const self = `n1=${node.url}`;
      const base = ["--id", "n1", "--listen", `127.0.0.1:${port}`, "--data-dir", node.dataDir];
      node.spawn([...base, "--cluster-token", "cluster-token-0123", "--insecure-no-auth", "true", "--bootstrap", self]);
      await node.waitLive(30_000);
      const running = node;
      await waitFor(async () => (await running.status()).role === "leader", { timeoutMs: 20_000, what: "n1 to lead" });

      const { page, problems } = await browser.newPage();
      await page.goto(`${node.url}/ui`);
      await waitForLeaderShown(page, "n1");
      expect(await page.isVisible("#auth-prompt")).toBe(false);
      expect(await page.textContent("#token-state")).toContain("No token");
      await page.click("#snapshot");
      const result = await newestResult(page);
      expect(result).toMatchObject({ outcome: "ok" });
      expect(result.text).toContain("n1 has a snapshot at index");
      expect(problems).toEqual([]);
    },
    { timeoutMs: TEST_TIMEOUT_MS, onFailure: () => console.error(node?.output ?? "(no node output)") },
  );
});
