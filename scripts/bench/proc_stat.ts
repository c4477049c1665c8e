/**
 * A process's CPU time and resident memory from Linux's /proc: utime + stime of /proc/<pid>/stat
 * (every thread of the process, in clock ticks) and VmRSS of /proc/<pid>/status.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

/**
 * utime + stime in clock ticks from the text of /proc/<pid>/stat. The command name (field 2) is in
 * parentheses and may hold spaces and parentheses, so the fields are read after the last ')'.
 */
export function cpuTicksOfStat(stat: string): number {
  const close = stat.lastIndexOf(")");
  if (close < 0) throw new Error(`not a /proc/<pid>/stat line: ${stat.slice(0, 80)}`);
  // After ") " come field 3 (state) onwards; utime is field 14 and stime field 15.
  const fields = stat.slice(close + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isSafeInteger(utime) || !Number.isSafeInteger(stime)) {
    throw new Error(`no utime/stime in /proc/<pid>/stat: ${stat.slice(0, 120)}`);
  }
  return utime + stime;
}

/** VmRSS in KiB from the text of /proc/<pid>/status; undefined when absent (a zombie has none). */
export function rssKibOfStatus(status: string): number | undefined {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  return match === null ? undefined : Number(match[1]);
}

/** Clock ticks per second (`getconf CLK_TCK`; 100 when it cannot be asked). */
export function clockTicksPerSecond(): number {
  const answer = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  const ticks = Number(answer.stdout?.trim());
  return answer.status === 0 && Number.isSafeInteger(ticks) && ticks > 0 ? ticks : 100;
}

/** The CPU time `pid` has used so far, in clock ticks. */
export function cpuTicksOf(pid: number): number {
  return cpuTicksOfStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
}

/** The resident memory of `pid` in KiB, or undefined when the process is gone. */
export function rssKibOf(pid: number): number | undefined {
  try {
    return rssKibOfStatus(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return undefined;
  }
}
