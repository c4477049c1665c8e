/**
 * The per-step checks that connect simulated nodes to the {@link SafetyChecker}: what a node
 * exposes (role, term, log, commit index) is fed to the checker after every event the node
 * processed.
 */
import type { LogEntries, LogEntry } from "../../packages/core/src/mod.ts";
import { checkLogsMatch, type SafetyChecker, SafetyViolation } from "./checker.ts";
import type { SimNode } from "./sim_node.ts";

/** Runs every check on `node` after it processed an event; `leaders` are the live leaders. */
export function checkNode(checker: SafetyChecker, node: SimNode, leaders: readonly SimNode[]): void {
  const raft = node.raft;
  if (raft.inconsistency !== null)
    throw new SafetyViolation(`${node.id} flagged an inconsistency: ${raft.inconsistency}`);
  const log = raft.log.entries;
  if (raft.commitIndex < log.prevIndex || raft.commitIndex > log.lastIndex) {
    throw new SafetyViolation(
      `${node.id}: commit index ${raft.commitIndex} outside its log ${log.prevIndex}..${log.lastIndex}`,
    );
  }
  checkNewlyCommitted(checker, node, leaders);
  checkEntryAt(checker, node, raft.commitIndex, true);
  checkEntryAt(checker, node, log.lastIndex, false);
  if (raft.role === "leader") checkLeader(checker, node);
}

/** (5) and (3): the commit index did not go back; newly committed entries agree with the record. */
function checkNewlyCommitted(checker: SafetyChecker, node: SimNode, leaders: readonly SimNode[]): void {
  const raft = node.raft;
  checker.checkCommitMonotonic(node.id, node.checkedCommit, raft.commitIndex);
  const log = raft.log.entries;
  for (let i = Math.max(node.checkedCommit, log.prevIndex) + 1; i <= raft.commitIndex; i++) {
    const entry = log.getEntry(i) as LogEntry;
    const term = log.getTerm(i) as number;
    if (!checker.observeCommitted(node.id, i, term, entry, raft.currentTerm)) continue;
    for (const leader of leaders) {
      // Leader completeness: a leader of a later term must already hold what this term commits.
      if (leader.raft.currentTerm <= raft.currentTerm || leader.raft.log.entries.prevIndex >= i) continue;
      const theirs = leader.raft.log.entries.getEntry(i);
      if (theirs === undefined) {
        throw new SafetyViolation(
          `leader completeness: ${leader.id} (term ${leader.raft.currentTerm}) lacks ${term}/${i}, committed in term ${raft.currentTerm}`,
        );
      }
      checker.checkCommitted(leader.id, i, leader.raft.log.entries.getTerm(i) as number, theirs);
    }
  }
  node.checkedCommit = raft.commitIndex;
}

/** Checks the entry at `index` against the records (committed if `committed`, and log matching). */
function checkEntryAt(checker: SafetyChecker, node: SimNode, index: number, committed: boolean): void {
  const log = node.raft.log.entries;
  const entry = log.getEntry(index);
  if (entry === undefined) return; // At the snapshot point: no entry in memory.
  const term = log.getTerm(index) as number;
  if (committed) checker.checkCommitted(node.id, index, term, entry);
  const register = node.raft.role !== "leader"; // A leader's fresh entries count once sent or durable.
  checker.observeEntry(node.id, index, term, entry, log.getTerm(index - 1) as number, register);
}

/**
 * (1) and (3): one leader per term; a new leader holds every entry committed before. A leader
 * counts for election safety once its term and its vote for itself are durable, as nothing it
 * does is visible before (it sends nothing, and commits nothing of its term): a sole voter leads
 * at once, and a crash before its term is durable voids that election, after which it may vote
 * for another node in that term. Leaders are also counted when they send (see Simulation.send).
 */
function checkLeader(checker: SafetyChecker, node: SimNode): void {
  const term = node.raft.currentTerm;
  const durable = node.disk.hardState;
  if (durable.term === term && durable.votedFor === node.id) checker.observeLeader(term, node.id);
  if (node.checkedLeaderTerm === term) return;
  node.checkedLeaderTerm = term;
  checker.checkLeaderHasCommitted(node.id, term, node.raft.log.entries);
}

/**
 * (2) and (3) A segment `node` just wrote matches the entries named so far, and the committed
 * records at every index it has committed.
 */
export function checkAppended(checker: SafetyChecker, node: SimNode, segment: LogEntries): void {
  checker.observeEntries(node.id, segment, node.raft.role !== "leader");
  const upTo = Math.min(segment.lastIndex, node.raft.commitIndex);
  for (let i = segment.prevIndex + 1; i <= upTo; i++) {
    checker.checkCommitted(node.id, i, segment.getTerm(i) as number, segment.getEntry(i) as LogEntry);
  }
}

/** The full, quadratic checks over every pair of live nodes; run now and then. */
export function checkAllLogs(checker: SafetyChecker, nodes: readonly SimNode[]): void {
  for (let a = 0; a < nodes.length; a++) {
    const log = nodes[a].raft.log.entries;
    for (let i = log.prevIndex + 1; i <= nodes[a].raft.commitIndex; i++) {
      checker.checkCommitted(nodes[a].id, i, log.getTerm(i) as number, log.getEntry(i) as LogEntry);
    }
    for (let b = a + 1; b < nodes.length; b++) {
      checkLogsMatch({ id: nodes[a].id, log }, { id: nodes[b].id, log: nodes[b].raft.log.entries });
    }
  }
}
