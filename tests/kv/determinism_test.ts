import { describe, expect, it } from "bun:test";
import { type KvCommand, KvStateMachine } from "../../src/kv/mod.ts";
import { payload } from "./kv_helpers.ts";

/** A seeded stream of commands touching few keys, so overwrites, deletes and CAS conflicts are common. */
function commands(seed: number, count: number): string[] {
  let state = seed >>> 0;
  const next = (n: number) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % n;
  };
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const key = `k${next(20)}`;
    const kinds: KvCommand[] = [
      { op: "put", key, value: `v${i}` },
      { op: "put", key, value: `v${i}`, expectRevision: next(3) === 0 ? 0 : next(count) },
      { op: "put", key, value: `v${i}`, expectValue: `v${next(i + 1)}` },
      { op: "delete", key },
      { op: "delete", key, expectRevision: next(count) },
      { op: "noop" },
    ];
    out.push(next(10) === 0 ? "{broken" : payload(kinds[next(kinds.length)]));
  }
  return out;
}

describe("KvStateMachine determinism", () => {
  it("gives identical results and byte-identical snapshots for the same entries", () => {
    const stream = commands(1234, 3000);
    const a = new KvStateMachine();
    const b = new KvStateMachine();
    const encoder = new TextEncoder();
    for (let i = 0; i < stream.length; i++) {
      // Index gaps stand for term and configuration entries, noted on one node and skipped on the other.
      const index = 2 * i + 2;
      a.noteIndex(index - 1);
      const ra = a.apply(index, stream[i]);
      const rb = b.apply(index, encoder.encode(stream[i]));
      expect(rb).toEqual(ra);
    }
    expect(b.appliedIndex).toBe(a.appliedIndex);
    expect(b.snapshot()).toEqual(a.snapshot());
  });

  it("matches a replica that restored a snapshot half-way", () => {
    const stream = commands(99, 2000);
    const full = new KvStateMachine();
    let replica = new KvStateMachine();
    for (let i = 0; i < stream.length; i++) {
      full.apply(i + 1, stream[i]);
      replica.apply(i + 1, stream[i]);
      if (i === 999) replica = KvStateMachine.restore(replica.snapshot()) as KvStateMachine;
    }
    expect(replica.snapshot()).toEqual(full.snapshot());
    expect(replica.list("", 100)).toEqual(full.list("", 100));
  });
});
