/**
 * A system under test as the benchmark sees it: three node processes on loopback ports, one of
 * them the leader, the raw HTTP requests that write and linearizably read one key, and the
 * counters each node exposes. Our nodes and etcd members both take this shape.
 */
import type { SyncCounters } from "./sync_counters.ts";

/** A running 3-node system. */
export interface BenchSystem {
  /** "ours-bun", "ours-deno" or "etcd". */
  readonly name: string;
  /** The client port of each node. */
  readonly ports: readonly number[];
  /** The pid of each node's process (same order as `ports`). */
  readonly pids: readonly number[];
  /** The version of the runtime or server, for the result file. */
  readonly version: string;
  /** The index in `ports` of the node that leads now. */
  leaderIndex(): Promise<number>;
  /** The text of a request writing `value` under `key` (both ASCII). */
  writeRequest(key: string, value: string): string;
  /** The text of a request reading `key` linearizably. */
  readRequest(key: string): string;
  /** Resolves with what a linearizable read of `key` through node `index` answers (the value, or null). */
  readValue(index: number, key: string): Promise<string | null>;
  /** The sync counters of node `index`, from its /metrics. */
  syncCounters(index: number): Promise<SyncCounters>;
  /** Stops every node process (by pid) and removes the data. */
  stop(): Promise<void>;
}

/** An HTTP/1.1 request with a JSON body, as text. */
export function jsonRequest(method: string, path: string, headers: string, body: string): string {
  return (
    `${method} ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n${headers}content-type: application/json\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}
