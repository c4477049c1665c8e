/**
 * Notices when the process that started this one has exited: its parent changed (an orphan is
 * adopted by another process) or the parent's pid no longer exists. Uses only `process.ppid` and
 * `process.kill(pid, 0)`, so it behaves the same on Bun and Deno.
 */
import process from "node:process";

/** The pid of the process that started this one, read when this module is first loaded. */
const STARTED_BY = process.ppid;

/** How often the parent is checked by default. */
const DEFAULT_INTERVAL_MS = 500;

/** True unless `pid` is known not to exist (no permission to signal it still means it exists). */
function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code !== "ESRCH";
  }
}

/** True while the process that started this one is still its parent and still exists. */
export function parentIsAlive(): boolean {
  return process.ppid === STARTED_BY && exists(STARTED_BY);
}

/**
 * Calls `onGone` once, within about `intervalMs`, after the process that started this one exited.
 * Returns a function that stops watching. The timer does not keep the process alive.
 */
export function watchParent(onGone: () => void, intervalMs = DEFAULT_INTERVAL_MS): () => void {
  const timer = setInterval(() => {
    if (parentIsAlive()) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  (timer as { unref?: () => void }).unref?.();
  return () => clearInterval(timer);
}
