/**
 * The catalogue of the fault run's faults: the names `--faults` accepts, and which of them need the
 * nodes' storage fault hook. `faults.ts` must implement every name listed here (a `Record` over the
 * names, so a new name does not compile until it has an implementation).
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
  "power-loss",
  "disk-full",
  "disk-stall",
] as const;

/** A fault's name. */
export type FaultName = (typeof FAULT_NAMES)[number];

/** The faults that act on a node's storage, through the storage fault hook. */
export const STORAGE_FAULT_NAMES: readonly FaultName[] = ["power-loss", "disk-full", "disk-stall"];

/**
 * True iff the run must start its nodes with the storage fault hook on: when `names` has a storage
 * fault. Runs without one keep the production file system, so both are exercised; with the hook
 * every kill (of any fault) is also a power loss, since unflushed writes live in the process.
 */
export function needsStorageHook(names: readonly string[]): boolean {
  return names.some((name) => (STORAGE_FAULT_NAMES as readonly string[]).includes(name));
}
