/**
 * A small seeded pseudo-random source in [0, 1) (mulberry32) for tests that want repeatable data
 * or jitter; the simulator has its own streams (tests/sim/prng.ts).
 */

/** The source for `seed`: the same seed always yields the same sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
