/** Zod schemas of the cluster and node routes of the HTTP API: bootstrap, status and health. */
import { z } from "@hono/zod-openapi";

/** Most members a new cluster may start with. */
export const MAX_BOOTSTRAP_MEMBERS = 9;

/** A member id: 1..64 letters, digits, '.', '_' or '-'. */
export const MemberIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._-]+$/, "use letters, digits, '.', '_' and '-'")
  .openapi({ example: "n1" });

/** An absolute http(s) URL where a member serves this API and its peer links. */
export const MemberUrlSchema = z
  .url({ protocol: /^https?$/, error: "expected an absolute http(s) URL" })
  .max(2048)
  .openapi({ example: "http://10.0.0.1:7001" });

/** A cluster member. */
export const MemberSchema = z.object({ id: MemberIdSchema, url: MemberUrlSchema }).openapi("Member");

/** Body of `POST /v1/cluster`. */
export const BootstrapBodySchema = z
  .strictObject({
    members: z
      .array(MemberSchema)
      .min(1)
      .max(MAX_BOOTSTRAP_MEMBERS)
      .superRefine((members, ctx) => {
        const seen = new Set<string>();
        for (const [i, m] of members.entries()) {
          if (seen.has(m.id))
            ctx.addIssue({ code: "custom", path: [i, "id"], message: `duplicate member id '${m.id}'` });
          seen.add(m.id);
        }
      })
      .openapi({ description: "The voters of the new cluster; must include this node (ids are unique)" }),
  })
  .openapi("BootstrapRequest");

/** Body of a successful `POST /v1/cluster`. */
export const BootstrapResultSchema = z.object({ members: z.array(MemberSchema) }).openapi("BootstrapResult");

/** A member with its role in the latest configuration. */
export const MemberStatusSchema = z
  .object({
    id: MemberIdSchema,
    url: z
      .union([MemberUrlSchema, z.null()])
      .openapi({ description: "The member's URL, or null until this node has learned it from the cluster" }),
    role: z.enum(["voter", "learner", "joining_voter", "leaving_voter"]),
  })
  .openapi("MemberStatus");

/** A follower's replication progress as the leader sees it. */
export const FollowerProgressSchema = z
  .object({
    id: MemberIdSchema,
    voter: z.boolean().openapi({ description: "False for a learner" }),
    matchIndex: z
      .number()
      .int()
      .nonnegative()
      .openapi({ description: "The highest index known to be in the follower's log" }),
    nextIndex: z.number().int().positive().openapi({ description: "The next index the leader sends it" }),
    inflight: z
      .number()
      .int()
      .nonnegative()
      .openapi({ description: "Calls carrying entries sent to it and not answered yet" }),
    state: z.enum(["probe", "replicate", "snapshot"]).openapi({
      description:
        "`probe`: the leader looks for where their logs match; `replicate`: entries stream to it; `snapshot`: it catches up through a snapshot",
    }),
    ticksSinceContact: z
      .number()
      .int()
      .nonnegative()
      .openapi({ description: "Leader heartbeat intervals since it last answered" }),
    lastContactMs: z.union([z.number().nonnegative(), z.null()]).openapi({
      description: "Milliseconds since this node last received any message from it, or null if it never did",
    }),
  })
  .openapi("FollowerProgress");

/** The Raft options in force on a node. */
export const NodeOptionsSchema = z
  .object({
    preVote: z.boolean().openapi({ description: "Pre-vote: a node that cannot win an election never raises its term" }),
    checkQuorum: z.boolean().openapi({
      description:
        "Check-quorum: a leader that hears from no quorum steps down; voters ignore vote requests while they hear from a leader",
    }),
  })
  .openapi("NodeOptions");

/** Body of `GET /v1/status`. */
export const NodeStatusSchema = z
  .object({
    id: MemberIdSchema,
    url: z.string().openapi({ example: "http://10.0.0.1:7001" }),
    role: z.enum(["follower", "precandidate", "candidate", "leader"]).openapi({
      description: "`precandidate`: asking for pre-votes before campaigning; it has not raised its term",
    }),
    term: z.number().int().nonnegative(),
    leader: z.union([MemberSchema, z.null()]).openapi({ description: "The leader as this node knows it, or null" }),
    commitIndex: z.number().int().nonnegative(),
    appliedIndex: z.number().int().nonnegative(),
    lastIndex: z.number().int().nonnegative(),
    snapshotIndex: z.number().int().nonnegative(),
    members: z.array(MemberStatusSchema),
    progress: z
      .array(FollowerProgressSchema)
      .openapi({ description: "On the leader, one entry per follower; empty on every other node" }),
    options: NodeOptionsSchema,
    runtime: z.object({ name: z.enum(["bun", "deno", "node"]), version: z.string() }),
  })
  .openapi("NodeStatus");

/** Body of `GET /livez`. */
export const LivezSchema = z.object({ live: z.literal(true) }).openapi("Livez");

/** One readiness check. */
export const ReadinessCheckSchema = z
  .object({
    name: z.enum(["cluster", "leader", "quorum", "storage", "caught_up"]),
    ok: z.boolean(),
    message: z.string().openapi({ example: "the leader is n2" }),
  })
  .openapi("ReadinessCheck");

/** Body of `GET /readyz` (200 and 503 alike). */
export const ReadyzSchema = z.object({ ready: z.boolean(), checks: z.array(ReadinessCheckSchema) }).openapi("Readyz");
