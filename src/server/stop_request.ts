/** Waits for the reason to stop a node process: SIGINT, SIGTERM or, if asked, the end of its parent. */
import process from "node:process";
import { watchParent } from "./parent_watch.ts";

/** Options of {@link waitForStopRequest}. */
export interface StopRequestOptions {
  /** Also stop once the process that started this one has exited (`--exit-with-parent true`). */
  readonly exitWithParent: boolean;
}

/** What {@link waitForStopRequest} resolves with after a signal. */
export const STOP_ON_SIGNAL = "stopping";
/** What {@link waitForStopRequest} resolves with when the parent process is gone. */
export const STOP_ON_PARENT_EXIT = "the process that started this node exited; stopping";

/** Resolves with the line to log once the node should stop, whichever request comes first. */
export function waitForStopRequest(options: StopRequestOptions): Promise<string> {
  return new Promise((resolve) => {
    const stopWatching = options.exitWithParent ? watchParent(() => done(STOP_ON_PARENT_EXIT)) : () => {};
    const onSignal = () => done(STOP_ON_SIGNAL);
    const done = (line: string) => {
      stopWatching();
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      resolve(line);
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  });
}
