/**
 * The abort signal of one attempt: its own deadline (`AbortSignal.timeout`), combined with the
 * caller's signal through `AbortSignal.any` where the runtime has it.
 */

/** The signal of one attempt, and why it aborted. */
export interface AttemptSignal {
  /** Pass this to fetch. */
  readonly signal: AbortSignal;
  /** True once the attempt's own deadline passed. */
  timedOut(): boolean;
  /** True once the caller's signal aborted. */
  callerAborted(): boolean;
  /** Detaches listeners from the caller's signal (call when the attempt is over). */
  dispose(): void;
}

/** A signal that aborts after `timeoutMs` or when `caller` aborts, whichever is first. */
export function attemptSignal(timeoutMs: number, caller?: AbortSignal): AttemptSignal {
  const deadline = AbortSignal.timeout(timeoutMs);
  const base = {
    timedOut: () => deadline.aborted,
    callerAborted: () => caller?.aborted === true,
  };
  if (caller === undefined) return { ...base, signal: deadline, dispose: () => {} };
  if (typeof AbortSignal.any === "function") {
    return { ...base, signal: AbortSignal.any([deadline, caller]), dispose: () => {} };
  }
  return { ...base, ...combineByHand([deadline, caller]) };
}

/** `AbortSignal.any` for runtimes without it: a controller aborted by the first of `signals`. */
function combineByHand(signals: readonly AbortSignal[]): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onAbort = (event: Event) => controller.abort((event.target as AbortSignal).reason);
  for (const s of signals) {
    if (s.aborted) {
      controller.abort(s.reason);
      return { signal: controller.signal, dispose: () => {} };
    }
  }
  for (const s of signals) s.addEventListener("abort", onAbort, { once: true });
  const dispose = () => {
    for (const s of signals) s.removeEventListener("abort", onAbort);
  };
  return { signal: controller.signal, dispose };
}
