/**
 * The heartbeat read barrier (etcd's read_only.go, without its queue): a leader numbers its
 * heartbeats, followers echo the number of the newest call they answered, and a heartbeat is
 * confirmed once a quorum echoed it (or a later one) in the same leadership. A confirmed
 * heartbeat proves that the node still led when it was sent: the barrier of a linearizable read.
 */
import type { ClusterConfig } from "./config.ts";
import type { ProgressTracker } from "./progress.ts";

/** Whether a heartbeat read barrier has been confirmed by a quorum in this leader's term. */
export type HeartbeatStatus = "pending" | "confirmed" | "rejected";

/** The heartbeat numbering of one node, across its leaderships. */
export class HeartbeatBarrier {
  /** Heartbeat sequence number; never reset, so values from an old tenure stay distinguishable. */
  #seq = 0;
  /** The value of #seq when this node last became leader. */
  #base = 0;

  /** The newest heartbeat number (AppendEntriesCalls carry it). */
  get seq(): number {
    return this.#seq;
  }

  /** Numbers a new heartbeat and returns its number. */
  next(): number {
    this.#seq += 1;
    return this.#seq;
  }

  /** A new leadership starts: heartbeats numbered so far belong to earlier ones. */
  startLeadership(): void {
    this.#base = this.#seq;
  }

  /** The status of heartbeat `seq` for a leader whose followers are `tracker`, in `config`. */
  status(seq: number, config: ClusterConfig, tracker: ProgressTracker): HeartbeatStatus {
    if (seq <= this.#base || seq > this.#seq) return "rejected";
    return tracker.quorumSeq(config, this.#seq) >= seq ? "confirmed" : "pending";
  }
}
