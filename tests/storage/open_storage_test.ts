import { afterEach, describe, expect, it } from "bun:test";
import { type Actions, LogPosition, NodeId, RaftNode, Term } from "../../packages/core/src/mod.ts";
import {
  type LogStore,
  MemoryDisk,
  MemorySnapshotStore,
  type OpenedStorage,
  openFileStorage,
  openMemoryStorage,
  StorageError,
} from "../../src/storage/mod.ts";
import { commands, config, newTerm, plainEntries, removeDir, tempDir } from "./storage_helpers.ts";

const dirs: string[] = [];
function freshDir(): string {
  const dir = tempDir("open");
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

type Opener = () => OpenedStorage;

function openers(): Array<[string, Opener]> {
  const dir = freshDir();
  const disk = new MemoryDisk();
  return [
    ["openFileStorage()", () => openFileStorage(dir, { log: () => {} })],
    ["openMemoryStorage()", () => openMemoryStorage(disk)],
  ];
}

function close(opened: OpenedStorage): void {
  opened.log.close();
}

/** A log of ten commands in term 1 after the config entry. */
function seed(log: LogStore): void {
  log.saveHardState({ term: Term.of(1), votedFor: null });
  const start = newTerm(LogPosition.ZERO, 1);
  start.push({ kind: "config", config: config("a") });
  log.append(start);
  log.append(commands(LogPosition.of(1, 2), ..."0123456789".split("")));
  log.sync();
}

describe("openFileStorage and openMemoryStorage", () => {
  it("open*Storage() finishes a compaction that a crash interrupted after the snapshot was saved", () => {
    for (const [name, open] of openers()) {
      const first = open();
      seed(first.log);
      first.snapshots.save({ position: LogPosition.of(1, 7), config: config("a") }, new Uint8Array([7]));
      close(first); // Crash before log.compact().
      const second = open();
      expect<unknown>([name, second.recovered.snapshot.position]).toEqual([name, { term: 1, index: 7 }]);
      expect<unknown>([name, second.log.snapshot.position]).toEqual([name, { term: 1, index: 7 }]);
      expect<unknown>([name, second.recovered.log.snapshotConfig.voters]).toEqual([name, ["a"]]);
      expect<unknown>([name, second.recovered.log.lastPosition]).toEqual([name, { term: 1, index: 12 }]);
      expect([name, [...(second.snapshot?.data ?? [])]]).toEqual([name, [7]]);
      close(second);
      const third = open();
      expect([name, plainEntries(third.recovered.log.entries).length]).toEqual([name, 5]);
      close(third);
    }
  });

  it("open*Storage() refuses a log compacted beyond every snapshot", () => {
    for (const [name, open] of openers()) {
      const first = open();
      seed(first.log);
      first.log.compact({ position: LogPosition.of(1, 5), config: config("a") });
      first.log.sync();
      close(first);
      let error: unknown;
      try {
        open();
      } catch (e) {
        error = e;
      }
      expect([name, error instanceof StorageError && error.code]).toEqual([name, "corrupt"]);
      expect([name, String(error)]).toEqual([
        name,
        expect.stringContaining("compacted to 1/5 but there is no snapshot"),
      ]);
    }
  });

  it("open*Storage() prunes snapshots older than the newest", () => {
    const disk = new MemoryDisk();
    const empty = openMemoryStorage(disk);
    empty.log.saveHardState({ term: Term.of(1), votedFor: null });
    empty.log.sync();
    close(empty);
    const snapshots = new MemorySnapshotStore(disk);
    snapshots.save({ position: LogPosition.of(1, 3), config: config("a") }, new Uint8Array(0));
    snapshots.save({ position: LogPosition.of(1, 6), config: config("a") }, new Uint8Array(0));
    const opened = openMemoryStorage(disk);
    expect([...disk.snapshots.keys()]).toEqual([6]);
    // The new log lacked 1/6, so the compaction to the newest snapshot replaced it.
    expect<unknown>(opened.recovered.log.snapshotPosition).toEqual({ term: 1, index: 6 });
    expect<unknown>(opened.log.durablePosition).toEqual({ term: 1, index: 6 });
  });

  it("open*Storage() refuses a snapshot from a term after the saved term", () => {
    for (const [name, open] of openers()) {
      const first = open();
      seed(first.log);
      first.snapshots.save({ position: LogPosition.of(2, 7), config: config("a") }, new Uint8Array([7]));
      close(first);
      let error: unknown;
      try {
        open();
      } catch (e) {
        error = e;
      }
      expect([name, error instanceof StorageError && error.code]).toEqual([name, "corrupt"]);
      expect([name, String(error)]).toEqual([name, expect.stringContaining("from a term after the saved term 1")]);
    }
  });

  it("RaftNode.restart() resumes from what openFileStorage() recovered", () => {
    const dir = freshDir();
    const first = openFileStorage(dir, { log: () => {} });
    expect(first.recovered.isNew).toBe(true);
    const node = RaftNode.start(NodeId.of("n1"), { trackDurableIndex: true });
    node.createCluster([NodeId.of("n1")]);
    persist(node, first.log);
    for (const data of ["a", "b", "c"]) node.proposeCommand(data);
    persist(node, first.log);
    expect<unknown>(node.commitIndex).toBe(5);
    close(first);

    const second = openFileStorage(dir, { log: () => {} });
    const { recovered } = second;
    const restarted = RaftNode.restart(
      NodeId.of("n1"),
      recovered.generation,
      recovered.hardState.term,
      recovered.hardState.votedFor,
      recovered.log,
      { trackDurableIndex: true },
    );
    expect<unknown>(restarted.generation).toBe(1);
    expect(restarted.currentTerm).toBe(node.currentTerm);
    expect(restarted.votedFor).toBe(NodeId.of("n1"));
    expect(restarted.log.lastPosition).toEqual(node.log.lastPosition);
    expect(plainEntries(restarted.log.entries)).toEqual(plainEntries(node.log.entries));
    restarted.handleElectionTimeout();
    persist(restarted, second.log);
    expect(restarted.role).toBe("leader");
    close(second);
  });
});

/** A minimal runtime step: drain the node's storage actions into `log`, sync once, report durability. */
function persist(node: RaftNode, log: LogStore): void {
  const actions: Actions = node.actions;
  for (const action of actions) {
    if (action.type === "SaveCurrentTerm" || action.type === "SaveVotedFor") {
      log.saveHardState({ term: node.currentTerm, votedFor: node.votedFor });
    } else if (action.type === "AppendLogEntries") {
      log.append(action.entries);
    }
  }
  node.handleLogDurable(log.sync());
  if (!node.actions.isEmpty) persist(node, log);
}
