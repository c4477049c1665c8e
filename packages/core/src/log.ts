/** The node's in-memory log: the snapshot point, its configuration, and the entries after it. */
import { assert } from "./assert.ts";
import type { ClusterConfig } from "./config.ts";
import type { LogIndex } from "./ids.ts";
import { LogEntries } from "./log_entries.ts";
import type { LogPosition } from "./position.ts";

/**
 * A node's log: `entries` starts right after the snapshot position (`entries.prevPosition`), and
 * `snapshotConfig` is the configuration in force at that position.
 */
export class Log {
  /** The configuration in force at the snapshot position. */
  readonly snapshotConfig: ClusterConfig;
  /** The entries after the snapshot position; owned by the log. */
  readonly entries: LogEntries;

  /** A log whose snapshot point is `entries.prevPosition`. Takes ownership of `entries`. */
  constructor(snapshotConfig: ClusterConfig, entries: LogEntries) {
    this.snapshotConfig = snapshotConfig;
    this.entries = entries;
  }

  /** An empty log at position 0/0 with the empty configuration. */
  static empty(config: ClusterConfig, position: LogPosition): Log {
    return new Log(config, new LogEntries(position));
  }

  /** The position of the last entry (the snapshot position if there is none). */
  get lastPosition(): LogPosition {
    return this.entries.lastPosition;
  }

  /** The position covered by the latest snapshot. */
  get snapshotPosition(): LogPosition {
    return this.entries.prevPosition;
  }

  /** The configuration of the last config entry, or the snapshot's. */
  latestConfig(): ClusterConfig {
    return this.entries.lastConfig() ?? this.snapshotConfig;
  }

  /** The index of the last config entry, or the snapshot index if there is none after it. */
  latestConfigIndex(): LogIndex {
    return this.entries.lastConfigIndex() ?? this.entries.prevIndex;
  }

  /** The configuration in force at `index`, or undefined outside [snapshot index, last index]. */
  getConfig(index: number): ClusterConfig | undefined {
    if (!this.entries.containsIndex(index)) return undefined;
    return this.entries.configAtOrBefore(index)?.config ?? this.snapshotConfig;
  }

  /**
   * The position at `index` and the configuration in force there, or undefined outside
   * [snapshot index, last index]. Use it to take a snapshot at `index`.
   */
  getPositionAndConfig(index: number): { position: LogPosition; config: ClusterConfig } | undefined {
    const position = this.entries.positionAt(index);
    if (position === undefined) return undefined;
    const config = this.getConfig(index);
    assert(config !== undefined, "a config is in force at every index of the log");
    return { position, config };
  }
}
