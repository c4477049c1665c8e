/**
 * Fail-stop. After a failed fsync the kernel may already have dropped the dirty pages while
 * marking them clean, so a retry can "succeed" without the data ever reaching the disk. The only
 * safe reaction is to stop the process and recover from what is really on disk.
 */
import process from "node:process";

/** Called when storage cannot continue safely. It must not return (it exits or throws). */
export type FatalHandler = (message: string, cause: unknown) => never;

/** The exit status used by {@link exitProcess}; EX_SOFTWARE from sysexits.h. */
export const FATAL_EXIT_CODE = 70;

/** The default {@link FatalHandler}: prints `message` and the cause to stderr and exits the process. */
export function exitProcess(message: string, cause: unknown): never {
  const detail = cause instanceof Error ? cause.message : String(cause);
  console.error(`FATAL: ${message} (${detail}). Stopping now; restart the node to recover from the disk.`);
  process.exit(FATAL_EXIT_CODE);
}

/** Calls `handler`; if it returns anyway (a broken handler), throws so the caller still stops. */
export function failStop(handler: FatalHandler, message: string, cause: unknown): never {
  handler(message, cause);
  throw new Error(`fatal handler returned after: ${message}`);
}
