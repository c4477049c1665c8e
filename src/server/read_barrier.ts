/**
 * Linearizable reads (ReadIndex through a heartbeat): a read waits until a quorum confirmed this
 * leader after the read arrived, then until the state machine has applied the commit index seen
 * at that time. A follower's read waits only for the second part: its leader confirmed the read
 * index (see `follower_reads.ts`). Bounded, with a timeout each.
 */
import type { HeartbeatStatus } from "../../packages/core/src/mod.ts";
import type { Clock, TimerHandle } from "./clock.ts";

/** How a read barrier ended. */
export type ReadOutcome = "ready" | "not_leader" | "timeout" | "stopped";

interface PendingRead {
  readonly seq: number;
  readonly readIndex: number;
  confirmed: boolean;
  readonly resolve: (outcome: ReadOutcome) => void;
  readonly timer: TimerHandle;
}

/** Pending linearizable reads of one leader. */
export class ReadBarrier {
  #pending: PendingRead[] = [];
  readonly #capacity: number;
  readonly #clock: Clock;
  readonly #timeoutMs: number;

  /** Creates an empty barrier. */
  constructor(capacity: number, clock: Clock, timeoutMs: number) {
    this.#capacity = capacity;
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
  }

  /** The number of pending reads. */
  get size(): number {
    return this.#pending.length;
  }

  /** True iff no more reads may wait. */
  get isFull(): boolean {
    return this.#pending.length >= this.#capacity;
  }

  /** Waits until heartbeat `seq` is confirmed and `readIndex` is applied. */
  wait(seq: number, readIndex: number): Promise<ReadOutcome> {
    if (this.isFull) throw new Error("ReadBarrier.wait() called while full");
    return new Promise((resolve) => {
      const read: PendingRead = {
        seq,
        readIndex,
        confirmed: false,
        resolve,
        timer: this.#clock.setTimeout(() => this.#finish(read, "timeout"), this.#timeoutMs),
      };
      this.#pending.push(read);
    });
  }

  /**
   * Waits until `readIndex` is applied: a follower's read whose read index the leader already
   * confirmed with a quorum (Raft thesis §6.4).
   */
  waitApplied(readIndex: number): Promise<ReadOutcome> {
    if (this.isFull) throw new Error("ReadBarrier.waitApplied() called while full");
    return new Promise((resolve) => {
      const read: PendingRead = {
        seq: -1,
        readIndex,
        confirmed: true,
        resolve,
        timer: this.#clock.setTimeout(() => this.#finish(read, "timeout"), this.#timeoutMs),
      };
      this.#pending.push(read);
    });
  }

  /** Re-evaluates every pending read against the node's heartbeat status and the applied index. */
  poll(statusOf: (seq: number) => HeartbeatStatus, appliedIndex: number): void {
    if (this.#pending.length === 0) return;
    for (const read of [...this.#pending]) {
      if (!read.confirmed) {
        const status = statusOf(read.seq);
        if (status === "rejected") {
          this.#finish(read, "not_leader");
          continue;
        }
        read.confirmed = status === "confirmed";
      }
      if (read.confirmed && appliedIndex >= read.readIndex) this.#finish(read, "ready");
    }
  }

  /** Ends every wait. */
  stopAll(outcome: ReadOutcome): void {
    for (const read of [...this.#pending]) this.#finish(read, outcome);
  }

  #finish(read: PendingRead, outcome: ReadOutcome): void {
    const i = this.#pending.indexOf(read);
    if (i < 0) return;
    this.#pending.splice(i, 1);
    this.#clock.clearTimeout(read.timer);
    read.resolve(outcome);
  }
}
