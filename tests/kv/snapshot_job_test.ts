import { describe, expect, it } from "bun:test";
import { KvStateMachine } from "../../src/kv/mod.ts";
import { seededRandom as rng } from "../helpers/seeded_random.ts";
import { del, payload, put } from "./kv_helpers.ts";

/** Applies one random command at `index` to every machine in `machines`: puts, deletes, new keys, CAS, retries. */
function applyRandom(machines: KvStateMachine[], index: number, next: () => number): void {
  const r = next();
  const key = `k${String(Math.floor(next() * 6000)).padStart(5, "0")}`;
  for (const sm of machines) {
    if (r < 0.5) put(sm, index, key, `v${index}`);
    else if (r < 0.75) del(sm, index, key);
    else if (r < 0.85) put(sm, index, key, "cas", { expectRevision: 0 });
    else if (r < 0.95)
      sm.apply(index, payload({ op: "put", key, value: `i${index}`, idempotencyKey: `id-${index % 50}` }));
    else sm.noteIndex(index);
  }
}

/** Two machines with the same 3000 keys (several key-index chunks), some deleted, and idempotency records. */
function twins(): { live: KvStateMachine; reference: KvStateMachine; index: number } {
  const live = new KvStateMachine();
  const reference = new KvStateMachine();
  const next = rng(7);
  let index = 0;
  for (let i = 0; i < 3000; i++) {
    index += 1;
    for (const sm of [live, reference]) put(sm, index, `k${String(i * 2).padStart(5, "0")}`, `first ${i}`);
  }
  for (let i = 0; i < 500; i++) applyRandom([live, reference], ++index, next);
  return { live, reference, index };
}

describe("incremental snapshot job", () => {
  it("gives exactly the snapshot at its start index while writes continue between its steps", () => {
    const { live, reference, index: start } = twins();
    const expected = live.snapshot();
    const job = live.beginSnapshot();
    expect(job.appliedIndex).toBe(start);
    const next = rng(11);
    let index = start;
    let steps = 0;
    while (!job.step(97)) {
      steps += 1;
      for (let i = 0; i < 20; i++) applyRandom([live, reference], ++index, next);
    }
    expect(steps).toBeGreaterThan(20);
    expect(index - start).toBeGreaterThan(400);
    expect(job.data).toEqual(expected);
    // The live state is untouched by the view: the same as a machine that never snapshotted.
    expect(live.snapshot()).toEqual(reference.snapshot());
    const restored = KvStateMachine.restore(job.data);
    if (!(restored instanceof KvStateMachine)) throw new Error(restored.error);
    expect(restored.appliedIndex).toBe(start);
    expect(restored.snapshot()).toEqual(expected);
  });

  it("is the full snapshot when nothing changes during it, and for an empty machine", () => {
    const { live } = twins();
    const job = live.beginSnapshot();
    let steps = 0;
    // One key per step, and 2 KiB of the finished snapshot copied per step: many steps of each kind.
    while (!job.step(1)) steps += 1;
    expect(steps).toBeGreaterThan(live.size + 10);
    expect(job.data).toEqual(live.snapshot());
    const empty = new KvStateMachine();
    const emptyJob = empty.beginSnapshot();
    expect(emptyJob.step()).toBe(true);
    expect(emptyJob.data).toEqual(empty.snapshot());
    expect(empty.beginSnapshot().appliedIndex).toBe(0); // The finished job released the view.
  });

  it("allows one job at a time; a cancelled or finished job releases the view", () => {
    const { live, reference, index } = twins();
    const first = live.beginSnapshot();
    expect(() => live.beginSnapshot()).toThrow(/one snapshot job at a time/);
    first.step(10);
    put(live, index + 1, "k00001", "after");
    put(reference, index + 1, "k00001", "after");
    first.cancel();
    expect(() => first.data).toThrow(/not complete/);
    const second = live.beginSnapshot();
    while (!second.step(1000)) {}
    expect(second.data).toEqual(reference.snapshot());
    expect(live.beginSnapshot().appliedIndex).toBe(index + 1);
  });
});
