/**
 * `--bootstrap` given at start, checked against what the node has stored: a node that has never
 * been part of a cluster bootstraps; one whose stored configuration has exactly these members at
 * these URLs restarts from its data; any other stored state is a clear error, never ignored.
 */
import { ClusterConfig, NodeId } from "../../packages/core/src/mod.ts";
import type { MemberInfo } from "./service.ts";

/** What to do with `--bootstrap`. */
export type BootstrapDecision =
  | { readonly action: "bootstrap" }
  | { readonly action: "restart" }
  | { readonly action: "refuse"; readonly message: string };

/** The configuration that bootstrapping `members` creates. */
export function bootstrapConfig(members: readonly MemberInfo[]): ClusterConfig {
  return new ClusterConfig({
    voters: members.map((m) => NodeId.of(m.id)),
    addresses: Object.fromEntries(members.map((m) => [m.id, m.url])),
  });
}

/** `id=url,…` as the flag spells it. */
export function formatMembers(config: ClusterConfig): string {
  const parts = config.uniqueNodes().map((id) => `${id}=${config.addressOf(id) ?? "(no address)"}`);
  const learners = config.nonVoters.length > 0 ? ` (learners: ${config.nonVoters.join(", ")})` : "";
  return `${parts.join(",")}${learners}`;
}

/** Decides what `--bootstrap members` means for a node whose log holds `stored` (its latest configuration). */
export function checkBootstrap(
  members: readonly MemberInfo[],
  stored: { readonly config: ClusterConfig; readonly lastIndex: number },
  dataDir: string,
): BootstrapDecision {
  if (stored.config.isEmpty && stored.lastIndex === 0) return { action: "bootstrap" };
  const wanted = bootstrapConfig(members);
  if (stored.config.equals(wanted)) return { action: "restart" };
  const message =
    `--bootstrap ${formatMembers(wanted)} does not match the cluster stored in ${dataDir}, ` +
    `whose members are ${formatMembers(stored.config)}. ` +
    "To restart this node from its data, start it without --bootstrap; to create a new cluster, " +
    "give it an empty --data-dir.";
  return { action: "refuse", message };
}
