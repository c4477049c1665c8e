/**
 * Linearizable reads on a follower (Raft thesis §6.4, etcd's follower reads): the follower asks
 * its leader for a read index over the peer link, the leader confirms its leadership with a quorum
 * and answers its commit index, and the follower serves the read from its own state machine once
 * it has applied that index. The reads that arrive in one turn of the event loop share one request
 * (like etcd's read-index loop), and a few requests may be out at once, so a burst of reads costs
 * one round trip to the leader per batch without waiting behind the batch before it.
 */
import { assert } from "../../packages/core/src/mod.ts";
import type { Clock } from "./clock.ts";
import type { ReadIndexAnswer } from "./link_forwarder.ts";
import type { ReadOutcome } from "./read_barrier.ts";
import type { MemberInfo, ServiceError } from "./service.ts";
import { fail } from "./write_outcome.ts";

/** Read-index requests a follower keeps out at once; reads arriving beyond that share the next one. */
export const MAX_READ_INDEX_IN_FLIGHT = 4;

/** A read may be served locally now (`ready`), or could not be asked for (`unsent`: nothing was sent), or failed. */
export type FollowerReadOutcome = "ready" | "unsent" | ServiceError;

/** What follower reads need: the leader, a way to ask it, and the local apply progress. */
export interface FollowerReadDeps {
  /** The leader this node knows, or null. */
  leader(): MemberInfo | null;
  /** Asks `leader` for a read index; null if nothing could be sent. */
  readIndex(leader: MemberInfo): Promise<ReadIndexAnswer> | null;
  /** Waits until the local state machine applied `index`. */
  waitApplied(index: number): Promise<ReadOutcome | "overloaded">;
}

/** Settings of {@link FollowerReads}. */
export interface FollowerReadOptions {
  /** The clock whose `defer` gathers the reads of one turn. */
  readonly clock: Clock;
  /** Reads that may wait for a read-index request at once; more are refused (`overloaded`). */
  readonly capacity: number;
  /** Told the number of reads each read-index request serves, for metrics. */
  readonly onBatch?: (reads: number) => void;
}

/** Batches a follower's linearizable reads into read-index requests, a few outstanding at a time. */
export class FollowerReads {
  readonly #deps: FollowerReadDeps;
  readonly #options: FollowerReadOptions;
  /** Reads waiting for the next request. Invariant: at most `capacity`. */
  #queued: Array<(outcome: FollowerReadOutcome) => void> = [];
  /** Requests out. Invariant: at most {@link MAX_READ_INDEX_IN_FLIGHT}. */
  #inFlight = 0;
  #scheduled = false;

  /** Batches over `deps`. */
  constructor(deps: FollowerReadDeps, options: FollowerReadOptions) {
    const capacity = options.capacity;
    assert(Number.isInteger(capacity) && capacity > 0, "the follower read capacity is a positive integer");
    this.#deps = deps;
    this.#options = options;
  }

  /** Reads waiting for a read-index request to be sent. */
  get queued(): number {
    return this.#queued.length;
  }

  /** Resolves once a read that arrived now may be served from the local state machine, or why it may not. */
  read(): Promise<FollowerReadOutcome> {
    if (this.#queued.length >= this.#options.capacity) {
      return Promise.resolve(fail("overloaded", "too many reads are waiting for a read index; retry later"));
    }
    return new Promise((resolve) => {
      this.#queued.push(resolve);
      this.#schedule();
    });
  }

  /** Sends the next request soon, unless enough are out (an answer then sends the next). */
  #schedule(): void {
    if (this.#inFlight >= MAX_READ_INDEX_IN_FLIGHT || this.#scheduled) return;
    this.#scheduled = true;
    this.#options.clock.defer(() => this.#flush()); // Reads arriving in the same turn share the request.
  }

  /** Asks the leader for one read index on behalf of every queued read (they all arrived before it is sent). */
  #flush(): void {
    this.#scheduled = false;
    if (this.#queued.length === 0) return;
    const batch = this.#queued;
    this.#queued = [];
    const leader = this.#deps.leader();
    const asked = leader === null ? null : this.#deps.readIndex(leader);
    if (asked === null) {
      for (const resolve of batch) resolve("unsent");
      return;
    }
    this.#inFlight += 1;
    this.#options.onBatch?.(batch.length);
    asked
      .then((answer) => (answer.ok ? this.#applied(answer.index) : answer))
      .then((outcome) => {
        this.#inFlight -= 1;
        for (const resolve of batch) resolve(outcome);
        if (this.#queued.length > 0) this.#schedule();
      });
  }

  /** Waits until the read index is applied here. */
  async #applied(index: number): Promise<FollowerReadOutcome> {
    const outcome = await this.#deps.waitApplied(index);
    switch (outcome) {
      case "ready":
        return "ready";
      case "overloaded":
        return fail("overloaded", "too many reads are waiting to be applied; retry later");
      case "timeout":
        return fail("timeout", `this node did not apply the leader's read index ${index} in time`);
      case "stopped":
        return fail("shutting_down", "the node is stopping");
      case "not_leader":
        return fail("storage_unavailable", "this node's storage failed while the read waited; it retries reopening it");
    }
  }
}
