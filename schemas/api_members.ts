/** Zod schemas of the membership routes: list, add, promote and remove members, transfer leadership. */
import { z } from "@hono/zod-openapi";
import { MemberIdSchema, MemberSchema, MemberUrlSchema } from "./api_cluster.ts";
import { RedirectSchema } from "./api_kv.ts";

/** A member with its role and, as the leader sees it, its replication state. */
export const MemberViewSchema = z
  .object({
    id: MemberIdSchema,
    url: z.union([MemberUrlSchema, z.null()]).openapi({ description: "Null until this node has learned it" }),
    role: z.enum(["voter", "learner", "joining_voter", "leaving_voter"]),
    leader: z.boolean().openapi({ description: "True for the leader" }),
    matchIndex: z
      .union([z.number().int().nonnegative(), z.null()])
      .openapi({ description: "The highest index known in its log (the leader's view; null for the leader itself)" }),
    lag: z
      .union([z.number().int().nonnegative(), z.null()])
      .openapi({ description: "Entries it lacks behind the commit index (null where matchIndex is)" }),
    lastContactMs: z
      .union([z.number().nonnegative(), z.null()])
      .openapi({ description: "Milliseconds since the leader last heard from it (null if never)" }),
    reachable: z
      .union([z.boolean(), z.null()])
      .openapi({ description: "Whether the leader heard from it within an election timeout" }),
    promotionPending: z
      .boolean()
      .openapi({ description: "True for a learner the leader promotes to voter once it has caught up" }),
  })
  .openapi("MemberView");

/** `GET /v1/cluster/members` query: served by the leader (forwarded), or `stale` from this node's view. */
export const MembersQuerySchema = z.strictObject({
  consistency: z
    .enum(["leader", "stale"])
    .optional()
    .openapi({
      description:
        "`leader` (default): the leader answers, with every member's replication state; `stale`: this node " +
        "answers from its own configuration (replication fields are null unless it leads)",
    }),
  redirect: RedirectSchema,
});

/** The members of the latest configuration. */
export const MembersSchema = z.object({ members: z.array(MemberViewSchema) }).openapi("Members");

/** Body of `POST /v1/cluster/members`. */
export const AddMemberBodySchema = z
  .strictObject({
    id: MemberIdSchema,
    url: MemberUrlSchema,
    learner: z.boolean().default(false).openapi({
      description: "True: the node stays a learner; false (default): the leader promotes it to voter once caught up",
    }),
  })
  .openapi("AddMemberRequest");

/** The configuration a membership change ended in. */
export const MembershipChangeSchema = z
  .object({
    changed: z.boolean().openapi({ description: "False when the request was already satisfied (nothing changed)" }),
    members: z.array(MemberViewSchema),
  })
  .openapi("MembershipChange");

/** Path parameters naming a member. */
export const MemberParamsSchema = z.object({
  id: MemberIdSchema.openapi({ param: { name: "id", in: "path" } }),
});

/** `DELETE /v1/cluster/members/{id}` query. */
export const RemoveMemberQuerySchema = z.strictObject({
  force: z.enum(["true", "false"]).optional().openapi({
    description: "`true`: remove even if the voters left would be fewer reachable ones than a quorum",
  }),
  redirect: RedirectSchema,
});

/** Query of the mutating membership routes. */
export const MembershipQuerySchema = z.strictObject({ redirect: RedirectSchema });

/** Body of `POST /v1/cluster/leader`. */
export const TransferBodySchema = z
  .strictObject({
    to: MemberIdSchema.optional().openapi({
      description: "The voter to hand leadership to; default the most caught-up one",
    }),
  })
  .openapi("TransferLeaderRequest");

/** The leader after a transfer. */
export const LeaderChangeSchema = z
  .object({ leader: MemberSchema, term: z.number().int().nonnegative() })
  .openapi("LeaderChange");
