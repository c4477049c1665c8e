/**
 * The floor a durable write over HTTP cannot beat on this machine, measured in the same run as the
 * systems: an fdatasync of a 128-byte append in a loop, in the directory the nodes keep their data
 * in (the same disk), and one loopback HTTP keep-alive round trip to a trivial server running as
 * a separate process, through the same client the load phases use.
 */
import { spawn } from "node:child_process";
import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { type NodeRuntime, nodeCommand, REPO_ROOT } from "../../tests/helpers/process_cluster.ts";
import { stopPids } from "../../tests/helpers/process_tree.ts";
import { within } from "../../tests/helpers/wait_for.ts";
import { runLoad } from "./load.ts";
import { percentile } from "./stats.ts";

/** Latency figures of a floor loop. */
export interface FloorFigures {
  readonly samples: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
}

/** How long one floor loop runs at most, and how many operations. */
const FLOOR_SECONDS = 2;
const FLOOR_OPS = 2000;

/** Figures of the ascending latencies `sorted`. */
function figuresOf(sorted: Float64Array): FloorFigures {
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    samples: sorted.length,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    meanMs: sorted.length > 0 ? sum / sorted.length : Number.NaN,
  };
}

/** Appends 128 bytes and fdatasyncs, in a loop, in a new file in `dir` (removed afterwards). */
export function fdatasyncFloor(dir: string): FloorFigures {
  const path = join(dir, "fdatasync-floor.bin");
  const fd = openSync(path, "a");
  const record = Buffer.alloc(128, 0x61);
  const latencies = new Float64Array(FLOOR_OPS);
  let n = 0;
  try {
    const stopAt = performance.now() + FLOOR_SECONDS * 1000;
    while (n < FLOOR_OPS && performance.now() < stopAt) {
      const t0 = performance.now();
      writeSync(fd, record);
      fdatasyncSync(fd);
      latencies[n++] = performance.now() - t0;
    }
  } finally {
    closeSync(fd);
    rmSync(path, { force: true });
  }
  return figuresOf(latencies.subarray(0, n).sort());
}

/** Starts the trivial server on `runtime`; resolves with its pid and port. */
async function startTrivialServer(runtime: NodeRuntime): Promise<{ pid: number; port: number }> {
  const script = join(REPO_ROOT, "scripts", "bench", "trivial_server.ts");
  const { bin } = nodeCommand(runtime);
  const args = runtime === "bun" ? [script] : ["run", "--allow-net", script];
  const child = spawn(bin, args, { cwd: REPO_ROOT, stdio: ["pipe", "pipe", "inherit"] });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`the trivial server did not start on ${runtime}`);
  const lines = createInterface({ input: child.stdout });
  const port = await within(
    new Promise<number>((resolve) => lines.on("line", (line) => resolve(Number(/^listening (\d+)$/.exec(line)?.[1])))),
    20_000,
    0,
  );
  if (!(port > 0)) {
    await stopPids([pid]);
    throw new Error(`the trivial server on ${runtime} did not say its port within 20 s`);
  }
  return { pid, port };
}

/** One keep-alive HTTP round trip at a time to a trivial server on `runtime`, in its own process. */
export async function httpFloor(runtime: NodeRuntime): Promise<FloorFigures> {
  const server = await startTrivialServer(runtime);
  try {
    const request = "GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n";
    // A short warm-up first: the server's JIT and the connection.
    const plan = { inFlight: 1, maxRequests: 300, maxSeconds: 0.5, ports: [server.port] };
    await runLoad({ ...plan, portIndex: () => 0, request: () => request });
    const result = await runLoad({
      ...plan,
      maxRequests: FLOOR_OPS,
      maxSeconds: FLOOR_SECONDS,
      portIndex: () => 0,
      request: () => request,
    });
    if (result.failed > 0) throw new Error(`the trivial server failed a request: ${result.firstFailure}`);
    return figuresOf(result.latenciesMs);
  } finally {
    await stopPids([server.pid]);
  }
}
