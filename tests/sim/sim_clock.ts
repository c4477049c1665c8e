/**
 * The runtime's clock in the simulation: virtual time, timers and event-loop turns become events
 * of the simulation's queue, tagged with the node incarnation that scheduled them (a crash voids
 * them).
 */
import type { NodeId } from "../../packages/core/src/mod.ts";
import type { Clock, TimerHandle } from "../../src/server/clock.ts";

/** A callback a node scheduled; `cancelled` once its timer is cleared. */
export interface Task {
  readonly fn: () => void;
  cancelled: boolean;
}

/** The event that runs a node's task. */
export interface TaskEvent {
  readonly kind: "task";
  readonly node: NodeId;
  readonly incarnation: number;
  readonly task: Task;
}

/** What a simulated clock needs from the simulation. */
export interface TaskHost {
  /** The virtual time. */
  readonly now: number;
  /** Schedules `event` `delay` ticks from now; tasks must never be dropped. */
  schedule(delay: number, event: TaskEvent): void;
}

/** A {@link Clock} for one incarnation of one node: one tick is one millisecond. */
export class SimClock implements Clock {
  readonly #host: TaskHost;
  readonly #node: NodeId;
  readonly #incarnation: number;

  /** The clock of incarnation `incarnation` of `node`. */
  constructor(host: TaskHost, node: NodeId, incarnation: number) {
    this.#host = host;
    this.#node = node;
    this.#incarnation = incarnation;
  }

  now(): number {
    return this.#host.now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.#schedule(Math.max(0, Math.ceil(ms)), fn);
  }

  clearTimeout(handle: TimerHandle): void {
    (handle as Task).cancelled = true;
  }

  defer(fn: () => void): void {
    this.#schedule(0, fn);
  }

  #schedule(delay: number, fn: () => void): Task {
    const task: Task = { fn, cancelled: false };
    this.#host.schedule(delay, { kind: "task", node: this.#node, incarnation: this.#incarnation, task });
    return task;
  }
}
