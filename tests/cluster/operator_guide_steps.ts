/**
 * What each `run:` block of docs/operations.md must do, by block name, in the guide's order: what
 * to wait for before it (what the guide leaves to the reader's pace), when to repeat it (the
 * guide's "repeat until"), and what its commands must print.
 */
import { expect } from "bun:test";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { httpJson } from "../helpers/http_json.ts";
import { headOf, jsonOf, type Run } from "../helpers/readme_shell.ts";
import { waitFor } from "../helpers/wait_for.ts";
import { CONDITION_MS, type GuideWorld, type MemberRow } from "./operator_guide_world.ts";

/** One block's expectations. */
export interface GuideStep {
  /** Runs before the block. */
  readonly before?: (w: GuideWorld) => Promise<void>;
  /** The block is run again (bounded) until this holds for its outputs. */
  readonly until?: (runs: readonly Run[], w: GuideWorld) => boolean;
  /** Checks the outputs; `again` runs the block once more. */
  readonly check?: (runs: readonly Run[], w: GuideWorld, again: () => Promise<Run[]>) => Promise<void> | void;
}

const FOUNDERS = ["n1", "n2", "n3"];

function rows(run: Run): MemberRow[] {
  const body = jsonOf(run);
  if (!Array.isArray(body.members)) throw new Error(`no members in: ${run.stdout}`);
  return body.members as MemberRow[];
}

function roles(run: Run): Record<string, string> {
  return Object.fromEntries(rows(run).map((m) => [m.id, m.role]));
}

function roleOf(run: Run, id: string): string | undefined {
  return jsonOf(run).members?.find((m: MemberRow) => m.id === id)?.role;
}

function errorCode(run: Run): string | undefined {
  return jsonOf(run).error?.code;
}

/** Expects the members `run` printed to be exactly `ids`, all voters. */
function expectVoters(run: Run, ids: readonly string[]): void {
  expect(roles(run)).toEqual(Object.fromEntries(ids.map((id) => [id, "voter"])));
}

/** The text the guide shows for output `name` (fails if the guide has none). */
function outputOf(w: GuideWorld, name: string): string {
  const text = w.guide.outputs.get(name);
  if (text === undefined) throw new Error(`the guide has no <!-- output: ${name} --> block`);
  return text;
}

/** The first column's names of a guide table (backticked, without `{labels}`). */
function tableNames(w: GuideWorld, table: string): string[] {
  const body = w.guide.tables.get(table);
  if (body === undefined || body.length === 0) throw new Error(`the guide has no table ${table}`);
  return body.flatMap((row) => [...row[0].matchAll(/`([A-Za-z_]+)(\{[^}]*\})?`/g)].map((m) => m[1]));
}

const cluster: Record<string, GuideStep> = {
  bootstrap: {
    check: async (runs, w, again) => {
      expect(jsonOf(runs[0])).toEqual({ members: FOUNDERS.map((id) => ({ id, url: w.url(id) })) });
      // The guide says the same call on a cluster that exists (npm start's) answers 409.
      expect(errorCode((await again())[0])).toBe("already_bootstrapped");
    },
  },
  health: {
    before: async (w) => {
      await w.waitForLeader(FOUNDERS);
      await w.cluster.waitForMembers(); // Every founder lists every URL (learned from the leader).
      await waitFor(async () => (await httpJson("GET", `${w.url("n1")}/readyz`)).status === 200, {
        timeoutMs: CONDITION_MS,
        what: "n1 to be ready",
      });
    },
    check: (runs, w) => {
      expect(jsonOf(runs[0])).toEqual({ live: true });
      const ready = jsonOf(runs[1]);
      expect(ready.ready).toBe(true);
      expect(ready.checks.map((c: { name: string }) => c.name)).toEqual([
        "cluster",
        "leader",
        "quorum",
        "storage",
        "caught_up",
      ]);
      expect(runs[2].stdout).toBe(`${outputOf(w, "ready")}\n`);
    },
  },
  metrics: {
    check: async (runs, w) => {
      const lines = runs[0].stdout.trim().split("\n");
      expect(lines.filter((l) => /^raft_role\{role="\w+"\} 1$/.test(l))).toHaveLength(1);
      expect(lines).toContain('raft_members{role="voter"} 3');
      for (const family of ["raft_term", "raft_commit_index", "raft_applied_index"]) {
        expect(lines.some((l) => new RegExp(`^${family} \\d+$`).test(l))).toBe(true);
      }
      const leader = await w.waitForLeader(FOUNDERS);
      const served = (await httpJson("GET", `${w.url(leader.id)}/metrics`)).text;
      for (const family of tableNames(w, "metric-families")) expect(served).toContain(`# TYPE ${family} `);
    },
  },
  status: {
    check: (runs, w) => {
      const status = jsonOf(runs[0]);
      expect([status.id, status.url]).toEqual(["n1", w.url("n1")]);
      expect(FOUNDERS).toContain(status.leader.id);
      expect(status.members).toEqual(FOUNDERS.map((id) => ({ id, url: w.url(id), role: "voter" })));
      expect(status.options).toEqual({ preVote: true, checkQuorum: true });
      expect(Object.keys(status).sort()).toEqual(tableNames(w, "status-fields").sort());
      const members = rows(runs[1]);
      expect(members.map((m) => m.id)).toEqual(FOUNDERS);
      expect(Object.keys(members[0]).sort()).toEqual(tableNames(w, "member-fields").sort());
      const leaders = members.filter((m) => m.leader);
      expect(leaders).toHaveLength(1);
      expect(leaders[0]).toMatchObject({ matchIndex: null, lag: null, lastContactMs: null, reachable: true });
      for (const m of members.filter((row) => !row.leader)) {
        expect([typeof m.matchIndex, typeof m.lag, typeof m.reachable]).toEqual(["number", "number", "boolean"]);
      }
      const stale = rows(runs[2]);
      expect(stale.map((m) => [m.id, m.role])).toEqual(FOUNDERS.map((id) => [id, "voter"]));
      if (!stale.find((m) => m.id === "n3")?.leader) expect(stale.every((m) => m.matchIndex === null)).toBe(true);
    },
  },
};

const membership: Record<string, GuideStep> = {
  "start-n4": {},
  "n4-not-ready": { check: (runs, w) => expect(runs[0].stdout).toBe(`${outputOf(w, "not-ready")}\n`) },
  "add-n4": {
    check: async (runs, w, again) => {
      const added = jsonOf(runs[0]);
      expect(added.changed).toBe(true);
      expect(rows(runs[0]).find((m) => m.id === "n4")).toMatchObject({
        url: w.url("n4"),
        role: "learner",
        promotionPending: true,
      });
      expect(jsonOf((await again())[0]).changed).toBe(false); // The same id at the same URL again.
    },
  },
  "watch-n4": {
    until: (runs) => roleOf(runs[0], "n4") === "voter",
    check: (runs) => expectVoters(runs[0], [...FOUNDERS, "n4"]),
  },
  "start-n5": {},
  "add-n5": {
    check: (runs) => {
      expect(jsonOf(runs[0]).changed).toBe(true);
      expect(rows(runs[0]).find((m) => m.id === "n5")).toMatchObject({ role: "learner", promotionPending: false });
    },
  },
  "promote-n5": {
    until: (runs) => errorCode(runs[0]) !== "learner_behind",
    check: (runs) => {
      expect(jsonOf(runs[0]).changed).toBe(true);
      expectVoters(runs[0], [...FOUNDERS, "n4", "n5"]);
    },
  },
  "transfer-any": {
    before: async (w) => {
      w.notes.leaderBefore = await w.waitForLeader([...FOUNDERS, "n4", "n5"]);
    },
    check: async (runs, w) => {
      const before = w.notes.leaderBefore;
      const moved = jsonOf(runs[0]);
      expect(moved.leader.id).not.toBe(before?.id);
      expect(moved.leader.url).toBe(w.url(moved.leader.id));
      expect(moved.term).toBeGreaterThan(before?.term ?? 0);
      expect((await w.waitForLeader([...FOUNDERS, "n4", "n5"])).id).toBe(moved.leader.id);
    },
  },
  "transfer-n4": {
    check: async (runs, w) => {
      expect(jsonOf(runs[0]).leader).toEqual({ id: "n4", url: w.url("n4") });
      expect((await w.waitForLeader([...FOUNDERS, "n4", "n5"])).id).toBe("n4");
    },
  },
  "remove-n5": {
    check: async (runs, w) => {
      expect(rows(runs[0]).map((m) => m.id)).toEqual([...FOUNDERS, "n4"]);
      await w.waitStopped("n5");
    },
  },
  "remove-leader": {
    check: async (runs, w) => {
      expect(rows(runs[0]).map((m) => m.id)).toEqual(FOUNDERS);
      await w.waitStopped("n4");
      expect(FOUNDERS).toContain((await w.waitForLeader(FOUNDERS)).id);
    },
  },
};

/** The backup's headers from `grep -i '^x-raft-snapshot-' headers.txt`, by lower-case name. */
function snapshotHeaders(run: Run): Map<string, string> {
  const lines = run.stdout.trim().split(/\r?\n/);
  return new Map(lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]));
}

const backup: Record<string, GuideStep> = {
  "write-key": {
    check: (runs, w) => {
      const written = jsonOf(runs[0]);
      expect(written).toMatchObject({ key: "backup-check", prev: null });
      w.notes.writeIndex = written.index;
    },
  },
  backup: {
    // The guide snapshots n1 right after the write: wait as a reader's typing would, until n1 applied it.
    before: async (w) => w.waitForApplied("n1", w.notes.writeIndex ?? 1),
    check: (runs, w) => {
      const taken = jsonOf(runs[0]);
      expect(taken.index).toBeGreaterThanOrEqual(w.notes.writeIndex ?? 1);
      w.notes.snapshot = taken;
      expect(runs[1].stdout).toBe("");
      const headers = snapshotHeaders(runs[2]);
      expect([...headers.keys()].sort()).toEqual([
        "x-raft-snapshot-index",
        "x-raft-snapshot-sha256",
        "x-raft-snapshot-size",
        "x-raft-snapshot-term",
      ]);
      expect(headers.get("x-raft-snapshot-index")).toBe(String(taken.index));
      expect(headers.get("x-raft-snapshot-term")).toBe(String(taken.term));
      expect(headers.get("x-raft-snapshot-size")).toBe(String(taken.bytes));
      const file = readFileSync(join(w.runner.cwd, "backup.snap"));
      expect(file.length).toBe(taken.bytes);
      expect(headers.get("x-raft-snapshot-sha256")).toBe(createHash("sha256").update(file).digest("hex"));
      expect(runs[3].stdout).toBe("backup.snap: OK\n");
    },
  },
  restore: {
    check: (runs, w) => {
      const { index, term } = w.notes.snapshot ?? { index: -1, term: -1 };
      expect(runs[2].stdout).toContain(`restored backup.snap into data/r1: 1 key at index ${index}, term ${term};`);
      // The start command it suggests serves where the new configuration says r1 is (the guide's next block).
      expect(runs[2].stdout).toContain("start it with: bun src/main.ts --id r1 --listen 127.0.0.1:");
      w.useToken(["r1", "r2"], w.token("r-admin-token"));
    },
  },
  "start-r1": {},
  "check-r1": {
    until: (runs) => jsonOf(runs[0]).value === "in the backup",
    check: (runs, w) => {
      const status = jsonOf(runs[1]);
      expect(status.members).toEqual([{ id: "r1", url: w.url("r1"), role: "voter" }]);
      expect(status.term).toBeGreaterThan(w.notes.snapshot?.term ?? 0);
      expect(status.snapshotIndex).toBe(w.notes.snapshot?.index);
    },
  },
  "start-r2": {},
  "add-r2": { check: (runs) => expect(jsonOf(runs[0]).changed).toBe(true) },
  "watch-r2": {
    until: (runs) => roleOf(runs[0], "r2") === "voter",
    check: (runs) => expectVoters(runs[0], ["r1", "r2"]),
  },
  "stop-restored": {
    check: async (_runs, w) => {
      await w.waitStopped("r1");
      await w.waitStopped("r2");
    },
  },
};

const operations: Record<string, GuideStep> = {
  tokens: {
    check: (runs, w) => {
      expect(jsonOf(runs[0])).toMatchObject({ key: "backup-check", value: "in the backup" });
      expect(runs[1].stdout).toBe(outputOf(w, "forbidden"));
      expect(runs[2].stdout).toBe("403\n");
      const head = headOf(runs[3]);
      expect(head.status).toBe(401);
      expect(head.headers.get("www-authenticate")).toBe('Bearer realm="raftbare-ts"');
      expect(runs[3].stdout.split(/\r?\n\r?\n/)[1]).toBe(outputOf(w, "unauthorized"));
      expect(runs[4].stdout).toMatch(/^http_auth_failures_total\{reason="read_only"\} [1-9]/m);
      expect(runs[4].stdout).toMatch(/^http_auth_failures_total\{reason="missing"\} [1-9]/m);
    },
  },
  "stop-n2": {
    check: async (_runs, w) => {
      expect(await w.cluster.node("n2").waitExit(30_000)).toBe(0); // SIGTERM: a clean stop.
      await w.waitForLeader(["n1", "n3"]);
    },
  },
  "restart-n2": {},
  "n2-ready": { until: (runs) => runs[0].stdout.endsWith("readyz check passed\n") },
  "stop-all": { check: async (_runs, w) => Promise.all(FOUNDERS.map((id) => w.waitStopped(id))).then(() => {}) },
  "rotate-tokens": {
    before: async (w) => {
      w.notes.oldAdminToken = w.token("admin-token");
    },
    check: (_runs, w) => {
      expect(w.token("admin-token")).not.toBe(w.notes.oldAdminToken);
      expect(w.token("admin-token").length).toBeGreaterThanOrEqual(16);
      w.useToken(FOUNDERS, w.token("admin-token"));
    },
  },
  "start-all": {},
  "after-restart": {
    until: (runs) => jsonOf(runs[0]).value === "in the backup",
    check: async (_runs, w) => {
      const old = { authorization: `Bearer ${w.notes.oldAdminToken}` };
      const answer = await httpJson("GET", `${w.url("n1")}/v1/kv/backup-check`, { headers: old });
      expect([answer.status, answer.body.error?.code]).toEqual([401, "unauthorized"]);
    },
  },
  "n3-fails": { check: async (_runs, w) => w.waitStopped("n3") },
  "n3-unreachable": {
    until: (runs) => rows(runs[0]).find((m) => m.id === "n3")?.reachable === false,
  },
  "quorum-at-risk": {
    check: async (runs, w) => {
      expect(runs[0].stdout).toBe(outputOf(w, "quorum-at-risk"));
      expect((await w.status("n1")).members.map((m) => m.id)).toEqual(FOUNDERS);
    },
  },
  "remove-n3": { check: (runs) => expect(rows(runs[0]).map((m) => m.id)).toEqual(["n1", "n2"]) },
  "replace-n3": {},
  "watch-n3": {
    until: (runs) => roleOf(runs[0], "n3") === "voter",
    check: async (runs, w) => {
      expectVoters(runs[0], FOUNDERS);
      // A voter as soon as it is within 100 entries of the commit index: it may not have heard from the leader yet.
      const read = await waitFor(
        async () => {
          const answer = await httpJson("GET", `${w.url("n3")}/v1/kv/backup-check?consistency=stale`);
          return answer.body.value === "in the backup" ? answer : undefined;
        },
        { timeoutMs: CONDITION_MS, what: "the new n3 to serve the key written before the backup" },
      );
      expect(read.status).toBe(200);
    },
  },
};

/** Every `run:` block of the guide, in the guide's order, with its expectations. */
export const GUIDE_STEPS: ReadonlyArray<readonly [string, GuideStep]> = [
  ...Object.entries(cluster),
  ...Object.entries(membership),
  ...Object.entries(backup),
  ...Object.entries(operations),
];
