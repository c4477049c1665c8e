/** Where each node of the local cluster listens and keeps its data, and where the tokens are kept. */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ClusterOptions } from "./options.ts";

/** The repository root: node processes run from here, and printed commands are meant for it. */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** One node of the local cluster. */
export interface NodeSpec {
  /** `n1`, `n2`, … */
  readonly id: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Absolute path of the node's data directory (`<data dir>/<id>`). */
  readonly dataDir: string;
}

/** Every node the options ask for, n1 first. */
export function nodeSpecs(options: ClusterOptions): NodeSpec[] {
  return Array.from({ length: options.nodes }, (_, i) => {
    const id = `n${i + 1}`;
    const port = options.basePort + i;
    return { id, port, url: `http://127.0.0.1:${port}`, dataDir: join(options.dataDir, id) };
  });
}

/** The files that keep the cluster's tokens, beside the nodes' data so restarts reuse them. */
export interface TokenFiles {
  /** The peer links' shared secret. */
  readonly cluster: string;
  /** The API's admin token (every `/v1` operation). */
  readonly admin: string;
  /** The API's read-only token. */
  readonly read: string;
}

/** Where the tokens of the cluster under `dataDir` are kept. */
export function tokenFiles(dataDir: string): TokenFiles {
  return {
    cluster: join(dataDir, "cluster-token"),
    admin: join(dataDir, "admin-token"),
    read: join(dataDir, "read-token"),
  };
}
