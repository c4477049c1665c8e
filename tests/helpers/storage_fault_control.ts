/**
 * The storage fault hook of node processes, from the test side: one control directory per node
 * (passed as `RAFT_TEST_STORAGE_FAULTS`), faults turned on and off by creating and removing its
 * control files, and cleanup.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FAULT_CONTROL_FILES, STORAGE_FAULTS_ENV } from "../../src/storage/mod.ts";
import type { ClusterNode } from "./process_cluster.ts";

/** A fault the hook injects while its control file exists. */
export type StorageFault = keyof typeof FAULT_CONTROL_FILES;

/** The control directories of a cluster's nodes, made on first use. */
export class StorageFaultControl {
  readonly #dirs = new Map<string, string>();

  /** The environment that turns the hook on for `node` (for `ProcessClusterOptions.env`). */
  envOf(node: ClusterNode): Record<string, string> {
    return { [STORAGE_FAULTS_ENV]: this.dirOf(node.id) };
  }

  /** The control directory of node `id`. */
  dirOf(id: string): string {
    let dir = this.#dirs.get(id);
    if (dir === undefined) {
      dir = mkdtempSync(join(tmpdir(), `raftbare-faults-${id}-`));
      this.#dirs.set(id, dir);
    }
    return dir;
  }

  /** Turns `fault` on or off for `node` (takes effect at its next write or flush). */
  set(node: ClusterNode, fault: StorageFault, on: boolean): void {
    const file = join(this.dirOf(node.id), FAULT_CONTROL_FILES[fault]);
    node.note(`--- the test turns the storage fault '${fault}' ${on ? "on" : "off"} for ${node.id}`);
    if (on) writeFileSync(file, "");
    else rmSync(file, { force: true });
  }

  /** True iff `fault` is on for node `id` (its control file exists). */
  isOn(id: string, fault: StorageFault): boolean {
    return existsSync(join(this.dirOf(id), FAULT_CONTROL_FILES[fault]));
  }

  /** Removes every control directory. */
  cleanup(): void {
    for (const dir of this.#dirs.values()) rmSync(dir, { recursive: true, force: true });
    this.#dirs.clear();
  }
}
