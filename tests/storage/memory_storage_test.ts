import { afterEach, describe, expect, it } from "bun:test";
import process from "node:process";
import {
  type ClusterConfig,
  LogEntries,
  LogEntry,
  type LogIndex,
  LogPosition,
  NodeId,
  Term,
} from "../../packages/core/src/mod.ts";
import {
  FileLogStore,
  type HardState,
  type LogStore,
  MemoryDisk,
  MemoryLogStore,
  MemorySnapshotStore,
  type RecoveredState,
  StorageError,
} from "../../src/storage/mod.ts";
import {
  commands,
  config,
  FatalCalled,
  newTerm,
  noFlushFs,
  plainEntries,
  prng,
  removeDir,
  tempDir,
  throwingFatal,
} from "./storage_helpers.ts";

const dirs: string[] = [];
/** Seeds of the differential test; STORAGE_SEEDS=N runs seeds 1..N instead. */
const SEEDS = Array.from({ length: Number(process.env.STORAGE_SEEDS ?? 8) }, (_, i) => i + 1);
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

function storageError(call: () => unknown): StorageError {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(StorageError);
    return error as StorageError;
  }
  throw new Error("no error");
}

describe("MemoryLogStore", () => {
  it("MemoryLogStore: a crash loses only what was never reported durable", () => {
    const disk = new MemoryDisk();
    const { store } = MemoryLogStore.open(disk);
    store.saveHardState({ term: Term.of(1), votedFor: NodeId.of("a") });
    store.append(newTerm(LogPosition.ZERO, 1, "durable"));
    const durable = store.sync();
    store.saveHardState({ term: Term.of(2), votedFor: null });
    store.append(commands(durable, "lost"));
    disk.crash();
    expect(storageError(() => store.sync()).code).toBe("unusable");
    const { recovered } = MemoryLogStore.open(disk);
    expect(recovered.isNew).toBe(false);
    expect<unknown>(recovered.generation).toBe(1);
    expect<unknown>(recovered.hardState).toEqual({ term: 1, votedFor: "a" });
    expect(recovered.log.lastPosition).toEqual(durable);
    expect(plainEntries(recovered.log.entries)).toEqual([
      [1, 1, "term", 1],
      [1, 2, "command", "durable"],
    ]);
  });

  it("MemoryDisk.failNextWrite(): the error reaches the caller, nothing is acknowledged, reopening gives the last durable state", () => {
    const disk = new MemoryDisk();
    const { store } = MemoryLogStore.open(disk);
    store.saveHardState({ term: Term.of(1), votedFor: null });
    store.append(newTerm(LogPosition.ZERO, 1));
    const durable = store.sync();
    for (const code of ["no_space", "write_failed"] as const) {
      store.append(commands(durable, "never acknowledged"));
      disk.failNextWrite(code);
      expect(storageError(() => store.sync()).code).toBe(code);
      expect(store.durablePosition).toEqual(durable);
      expect(store.hasPending).toBe(false);
    }
    store.append(commands(durable, "works again"));
    expect<unknown>(store.sync().index).toBe(2);
    disk.crash();
    expect<unknown>(MemoryLogStore.open(disk).recovered.log.lastPosition).toEqual({ term: 1, index: 2 });
  });

  it("MemoryDisk.failNextSync() is fatal and persists only the armed prefix of the batch", () => {
    const disk = new MemoryDisk();
    const { store } = MemoryLogStore.open(disk, { onFatal: throwingFatal });
    store.saveHardState({ term: Term.of(2), votedFor: null });
    store.append(newTerm(LogPosition.ZERO, 2, "kept", "lost", "lost too"));
    disk.failNextSync({ keepRecords: 3 }); // The hard state, the term entry and "kept".
    expect(() => store.sync()).toThrow(FatalCalled);
    expect(storageError(() => store.sync()).code).toBe("unusable");
    const { recovered } = MemoryLogStore.open(disk);
    expect<unknown>(recovered.hardState.term).toBe(2);
    expect(plainEntries(recovered.log.entries)).toEqual([
      [2, 1, "term", 2],
      [2, 2, "command", "kept"],
    ]);
  });

  it("MemorySnapshotStore stores copies, returns the newest, prunes older ones, and fails as armed", () => {
    const disk = new MemoryDisk();
    const snapshots = new MemorySnapshotStore(disk);
    expect(snapshots.latest()).toBeNull();
    const data = new Uint8Array([1, 2, 3]);
    snapshots.save({ position: LogPosition.of(1, 5), config: config("a") }, data);
    data[0] = 9; // The store kept a copy.
    snapshots.save({ position: LogPosition.of(1, 9), config: config("a") }, [new Uint8Array([4]), new Uint8Array([5])]);
    disk.failNextWrite("no_space");
    expect(storageError(() => snapshots.save({ position: LogPosition.of(1, 12), config: config() }, data)).code).toBe(
      "no_space",
    );
    expect<unknown>(snapshots.latest()?.meta.position).toEqual({ term: 1, index: 9 });
    expect([...(snapshots.latest()?.data ?? [])]).toEqual([4, 5]);
    expect(snapshots.prune(LogPosition.of(1, 9))).toBe(1);
    expect(snapshots.prune(LogPosition.of(1, 9))).toBe(0);
  });
});

/** The model: what the durable log must be, kept with plain LogEntries. */
interface Model {
  entries: LogEntries;
  snapshotConfig: ClusterConfig;
  hardState: HardState;
}

function cloneModel(m: Model): Model {
  return { entries: m.entries.clone(), snapshotConfig: m.snapshotConfig, hardState: m.hardState };
}

function randomPayload(random: () => number): string | Uint8Array {
  const n = Math.floor(random() * 80);
  if (random() < 0.5) return "ü".repeat(n % 7) + "x".repeat(n);
  return new Uint8Array(n).map((_, i) => (i * 31 + n) & 0xff);
}

function randomAppend(random: () => number, view: Model): LogEntries {
  const entries = view.entries;
  const prevIndex = entries.prevIndex + Math.floor(random() * (entries.length + 1));
  const prev = entries.positionAt(prevIndex) as LogPosition;
  const segment = new LogEntries(prev);
  if (view.hardState.term > prev.term && random() < 0.7) segment.push(LogEntry.term(view.hardState.term));
  const count = Math.floor(random() * 4);
  for (let k = 0; k < count; k++) {
    if (random() < 0.1) segment.push(LogEntry.config(config(...["a", "b", "c"].slice(0, 1 + (k % 3)))));
    else segment.push(LogEntry.command(randomPayload(random)));
  }
  return segment;
}

function randomHardState(random: () => number, current: HardState): HardState {
  const term = Term.of(current.term + (random() < 0.5 ? 1 : 0));
  if (term > current.term) return { term, votedFor: random() < 0.5 ? null : NodeId.of(random() < 0.5 ? "a" : "b") };
  return { term, votedFor: current.votedFor ?? (random() < 0.5 ? NodeId.of("c") : null) };
}

/** A compaction point: usually an entry of the log, sometimes one it lacks (a snapshot from a leader). */
function randomCompaction(random: () => number, view: Model): { position: LogPosition; config: ClusterConfig } | null {
  const entries = view.entries;
  if (random() < 0.2 && view.hardState.term > 0) {
    const position = LogPosition.of(
      view.hardState.term,
      entries.prevIndex + 1 + Math.floor(random() * (entries.length + 3)),
    );
    if (!entries.contains(position)) return { position, config: config("z") };
  }
  if (entries.length === 0) return null;
  const index = entries.prevIndex + 1 + Math.floor(random() * entries.length);
  const position = entries.positionAt(index) as LogPosition;
  return { position, config: entries.configAtOrBefore(index)?.config ?? view.snapshotConfig };
}

function applyCompaction(
  view: Model,
  meta: { position: LogPosition; config: ClusterConfig },
  replaceLog: boolean,
): void {
  const suffix = replaceLog ? undefined : view.entries.since(meta.position);
  view.entries = suffix ?? new LogEntries(meta.position);
  view.snapshotConfig = meta.config;
}

function expectRecovered(recovered: RecoveredState, model: Model, label: string): void {
  expect<unknown>([label, recovered.hardState]).toEqual([label, model.hardState]);
  expect([label, recovered.log.snapshotPosition]).toEqual([label, model.entries.prevPosition]);
  expect([label, recovered.snapshot.config.toJSON()]).toEqual([label, model.snapshotConfig.toJSON()]);
  expect([label, plainEntries(recovered.log.entries)]).toEqual([label, plainEntries(model.entries)]);
}

describe("MemoryLogStore and FileLogStore", () => {
  it("MemoryLogStore and FileLogStore agree with a model on random operation sequences", () => {
    for (const seed of SEEDS) {
      const random = prng(seed);
      const dir = tempDir("differential");
      dirs.push(dir);
      const disk = new MemoryDisk();
      const fileOptions = { segmentBytes: 400, log: () => {}, fs: noFlushFs };
      let file: LogStore = FileLogStore.open(dir, fileOptions).store;
      let memory: LogStore = MemoryLogStore.open(disk).store;
      let durable: Model = {
        entries: new LogEntries(LogPosition.ZERO),
        snapshotConfig: config(),
        hardState: file.hardState,
      };
      let view = cloneModel(durable);
      for (let step = 0; step < 250; step++) {
        const label = `seed ${seed} step ${step}`;
        const roll = random();
        if (roll < 0.2) {
          const state = randomHardState(random, view.hardState);
          file.saveHardState(state);
          memory.saveHardState(state);
          view.hardState = state;
        } else if (roll < 0.55) {
          const segment = randomAppend(random, view);
          file.append(segment);
          memory.append(segment);
          view.entries.append(segment.clone());
        } else if (roll < 0.62) {
          const meta = randomCompaction(random, view);
          if (meta === null) continue;
          const replaceLog = random() < 0.2;
          file.compact(meta, { replaceLog });
          memory.compact(meta, { replaceLog });
          applyCompaction(view, meta, replaceLog);
        } else if (roll < 0.9) {
          const position = file.sync();
          expect([label, memory.sync()]).toEqual([label, position]);
          expect([label, position]).toEqual([label, view.entries.lastPosition]);
          durable = cloneModel(view);
          const after = durable.entries.prevIndex + Math.floor(random() * (durable.entries.length + 1));
          const max = Math.floor(random() * 5);
          const read = plainEntries(file.read(after as LogIndex, max));
          expect([label, read]).toEqual([label, plainEntries(memory.read(after as LogIndex, max))]);
          expect([label, read]).toEqual([
            label,
            plainEntries(durable.entries.since(durable.entries.positionAt(after) as LogPosition, max) as LogEntries),
          ]);
        } else {
          file.close(); // Unsynced records are lost, as in a crash.
          disk.crash();
          const reopenedFile = FileLogStore.open(dir, fileOptions);
          const reopenedMemory = MemoryLogStore.open(disk);
          expectRecovered(reopenedFile.recovered, durable, `${label} (file)`);
          expectRecovered(reopenedMemory.recovered, durable, `${label} (memory)`);
          expect<unknown>(reopenedFile.recovered.generation).toBe(reopenedMemory.recovered.generation);
          file = reopenedFile.store;
          memory = reopenedMemory.store;
          view = cloneModel(durable);
        }
      }
      file.close();
    }
  });
});

describe("MemoryLogStore two-phase sync", () => {
  it("MemoryLogStore.beginSync() covers only the records buffered before it; a crash loses the sync in flight", () => {
    const disk = new MemoryDisk();
    const { store } = MemoryLogStore.open(disk);
    store.saveHardState({ term: Term.of(1), votedFor: null });
    store.append(newTerm(LogPosition.ZERO, 1, "first"));
    store.beginSync();
    expect(store.syncInFlight).toBe(true);
    store.append(commands(LogPosition.of(1, 2), "second")); // Chains onto the batch in flight.
    expect<unknown>(store.completeSync()).toEqual({ term: 1, index: 2 });
    expect(store.hasPending).toBe(true);
    store.beginSync();
    disk.crash(); // The second batch was in flight.
    expect(() => store.completeSync()).toThrow(StorageError);
    const { recovered } = MemoryLogStore.open(disk);
    expect<unknown>(recovered.log.lastPosition).toEqual({ term: 1, index: 2 });
  });

  it("MemoryLogStore: a failed write discards the batch in flight and everything buffered after it", () => {
    const disk = new MemoryDisk();
    const { store } = MemoryLogStore.open(disk);
    store.saveHardState({ term: Term.of(1), votedFor: null });
    store.append(newTerm(LogPosition.ZERO, 1));
    store.beginSync();
    store.append(commands(LogPosition.of(1, 1), "after"));
    disk.failNextWrite("no_space");
    expect(storageError(() => store.completeSync()).code).toBe("no_space");
    expect(store.hasPending).toBe(false);
    expect(store.durablePosition).toEqual(LogPosition.ZERO);
  });
});
