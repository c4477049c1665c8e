/** Order statistics of benchmark samples: percentiles of latencies, medians and spread of runs. */

/** The median and the range of a set of per-run figures. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** How many figures there were. */
  readonly n: number;
}

/**
 * The nearest-rank `p` percentile (0 < p ≤ 1) of `sorted`, which must be in ascending order;
 * NaN for no samples.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!(p > 0 && p <= 1)) throw new Error(`a percentile is in (0, 1], not ${p}`);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(p * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** The median of `values` (the mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The median, min and max of `values`, leaving out figures that are not finite (a phase that did not run). */
export function spreadOf(values: readonly number[]): Spread {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite), n: finite.length };
}

/** `a / b`, NaN when either is missing or `b` is 0. */
export function ratio(a: number, b: number): number {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : Number.NaN;
}
