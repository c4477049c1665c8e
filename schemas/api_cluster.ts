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

/** Body of `GET /v1/status`. */
export const NodeStatusSchema = z
  .object({
    id: MemberIdSchema,
    url: z.string().openapi({ example: "http://10.0.0.1:7001" }),
    role: z.enum(["follower", "candidate", "leader"]),
    term: z.number().int().nonnegative(),
    leader: z.union([MemberSchema, z.null()]).openapi({ description: "The leader as this node knows it, or null" }),
    commitIndex: z.number().int().nonnegative(),
    appliedIndex: z.number().int().nonnegative(),
    lastIndex: z.number().int().nonnegative(),
    snapshotIndex: z.number().int().nonnegative(),
    members: z.array(MemberStatusSchema),
    runtime: z.object({ name: z.enum(["bun", "deno", "node"]), version: z.string() }),
  })
  .openapi("NodeStatus");

/** Body of `GET /livez`. */
export const LivezSchema = z.object({ live: z.literal(true) }).openapi("Livez");

/** One readiness check. */
export const ReadinessCheckSchema = z
  .object({
    name: z.enum(["cluster", "leader"]),
    ok: z.boolean(),
    message: z.string().openapi({ example: "the leader is n2" }),
  })
  .openapi("ReadinessCheck");

/** Body of `GET /readyz` (200 and 503 alike). */
export const ReadyzSchema = z.object({ ready: z.boolean(), checks: z.array(ReadinessCheckSchema) }).openapi("Readyz");
