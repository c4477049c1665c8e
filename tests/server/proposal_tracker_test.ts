import { describe, expect, it } from "bun:test";
import { LogPosition } from "../../packages/core/src/mod.ts";
import type { Clock } from "../../src/server/clock.ts";
import { type ProposalOutcome, ProposalTracker } from "../../src/server/proposal_tracker.ts";

/** A clock whose timers fire when `advance` passes their due time, in due order. */
class ManualClock implements Clock {
  time = 0;
  readonly timers = new Map<number, { due: number; fn: () => void }>();
  #next = 0;
  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const handle = ++this.#next;
    this.timers.set(handle, { due: this.time + ms, fn });
    return handle;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  defer(fn: () => void): void {
    fn();
  }
  advance(to: number): void {
    for (;;) {
      const due = [...this.timers].filter(([, t]) => t.due <= to).sort((a, b) => a[1].due - b[1].due)[0];
      if (due === undefined) break;
      this.timers.delete(due[0]);
      this.time = due[1].due;
      due[1].fn();
    }
    this.time = to;
  }
}

const at = (index: number) => LogPosition.of(1, index);

describe("ProposalTracker", () => {
  it("times each wait out after the timeout, in order, with one timer armed at a time", async () => {
    const clock = new ManualClock();
    const tracker = new ProposalTracker<string>(16, clock, 100);
    const ended: Array<[string, ProposalOutcome<string>["kind"]]> = [];
    const watch = (name: string, p: Promise<ProposalOutcome<string>>) => p.then((o) => ended.push([name, o.kind]));
    const a = watch("a", tracker.track(at(1)));
    clock.time = 50;
    const b = watch("b", tracker.track(at(2)));
    clock.time = 60;
    const c = watch("c", tracker.track(at(3)));
    expect(clock.timers.size).toBe(1);
    tracker.applied(2, 1, "ok-b");
    await b;
    clock.advance(99);
    expect(tracker.size).toBe(2);
    clock.advance(100);
    await a;
    expect(ended).toEqual([
      ["b", "applied"],
      ["a", "timeout"],
    ]);
    expect(clock.timers.size).toBe(1);
    clock.advance(159);
    expect(tracker.size).toBe(1);
    clock.advance(160);
    await c;
    expect(ended.map(([name, kind]) => `${name}:${kind}`)).toEqual(["b:applied", "a:timeout", "c:timeout"]);
    expect({ size: tracker.size, timers: clock.timers.size }).toEqual({ size: 0, timers: 0 });
  });

  it("disarms the timer once no wait is open, and arms it again for the next", async () => {
    const clock = new ManualClock();
    const tracker = new ProposalTracker<string>(16, clock, 100);
    const first = tracker.track(at(1));
    tracker.applied(1, 1, "ok");
    expect(await first).toEqual({ kind: "applied", result: "ok", index: 1 });
    expect(clock.timers.size).toBe(0);
    clock.time = 500;
    const second = tracker.track(at(2));
    expect(clock.timers.size).toBe(1);
    clock.advance(599);
    expect(tracker.size).toBe(1);
    clock.advance(600);
    expect(await second).toEqual({ kind: "timeout" });
  });

  it("keeps timing out the oldest open wait while many later ones end first", async () => {
    const clock = new ManualClock();
    const tracker = new ProposalTracker<number>(8, clock, 1000);
    const oldest = tracker.track(at(1));
    for (let i = 2; i < 20_000; i++) {
      const p = tracker.track(at(i));
      tracker.applied(i, 1, i);
      expect((await p).kind).toBe("applied");
      expect(tracker.size).toBe(1);
    }
    expect(clock.timers.size).toBe(1);
    clock.advance(1000);
    expect(await oldest).toEqual({ kind: "timeout" });
    expect(clock.timers.size).toBe(0);
  });

  it("decides every wait at an index by the term applied there, and stopAll ends the rest", async () => {
    const clock = new ManualClock();
    const tracker = new ProposalTracker<string>(16, clock, 100);
    const mine = tracker.track(LogPosition.of(2, 5));
    const stale = tracker.track(LogPosition.of(1, 5));
    const other = tracker.track(LogPosition.of(2, 6));
    tracker.applied(5, 2, "r");
    expect(await mine).toEqual({ kind: "applied", result: "r", index: 5 });
    expect(await stale).toEqual({ kind: "superseded" });
    tracker.stopAll("storage_stalled");
    expect(await other).toEqual({ kind: "storage_stalled" });
    expect({ size: tracker.size, timers: clock.timers.size }).toEqual({ size: 0, timers: 0 });
  });
});
