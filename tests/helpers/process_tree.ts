/**
 * Processes a test started, by pid: whether one still runs (a zombie counts as gone), the
 * descendants of one, and stopping a set of them (SIGTERM, then SIGKILL after a deadline).
 * Reads /proc, so it is Linux-only; only pids passed in (or found below them) are signalled.
 */
import { readdirSync, readFileSync } from "node:fs";
import process from "node:process";
import { waitFor } from "./wait_for.ts";

/** The state letter and parent pid of `pid` from /proc, or undefined if there is no such process. */
function procStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may contain spaces: parse after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0], ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

/** True while `pid` exists and is not a zombie (an exited process nobody reaped yet). */
export function isRunning(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== "Z" && stat.state !== "X";
}

/** The command line of `pid` with spaces between arguments ("" if it is gone). */
export function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
  } catch {
    return "";
  }
}

/** Every process below `root` (children, their children, …), read from /proc now. */
export function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = procStat(Number(name));
    if (stat !== undefined) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), Number(name)]);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift() as number) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** Sends `signal` to `pid`, ignoring a process that is gone already. */
export function signalPid(pid: number, signal: "SIGTERM" | "SIGKILL"): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Gone already.
  }
}

/** Waits until none of `pids` runs; false if some still run after `timeoutMs`. */
export async function waitUntilGone(pids: readonly number[], timeoutMs: number): Promise<boolean> {
  try {
    await waitFor(() => pids.every((pid) => !isRunning(pid)), {
      timeoutMs,
      intervalMs: 100,
      what: "processes to exit",
    });
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to every running pid of `pids`, SIGKILL to those left after `graceMs`. */
export async function stopPids(pids: readonly number[], graceMs = 5_000): Promise<void> {
  const running = pids.filter(isRunning);
  for (const pid of running) signalPid(pid, "SIGTERM");
  if (await waitUntilGone(running, graceMs)) return;
  for (const pid of running.filter(isRunning)) signalPid(pid, "SIGKILL");
  await waitUntilGone(running, graceMs);
}
