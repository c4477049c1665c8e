/** What the launcher prints: the welcome once the cluster runs, and the notice when a node dies. */
import type { NodeSpec, TokenFiles } from "./layout.ts";
import { displayPath, shellQuote } from "./node_commands.ts";
import { describeExit, type NodeExit } from "./node_processes.ts";

/** What the welcome message shows. */
export interface WelcomeFacts {
  readonly nodes: readonly NodeSpec[];
  /** The pid of each node's process, by node id. */
  readonly pids: ReadonlyMap<string, number | undefined>;
  readonly dataDir: string;
  readonly tokens: TokenFiles;
  readonly leader: string;
  /** The command that restarts one node by hand (an example for one of the nodes). */
  readonly exampleRestart: { readonly id: string; readonly command: string };
}

/** The node URLs, the dashboard and docs URLs, commands to try, and how to restart one node by hand. */
export function welcome(facts: WelcomeFacts): string {
  const { nodes } = facts;
  const first = nodes[0].url;
  return [
    `\nraftbare-ts: ${nodes.length}-node cluster running (data under ${displayPath(facts.dataDir)}, leader ${facts.leader})`,
    ...nodes.map((n) => `  ${n.id}  ${n.url}  (pid ${facts.pids.get(n.id) ?? "?"})`),
    `\nDashboard: ${first}/ui   (live members, leader and admin actions; it asks for the admin token)`,
    `API docs:  ${first}/docs   (OpenAPI document: ${first}/openapi.json)\n`,
    `Every /v1 call needs a bearer token: the admin token in ${displayPath(facts.tokens.admin)} (every operation),`,
    `or the read-only token in ${displayPath(facts.tokens.read)} (reads). From the repository root, try:`,
    `  TOKEN="$(cat ${shellQuote(displayPath(facts.tokens.admin))})"`,
    `  curl -s -H "authorization: Bearer $TOKEN" -X PUT ${first}/v1/kv/greeting --json '{"value":"hello"}'`,
    `  curl -s -H "authorization: Bearer $TOKEN" ${nodes[nodes.length - 1].url}/v1/kv/greeting`,
    `  curl -s -H "authorization: Bearer $TOKEN" ${first}/v1/status`,
    `\nKill one node (kill -9 <pid>) and the others keep serving. Restart one node by hand, e.g. ${facts.exampleRestart.id}:`,
    `  ${facts.exampleRestart.command}`,
    "\nCtrl-C stops all nodes.",
  ].join("\n");
}

/** Which node died and how, that the others keep running, and the command that restarts it. */
export function deathNotice(exit: NodeExit, survivors: readonly NodeSpec[], restart: string): string {
  return [
    `\n${describeExit(exit)}; ${survivors.map((n) => n.id).join(", ")} ${survivors.length === 1 ? "keeps" : "keep"} running.`,
    `To restart ${exit.spec.id}, run this from the repository root in another terminal:`,
    `  ${restart}\n`,
  ].join("\n");
}
