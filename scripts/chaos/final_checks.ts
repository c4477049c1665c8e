/**
 * The end of a fault run: heal everything, require a leader every node agrees on within a bound,
 * read every key through every node (recorded in the history), then check the history
 * (linearizability, lost acknowledged writes, visible definite failures) and compare the nodes'
 * state machines.
 */

import { delay } from "../../tests/helpers/wait_for.ts";
import {
  checkOperations,
  describeCheck,
  type FaultEvent,
  type KvOperation,
  kvModel,
  kvOperation,
} from "../../tests/linearizability/mod.ts";
import type { Prng } from "../../tests/sim/prng.ts";
import { perform } from "./clients.ts";
import type { ChaosCluster } from "./cluster.ts";
import { ensureVoter } from "./membership.ts";
import { compareStateMachines } from "./state_compare.ts";
import { lostWrites, visibleFailedWrites } from "./write_checks.ts";

/** Attempts of one final read before it counts as failed. */
const FINAL_READ_ATTEMPTS = 20;
/** First client id of the final reads (the run's clients count up from 0). */
const FINAL_CLIENT_BASE = 1_000_000;

/** Undoes every fault: links pass, disks work, paused nodes resume, dead nodes restart, every node votes. */
export async function healEverything(cluster: ChaosCluster, random: Prng): Promise<string[]> {
  const steps: string[] = ["every link passes"];
  cluster.healLinks();
  for (const id of cluster.ids) {
    const cleared = cluster.clearStorageFaults(id);
    if (cleared.length > 0) steps.push(`storage faults ${cleared.join(", ")} off on ${id}`);
  }
  for (const id of cluster.ids) {
    if (cluster.isPaused(id)) {
      cluster.resume(id);
      steps.push(`SIGCONT ${id}`);
    }
  }
  for (const id of [...cluster.voters]) {
    if (!cluster.node(id).running) {
      await cluster.restart(id);
      steps.push(`restarted ${id}`);
    }
  }
  for (const id of cluster.ids) steps.push(...(await ensureVoter(cluster, random, id, false)));
  return steps;
}

/**
 * Waits until every node answers, names the same leader, that leader says it leads and its
 * configuration has every node as a voter; resolves with the leader, or undefined after `withinMs`.
 */
export async function waitForStableLeader(cluster: ChaosCluster, withinMs: number): Promise<string | undefined> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    const statuses = await cluster.statuses();
    const leaders = new Set([...statuses.values()].map((s) => s.leader?.id));
    const [leader] = leaders;
    const leaderStatus = leader === undefined ? undefined : statuses.get(leader);
    const allVote = cluster.ids.every((id) => leaderStatus?.members.some((m) => m.id === id && m.role === "voter"));
    if (statuses.size === cluster.ids.length && leaders.size === 1 && leaderStatus?.role === "leader" && allVote) {
      return leader;
    }
    await delay(200);
  }
  return undefined;
}

/** What the final reads found. */
export interface FinalReads {
  /** Each key's value as read through the nodes (the first successful read; null: absent). */
  readonly finals: Map<string, string | null>;
  /** Reads that never succeeded, and keys whose nodes disagreed. */
  readonly problems: string[];
  readonly reads: number;
}

/** Reads every key through every node (linearizable reads, forwarded to the leader), recording each attempt. */
export async function readEverything(
  cluster: ChaosCluster,
  keys: readonly string[],
  options: { timeoutMs: number; now: () => number; record: (op: KvOperation) => void },
): Promise<FinalReads> {
  const finals = new Map<string, string | null>();
  const problems: string[] = [];
  let reads = 0;
  let nextClient = FINAL_CLIENT_BASE;
  await Promise.all(
    cluster.ids.map(async (id) => {
      let client = nextClient++;
      for (const key of keys) {
        let value: string | null | undefined;
        for (let attempt = 0; attempt < FINAL_READ_ATTEMPTS && value === undefined; attempt++) {
          const call = options.now();
          const learned = await perform(cluster.node(id).url, key, { kind: "get" }, options.timeoutMs);
          const ok = learned.outcome === "ok";
          const ret = learned.outcome === "unknown" ? Number.POSITIVE_INFINITY : Math.max(call, options.now());
          const fields = {
            client,
            key,
            input: { kind: "get" as const },
            call,
            return: ret,
            outcome: learned.outcome,
            node: id,
          };
          options.record(kvOperation(ok ? { ...fields, output: learned.output } : fields));
          reads += 1;
          if (learned.outcome === "unknown") client = nextClient++;
          if (ok) value = learned.output as string | null;
          else await delay(250);
        }
        if (value === undefined)
          problems.push(`key ${key}: no read through ${id} succeeded in ${FINAL_READ_ATTEMPTS} attempts`);
        else if (finals.has(key) && finals.get(key) !== value) {
          problems.push(
            `key ${key}: ${id} read ${JSON.stringify(value)}, another node ${JSON.stringify(finals.get(key))}`,
          );
        } else finals.set(key, value);
      }
    }),
  );
  return { finals, problems, reads };
}

/** The verdicts on a recorded history and the final state. */
export interface HistoryVerdict {
  readonly linearizable: "ok" | "violation" | "unknown";
  /** The checker's report (one line when linearizable). */
  readonly report: string;
  readonly problems: string[];
}

/** Checks the history for linearizability, lost acknowledged writes and visible definite failures. */
export function checkHistory(
  operations: readonly KvOperation[],
  faults: readonly FaultEvent[],
  finals: ReadonlyMap<string, string | null>,
): HistoryVerdict {
  const result = checkOperations(kvModel, operations);
  const report = describeCheck(kvModel, result, { faults });
  const problems: string[] = [];
  if (result.verdict === "violation") problems.push(`the history is not linearizable:\n${report}`);
  if (result.verdict === "unknown") problems.push(`the checker could not decide (a bound was reached):\n${report}`);
  problems.push(...lostWrites(operations, finals), ...visibleFailedWrites(operations));
  return { linearizable: result.verdict, report, problems };
}

/** Compares the state machines (see state_compare.ts), with a generous bound for the nodes to catch up. */
export function compareNodes(cluster: ChaosCluster, deadlineMs: number) {
  return compareStateMachines(cluster, deadlineMs);
}
