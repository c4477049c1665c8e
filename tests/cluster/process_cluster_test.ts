/** The process-cluster helper itself: ports, kill -9 by pid, restart on a briefly taken port, cleanup. */
import { afterAll, describe, expect } from "bun:test";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { freePorts, ProcessCluster } from "../helpers/process_cluster.ts";
import { waitFor } from "../helpers/wait_for.ts";
import { clusterIt, STOP_TIMEOUT_MS } from "./cluster_scenarios.ts";

describe("the process-cluster helper", () => {
  const cluster = new ProcessCluster({ runtimes: ["bun"] });
  afterAll(() => cluster.stop(), { timeout: STOP_TIMEOUT_MS });

  clusterIt(cluster, "freePorts() returns distinct bindable loopback ports", async () => {
    const ports = await freePorts(5);
    expect(new Set(ports).size).toBe(5);
    for (const port of ports) expect(port).toBeGreaterThan(0);
  });

  clusterIt(cluster, "waitFor() names what it waited for, the time and the last error", async () => {
    const failing = waitFor(
      () => {
        throw new Error("not yet");
      },
      { timeoutMs: 100, intervalMs: 10, what: "the impossible" },
    );
    await expect(failing).rejects.toThrow(/waiting for the impossible; last error: not yet/);
    expect(await waitFor(() => 42, { what: "a number" })).toBe(42);
  });

  clusterIt(cluster, "kill -9 by pid, then a restart on the same port once it is free again", async () => {
    await cluster.start();
    const node = cluster.nodes[0];
    const pid = node.pid;
    await cluster.kill(node);
    expect(node.running).toBe(false);
    expect(node.output).toContain(`SIGKILL to ${node.id} (pid ${pid})`);
    // Someone else holds the port for a moment: the first restart fails to bind and is tried again.
    const squatter = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => squatter.listen(node.port, "127.0.0.1", resolve));
    const restarted = cluster.restart(node);
    await waitFor(() => /Is port \d+ in use/.test(node.output), { what: "the first restart to fail" });
    await new Promise((resolve) => squatter.close(resolve));
    await restarted;
    expect(node.output).toMatch(/start #2 exited \(code 1\)/);
    expect(node.running).toBe(true);
    expect(node.pid).not.toBe(pid);
    expect((await node.status()).id).toBe(node.id);
  });

  clusterIt(cluster, "stop() ends every process and deletes the data directories", async () => {
    await cluster.stop();
    expect(cluster.running).toEqual([]);
    for (const node of cluster.nodes) expect(existsSync(node.dataDir)).toBe(false);
  });
});
