/** Where each node of the local cluster listens and keeps its data, and where the token is kept. */
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

/** The file that keeps the cluster token, beside the nodes' data so restarts reuse it. */
export function tokenFile(dataDir: string): string {
  return join(dataDir, "cluster-token");
}
