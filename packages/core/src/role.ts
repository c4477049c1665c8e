/** The Raft roles (the paper calls them states), with the pre-vote phase of Raft thesis §9.6. */

/**
 * A node's role: every node starts as a follower. A `precandidate` asks for pre-votes without
 * raising its term (only with the `preVote` option); it campaigns as a `candidate` once a quorum
 * would vote for it.
 */
export type Role = "follower" | "precandidate" | "candidate" | "leader";
