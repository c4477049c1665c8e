/** The options that change a node's behaviour, and their defaults. */
import { assert } from "./assert.ts";

/**
 * Options that change a node's behaviour. Every option is off (or unlimited) by default, so a node
 * built without options behaves like raftbare with its defects fixed; the node service turns
 * pre-vote and check-quorum on.
 */
export interface RaftNodeOptions {
  /**
   * When true, a leader counts its own log toward commit only up to the position the runtime
   * reported durable with `handleLogDurable`, so the runtime may send the broadcast before its own
   * fsync completes (Raft thesis §10.2.1). When false, appended entries count at once and the
   * runtime must make each append durable before feeding the node more input.
   */
  readonly trackDurableIndex?: boolean;
  /** Upper bound on entries in one catch-up AppendEntriesCall (flow control). Default: unlimited. */
  readonly maxEntriesPerMessage?: number;
  /**
   * Upper bound on command payload bytes (string length or byte length) in one catch-up
   * AppendEntriesCall; a single larger entry is still sent alone. Default: unlimited.
   */
  readonly maxBytesPerMessage?: number;
  /**
   * Pre-vote (Raft thesis §9.6): before raising its term, a node whose election timer expired asks
   * the voters whether they would vote for it; it campaigns only once a quorum says yes. A voter
   * says yes only if the asker's log is at least as up to date and the voter heard from no leader
   * within an election timeout. A node that cannot win (cut off, or behind) so never raises its
   * term and never deposes a working leader. Default: false.
   */
  readonly preVote?: boolean;
  /**
   * Check-quorum: a leader that heard from no quorum within an election timeout steps down (so a
   * leader cut off in a minority stops taking writes and reads), and a voter that heard from a
   * leader within an election timeout ignores vote requests for a later term (leader
   * stickiness), unless they come from a leadership transfer. Default: false.
   */
  readonly checkQuorum?: boolean;
  /**
   * How many expiries of the leader's timer (heartbeat intervals) make one election timeout: the
   * period over which check-quorum looks for a quorum, and after which a leadership transfer that
   * did not finish is abandoned. The node service derives it from its timer settings. Default: 10.
   */
  readonly electionTicks?: number;
  /**
   * Flow control: at most this many AppendEntriesCalls carrying entries are unacknowledged per
   * follower (a pipelining window). A follower whose window is full gets no new entries until it
   * acknowledges some; heartbeats still reach it. Default: unlimited (sends are then not counted,
   * and the progress view shows none in flight).
   */
  readonly maxInflightMessages?: number;
  /**
   * Flow control: a leader refuses a command proposal (`uncommitted_limit`) while the payload bytes
   * of its uncommitted entries would pass this limit, so a leader without a quorum does not grow its
   * log without bound. A single proposal is always accepted when nothing is uncommitted. Default:
   * unlimited.
   */
  readonly maxUncommittedBytes?: number;
}

/** Every option with its default filled in. */
export type ResolvedOptions = Required<RaftNodeOptions>;

/** The options with defaults filled in; asserts that limits are positive. */
export function resolveOptions(options: RaftNodeOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    trackDurableIndex: options.trackDurableIndex ?? false,
    maxEntriesPerMessage: options.maxEntriesPerMessage ?? Number.POSITIVE_INFINITY,
    maxBytesPerMessage: options.maxBytesPerMessage ?? Number.POSITIVE_INFINITY,
    preVote: options.preVote ?? false,
    checkQuorum: options.checkQuorum ?? false,
    electionTicks: options.electionTicks ?? 10,
    maxInflightMessages: options.maxInflightMessages ?? Number.POSITIVE_INFINITY,
    maxUncommittedBytes: options.maxUncommittedBytes ?? Number.POSITIVE_INFINITY,
  };
  assert(resolved.maxBytesPerMessage >= 1, "maxBytesPerMessage must be at least 1");
  assert(resolved.maxEntriesPerMessage >= 1, "maxEntriesPerMessage must be at least 1");
  assert(
    Number.isInteger(resolved.electionTicks) && resolved.electionTicks >= 1,
    "electionTicks must be an integer >= 1",
  );
  assert(resolved.maxInflightMessages >= 1, "maxInflightMessages must be at least 1");
  assert(resolved.maxUncommittedBytes >= 1, "maxUncommittedBytes must be at least 1");
  return resolved;
}
