/**
 * The catalogue of the fault run's faults: the names `--faults` accepts, and those planned but not
 * available yet. `faults.ts` must implement every name listed here (a `Record` over the names, so
 * a new name does not compile until it has an implementation).
 */

/** Every fault the run can inject, by the name `--faults` takes. */
export const FAULT_NAMES = [
  "kill-leader",
  "kill-random",
  "kill-all",
  "pause-leader",
  "pause-random",
  "partition-leader",
  "partition-halves",
  "partition-one-way",
  "partition-ring",
  "slow-links",
  "flaky-links",
  "member-replace",
  "transfer-leader",
] as const;

/** A fault's name. */
export type FaultName = (typeof FAULT_NAMES)[number];

/** A fault that is planned but cannot run yet, and what it waits for. */
export interface PlannedFault {
  readonly name: string;
  readonly needs: string;
}

/**
 * Storage faults come with the nodes' storage hooks (being built on another branch). To add one:
 * move its name from here to {@link FAULT_NAMES} and implement it in `faults.ts`; its `start` gets
 * the {@link import("./faults.ts").FaultContext} (node pids, data directories, kill and restart).
 */
export const PLANNED_FAULTS: readonly PlannedFault[] = [
  { name: "power-loss", needs: "the storage hooks that drop unsynced writes on a crash (not merged yet)" },
  { name: "disk-full", needs: "the storage hooks that make writes fail with ENOSPC (not merged yet)" },
  { name: "disk-stall", needs: "the storage hooks that stall fsync (not merged yet)" },
];
