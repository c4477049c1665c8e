/** The three Raft roles (the paper calls them states). */

/** A node's role: every node starts as a follower. */
export type Role = "follower" | "candidate" | "leader";
