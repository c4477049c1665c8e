/**
 * A small seeded pseudo-random generator (sfc32, seeded through splitmix32). The simulator draws
 * every random choice from one of these, never from Math.random, so a seed replays a run exactly.
 */

/** One step of splitmix32: mixes `x` into a well-spread 32-bit value. */
function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * Derives an independent 32-bit seed for the stream named `stream` from `seed`, so that changing
 * how often one part of the simulation draws numbers does not shift the others.
 */
export function deriveSeed(seed: number, stream: string): number {
  let h = splitmix32(seed >>> 0) ^ splitmix32(Math.floor(seed / 2 ** 32));
  for (let i = 0; i < stream.length; i++) h = splitmix32(h ^ stream.charCodeAt(i));
  return h >>> 0;
}

/** A deterministic generator: the same seed always yields the same sequence. */
export class Prng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** A generator seeded with `seed` (any safe integer). */
  constructor(seed: number) {
    let s = deriveSeed(seed, "prng");
    this.#a = s = splitmix32(s);
    this.#b = s = splitmix32(s);
    this.#c = s = splitmix32(s);
    this.#d = 1;
    for (let i = 0; i < 12; i++) this.nextU32(); // Warm up: the first outputs of sfc32 are weak.
  }

  /** The next value, uniform in [0, 2^32). */
  nextU32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** A float uniform in [0, 1). */
  float(): number {
    return this.nextU32() / 4294967296;
  }

  /** An integer uniform in [lo, hi] (both inclusive); requires lo <= hi. */
  int(lo: number, hi: number): number {
    if (!(Number.isSafeInteger(lo) && Number.isSafeInteger(hi) && lo <= hi)) {
      throw new Error(`Cannot draw an integer from [${lo}, ${hi}]`);
    }
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return p > 0 && this.float() < p;
  }

  /** A uniformly chosen element of the non-empty array `items`. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("Cannot pick from an empty list");
    return items[this.int(0, items.length - 1)];
  }

  /** A float rounded to three decimals, uniform in [lo, hi]: options print exactly as used. */
  rate(lo: number, hi: number): number {
    return Math.round((lo + this.float() * (hi - lo)) * 1000) / 1000;
  }
}
