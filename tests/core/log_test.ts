import { describe, expect, it } from "bun:test";
import { ClusterConfig, Log, LogEntries } from "../../packages/core/src/mod.ts";
import { commandEntry, configEntry, pos, segment, termEntry, voters } from "../helpers/core_harness.ts";

const snapshotConfig = voters(["n1", "n2", "n3"]);
const joint = voters(["n1", "n2", "n3"], ["n1", "n4"]);
const final = voters(["n1", "n4"]);

/** A log with a snapshot at 2/10 and entries 11..15: cmd, joint, Term(3), C_new, cmd. */
function sampleLog(): Log {
  return new Log(
    snapshotConfig,
    segment(pos(2, 10), [commandEntry(), configEntry(joint), termEntry(3), configEntry(final), commandEntry()]),
  );
}

describe("Log", () => {
  it("Log.empty() is an empty log at the given position with the given configuration", () => {
    const log = Log.empty(ClusterConfig.EMPTY, pos(0, 0));
    expect(log.lastPosition).toEqual(pos(0, 0));
    expect(log.snapshotPosition).toEqual(pos(0, 0));
    expect(log.latestConfig()).toBe(ClusterConfig.EMPTY);
    expect<number>(log.latestConfigIndex()).toBe(0);
    expect(log.entries.isEmpty).toBe(true);
  });

  it("Log exposes the snapshot position (the entries' prev) and the last position", () => {
    const log = sampleLog();
    expect(log.snapshotPosition).toEqual(pos(2, 10));
    expect(log.lastPosition).toEqual(pos(3, 15));
    expect(log.snapshotConfig).toBe(snapshotConfig);
  });

  it("Log.latestConfig() is the last config entry, else the snapshot's configuration", () => {
    expect(sampleLog().latestConfig()).toBe(final);
    const noConfigs = new Log(snapshotConfig, segment(pos(2, 10), [commandEntry()]));
    expect(noConfigs.latestConfig()).toBe(snapshotConfig);
  });

  it("Log.latestConfigIndex() is the last config entry's index, else the snapshot index", () => {
    expect<number>(sampleLog().latestConfigIndex()).toBe(14);
    const noConfigs = new Log(snapshotConfig, segment(pos(2, 10), [commandEntry()]));
    expect<number>(noConfigs.latestConfigIndex()).toBe(10);
  });

  it("Log.getConfig() is the configuration in force at an index, undefined outside the log", () => {
    const log = sampleLog();
    expect(log.getConfig(9)).toBeUndefined();
    expect(log.getConfig(10)).toBe(snapshotConfig);
    expect(log.getConfig(11)).toBe(snapshotConfig);
    expect(log.getConfig(12)).toBe(joint);
    expect(log.getConfig(13)).toBe(joint);
    expect(log.getConfig(14)).toBe(final);
    expect(log.getConfig(15)).toBe(final);
    expect(log.getConfig(16)).toBeUndefined();
  });

  it("Log.getPositionAndConfig() gives what a snapshot at an index needs, undefined outside the log", () => {
    const log = sampleLog();
    expect(log.getPositionAndConfig(10)).toEqual({ position: pos(2, 10), config: snapshotConfig });
    expect(log.getPositionAndConfig(12)).toEqual({ position: pos(2, 12), config: joint });
    expect(log.getPositionAndConfig(13)).toEqual({ position: pos(3, 13), config: joint });
    expect(log.getPositionAndConfig(15)).toEqual({ position: pos(3, 15), config: final });
    expect(log.getPositionAndConfig(9)).toBeUndefined();
    expect(log.getPositionAndConfig(16)).toBeUndefined();
  });

  it("Log takes ownership of its entries: appending to them moves the last position", () => {
    const entries = new LogEntries(pos(0, 0));
    const log = new Log(ClusterConfig.EMPTY, entries);
    entries.push(configEntry(snapshotConfig));
    expect(log.lastPosition).toEqual(pos(0, 1));
    expect(log.latestConfig()).toBe(snapshotConfig);
    expect<number>(log.latestConfigIndex()).toBe(1);
  });
});
