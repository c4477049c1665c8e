/**
 * One load phase: `inFlight` workers, each with its own keep-alive connection to every port it
 * uses, send requests until the phase's request count or time cap is reached; the latencies of
 * the answered requests are kept (bounded by the count). A watchdog closes every connection if
 * the phase overruns its cap by far, so a stuck system cannot hang the benchmark.
 */
import { KeepAliveConnection } from "./keep_alive_connection.ts";

/** What one phase sends. */
export interface LoadPlan {
  /** Requests in flight at once (one per worker). */
  readonly inFlight: number;
  /** Most requests sent. */
  readonly maxRequests: number;
  /** No request starts after this many seconds. */
  readonly maxSeconds: number;
  /** The ports of the nodes requests go to. */
  readonly ports: readonly number[];
  /** Which of `ports` the `k`-th request of `worker` goes to. */
  portIndex(worker: number, k: number): number;
  /** The text of request number `i` (counted over the phase) to port index `port`. */
  request(i: number, port: number): string;
}

/** What one phase measured. */
export interface LoadResult {
  /** Requests sent. */
  readonly sent: number;
  /** Requests answered 2xx. */
  readonly ok: number;
  /** Requests answered otherwise, or that failed. */
  readonly failed: number;
  /** From the first request sent until the last answer. */
  readonly seconds: number;
  /** The latencies of the 2xx answers in milliseconds, ascending. */
  readonly latenciesMs: Float64Array;
  /** The first failure, if any (status and body, or the error). */
  readonly firstFailure: string | undefined;
}

/** How many connections are opened at once before a phase starts. */
const CONNECT_BATCH = 32;
/** Seconds past the time cap after which the watchdog gives up on answers still missing. */
const OVERRUN_SECONDS = 15;

/** Opens the connections of every worker (`[worker][port index]`, only the ports it uses). */
async function openConnections(plan: LoadPlan): Promise<Array<Map<number, KeepAliveConnection>>> {
  const wanted: Array<[number, number]> = [];
  for (let w = 0; w < plan.inFlight; w++) {
    const used = new Set<number>();
    for (let k = 0; k < plan.ports.length; k++) used.add(plan.portIndex(w, k));
    for (const p of used) wanted.push([w, p]);
  }
  const connections = Array.from({ length: plan.inFlight }, () => new Map<number, KeepAliveConnection>());
  for (let i = 0; i < wanted.length; i += CONNECT_BATCH) {
    await Promise.all(
      wanted.slice(i, i + CONNECT_BATCH).map(async ([w, p]) => {
        connections[w].set(p, await KeepAliveConnection.open(plan.ports[p]));
      }),
    );
  }
  return connections;
}

/** Runs `plan` and resolves with what it measured. */
export async function runLoad(plan: LoadPlan): Promise<LoadResult> {
  if (!(plan.inFlight >= 1 && plan.maxRequests >= 1)) throw new Error("a phase needs a worker and a request");
  const connections = await openConnections(plan);
  const latencies = new Float64Array(plan.maxRequests);
  let next = 0;
  let ok = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  const start = performance.now();
  const stopAt = start + plan.maxSeconds * 1000;
  const watchdog = setTimeout(
    () => {
      for (const map of connections) for (const c of map.values()) c.close();
    },
    (plan.maxSeconds + OVERRUN_SECONDS) * 1000,
  );
  const worker = async (w: number) => {
    for (let k = 0; next < plan.maxRequests && performance.now() < stopAt; k++) {
      const i = next++;
      const port = plan.portIndex(w, k);
      const connection = connections[w].get(port);
      if (connection === undefined) throw new Error(`worker ${w} has no connection to port index ${port}`);
      const t0 = performance.now();
      try {
        const answer = await connection.send(plan.request(i, port));
        if (answer.status >= 200 && answer.status < 300) latencies[ok++] = performance.now() - t0;
        else {
          failed++;
          firstFailure ??= `status ${answer.status}: ${answer.errorText}`;
        }
      } catch (error) {
        failed++;
        firstFailure ??= error instanceof Error ? error.message : String(error);
        if (performance.now() > stopAt + OVERRUN_SECONDS * 1000) return;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: plan.inFlight }, (_, w) => worker(w)));
  } finally {
    clearTimeout(watchdog);
    for (const map of connections) for (const c of map.values()) c.close();
  }
  const seconds = (performance.now() - start) / 1000;
  const answered = latencies.subarray(0, ok).sort();
  return { sent: next, ok, failed, seconds, latenciesMs: answered, firstFailure };
}
