/**
 * Small statistics helpers: every figure the benchmarks report is a median of samples.
 *
 * @module
 */

/** Quantile q in [0,1] by linear interpolation; NaN for an empty list. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/**
 * Median of a list (NaN when empty).
 *
 * @example
 * ```ts
 * median([3, 1, 2]); // 2
 * ```
 */
export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

/** Summary of samples: median, interquartile range (q1, q3), min, max, count. */
export interface Summary {
  median: number;
  q1: number;
  q3: number;
  min: number;
  max: number;
  n: number;
}

/**
 * The spread of samples behind a figure: median, quartiles, extremes and count.
 *
 * @example
 * ```ts
 * import { summarize } from "./stats.ts";
 * summarize([1, 2, 3, 4, 100]); // { median: 3, q1: 2, q3: 4, min: 1, max: 100, n: 5 }
 * ```
 */
export function summarize(xs: readonly number[]): Summary {
  return {
    median: median(xs),
    q1: quantile(xs, 0.25),
    q3: quantile(xs, 0.75),
    min: xs.length ? Math.min(...xs) : NaN,
    max: xs.length ? Math.max(...xs) : NaN,
    n: xs.length,
  };
}

/** Round to `digits` significant-ish decimals for display and JSON (keeps integers intact). */
export function round(x: number, digits = 3): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
