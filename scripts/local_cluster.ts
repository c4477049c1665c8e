/**
 * Starts a local cluster on loopback (`npm start`): checks that every port is free, makes the
 * cluster's tokens at the first start (kept under ./data), starts one node process per node with
 * its data under ./data, bootstraps the cluster at the first start, and
 * prints the node URLs, the dashboard and docs URLs and curl commands to try. A node that dies is reported with
 * the command that restarts it while the others keep running; Ctrl-C stops every node.
 *
 * Usage: bun scripts/local_cluster.ts [--nodes 3] [--base-port 7001] [--data-dir data] [--runtime bun|deno]
 */
import process from "node:process";
import { readOrCreateTokens } from "./local_cluster/cluster_token.ts";
import { nodeSpecs, tokenFiles } from "./local_cluster/layout.ts";
import { parseCommandLine, USAGE } from "./local_cluster/options.ts";
import { describePortProblem, firstUnavailablePort } from "./local_cluster/port_check.ts";
import { LocalCluster } from "./local_cluster/supervisor.ts";

/** Exit code for a failure: a port in use, a node that did not come up, no leader, every node gone. */
const EXIT_FAILURE = 1;
/** Exit code for a bad command line. */
const EXIT_USAGE = 2;

async function main(): Promise<number> {
  const commandLine = parseCommandLine(process.argv.slice(2));
  if (commandLine.kind === "help") {
    console.log(USAGE);
    return 0;
  }
  if (commandLine.kind === "invalid") {
    console.error(`Cannot start the cluster: ${commandLine.message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  const { options } = commandLine;
  const nodes = nodeSpecs(options);
  const ports = nodes.map((n) => n.port);
  const problem = await firstUnavailablePort(ports);
  if (problem !== undefined) {
    console.error(describePortProblem(problem, ports));
    return EXIT_FAILURE;
  }
  const { adminToken } = readOrCreateTokens(tokenFiles(options.dataDir));
  return await new LocalCluster(options, nodes, adminToken).run();
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`Cannot run the local cluster: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(EXIT_FAILURE);
  },
);
