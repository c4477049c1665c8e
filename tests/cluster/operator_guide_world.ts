/**
 * What the operator's guide test knows while it runs the guide: the nodes by id at the test's
 * ports, their status and leader, the processes behind their data directories, and notes one
 * step leaves for a later one (the key written before the backup, the snapshot taken).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { MemberView } from "../../src/server/service.ts";
import type { Guide } from "../helpers/guide_blocks.ts";
import type { GuideRunner } from "../helpers/guide_runner.ts";
import { describeAnswer, httpJson, useBearerToken } from "../helpers/http_json.ts";
import type { NodeStatusBody, ProcessCluster } from "../helpers/process_cluster.ts";
import { isRunning } from "../helpers/process_tree.ts";
import { waitFor } from "../helpers/wait_for.ts";

/** The port the guide gives each node it names. */
export const GUIDE_PORTS: Readonly<Record<string, number>> = {
  n1: 7001,
  n2: 7002,
  n3: 7003,
  n4: 7004,
  n5: 7005,
  r1: 7101,
  r2: 7102,
};

/** A member as `GET /v1/cluster/members` lists it. */
export type MemberRow = MemberView;

/** Facts one step of the guide leaves for a later one. */
export interface GuideNotes {
  leaderBefore?: { readonly id: string; readonly term: number };
  writeIndex?: number;
  snapshot?: { readonly index: number; readonly term: number; readonly bytes: number };
  oldAdminToken?: string;
}

/** How long the test waits for a condition the guide leaves to the reader's pace. */
export const CONDITION_MS = 30_000;

/** The cluster the guide drives, as the test sees it. */
export class GuideWorld {
  readonly cluster: ProcessCluster;
  readonly runner: GuideRunner;
  readonly guide: Guide;
  readonly notes: GuideNotes = {};

  /** The world of `guide` run by `runner`; `cluster` holds the founders n1…n3. */
  constructor(cluster: ProcessCluster, runner: GuideRunner, guide: Guide) {
    this.cluster = cluster;
    this.runner = runner;
    this.guide = guide;
  }

  /** The URL node `id` is reached at in this test. */
  url(id: string): string {
    const port = this.runner.ports.get(GUIDE_PORTS[id]);
    if (port === undefined) throw new Error(`no port for ${id}`);
    return `http://127.0.0.1:${port}`;
  }

  /** The token now in the work directory's `data/NAME` file. */
  token(name: string): string {
    return readFileSync(join(this.runner.cwd, "data", name), "utf8").trim();
  }

  /** From now on, the test's own requests to `ids` carry `token`. */
  useToken(ids: readonly string[], token: string): void {
    for (const id of ids) useBearerToken(this.url(id), token);
  }

  /** `GET /v1/status` of node `id`. */
  async status(id: string): Promise<NodeStatusBody> {
    const answer = await httpJson("GET", `${this.url(id)}/v1/status`, { timeoutMs: 5000 });
    if (answer.status !== 200) throw new Error(`GET /v1/status on ${id}: ${describeAnswer(answer)}`);
    return answer.body as NodeStatusBody;
  }

  /** Waits until every node of `ids` names the same leader, one of them that says it leads; its id and term. */
  async waitForLeader(ids: readonly string[]): Promise<{ id: string; term: number }> {
    return await waitFor(
      async () => {
        const statuses = await Promise.all(ids.map((id) => this.status(id)));
        const leader = statuses[0].leader?.id;
        const own = statuses.find((s) => s.id === leader);
        if (leader === undefined || own?.role !== "leader") return undefined;
        return statuses.every((s) => s.leader?.id === leader) ? { id: leader, term: own.term } : undefined;
      },
      { timeoutMs: CONDITION_MS, intervalMs: 100, what: `one leader among ${ids.join(", ")}` },
    );
  }

  /** Waits until node `id` has applied `index`. */
  async waitForApplied(id: string, index: number): Promise<void> {
    await waitFor(async () => (await this.status(id)).appliedIndex >= index, {
      timeoutMs: CONDITION_MS,
      what: `${id} to apply index ${index}`,
    });
  }

  /** Waits until the process named in `data/ID/LOCK` is gone (or the lock file is: a clean stop removes it). */
  async waitStopped(id: string): Promise<void> {
    const lock = join(this.runner.cwd, "data", id, "LOCK");
    await waitFor(
      () => {
        if (!existsSync(lock)) return true;
        const pid = Number.parseInt(readFileSync(lock, "utf8"), 10);
        return !(pid > 0 && isRunning(pid));
      },
      { timeoutMs: CONDITION_MS, intervalMs: 100, what: `the process of ${id} to exit` },
    );
  }
}
