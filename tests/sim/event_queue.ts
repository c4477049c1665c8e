/**
 * The simulator's virtual clock and event queue: a binary min-heap ordered by (time, insertion
 * number), so events due at the same tick run in the order they were scheduled.
 */

interface Slot<T> {
  readonly time: number;
  readonly order: number;
  readonly event: T;
}

function before<T>(a: Slot<T>, b: Slot<T>): boolean {
  return a.time !== b.time ? a.time < b.time : a.order < b.order;
}

/** A virtual clock with a bounded queue of future events; no real time is ever read. */
export class EventQueue<T> {
  readonly #heap: Slot<T>[] = [];
  readonly #capacity: number;
  #now = 0;
  #order = 0;

  /** A queue holding at most `capacity` events; scheduling beyond that is refused. */
  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** The current virtual time, in ticks. */
  get now(): number {
    return this.#now;
  }

  /** The number of pending events. */
  get size(): number {
    return this.#heap.length;
  }

  /**
   * Schedules `event` to run `delay` ticks from now (delay >= 0). Returns false, dropping the
   * event, when the queue is full: the bound every simulated queue must have.
   */
  schedule(delay: number, event: T): boolean {
    if (!(Number.isSafeInteger(delay) && delay >= 0)) throw new Error(`Cannot schedule an event after ${delay} ticks`);
    if (this.#heap.length >= this.#capacity) return false;
    this.#heap.push({ time: this.#now + delay, order: this.#order++, event });
    this.#siftUp(this.#heap.length - 1);
    return true;
  }

  /** Removes the earliest event, advancing the clock to its time; undefined when empty. */
  pop(): T | undefined {
    const heap = this.#heap;
    if (heap.length === 0) return undefined;
    const top = heap[0];
    const last = heap.pop() as Slot<T>;
    if (heap.length > 0) {
      heap[0] = last;
      this.#siftDown(0);
    }
    this.#now = top.time;
    return top.event;
  }

  #siftUp(k: number): void {
    const heap = this.#heap;
    const slot = heap[k];
    while (k > 0) {
      const parent = (k - 1) >> 1;
      if (!before(slot, heap[parent])) break;
      heap[k] = heap[parent];
      k = parent;
    }
    heap[k] = slot;
  }

  #siftDown(k: number): void {
    const heap = this.#heap;
    const n = heap.length;
    const slot = heap[k];
    for (;;) {
      let child = 2 * k + 1;
      if (child >= n) break;
      if (child + 1 < n && before(heap[child + 1], heap[child])) child++;
      if (!before(heap[child], slot)) break;
      heap[k] = heap[child];
      k = child;
    }
    heap[k] = slot;
  }
}
