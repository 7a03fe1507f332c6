/**
 * Descriptive statistics of one sample, criterion's `stats::univariate`:
 * mean, variance, median, MAD and percentiles. The exported functions check
 * their input and never modify it; the `...Of` kernels beside them skip the
 * checks and work on a buffer (or a range of one) for the bootstrap, which
 * calls them once per resample.
 */

import { medianInPlace } from './selection.js';
import { requireLength, type Sample } from './sample.js';

// A module-level scratch buffer so that `median`/`mad` do not allocate on every
// call -- they are natural statistics for `bootstrap`, which calls them 100k
// times. JS is single-threaded and neither function calls user code while
// holding the buffer, so sharing it is safe (each worker has its own module).
let scratchBuf = new Float64Array(256);
function scratch(n: number): Float64Array {
  if (scratchBuf.length < n) scratchBuf = new Float64Array(Math.max(n, scratchBuf.length * 2));
  return scratchBuf;
}

/** Arithmetic mean. Throws on an empty sample; NaN in the input propagates. */
export function mean(xs: Sample): number {
  requireLength(xs, 1, 'mean');
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += xs[i]!;
  return sum / xs.length;
}

/**
 * Sample variance with Bessel's correction (divides by n - 1), as criterion's
 * `Sample::var`: the samples are a draw from the process, not the population.
 * Two-pass (deviations from the mean) rather than sum-of-squares, which loses
 * every significant digit when the mean (~1e6 ns) dwarfs the spread.
 *
 * @param knownMean pass a precomputed mean to save one pass.
 */
export function variance(xs: Sample, knownMean?: number): number {
  requireLength(xs, 2, 'variance');
  const m = knownMean ?? mean(xs);
  let ss = 0;
  for (let i = 0; i < xs.length; i++) {
    const d = xs[i]! - m;
    ss += d * d;
  }
  return ss / (xs.length - 1);
}

/** Sample standard deviation, `sqrt(variance)` (n - 1 denominator). */
export function stdDev(xs: Sample, knownMean?: number): number {
  return Math.sqrt(variance(xs, knownMean));
}

/**
 * Median; for an even count, the mean of the two middle values (the same as
 * `percentile(xs, 50)`). O(n) selection on a scratch copy: the input is not
 * modified and nothing is allocated per call.
 */
export function median(xs: Sample): number {
  requireLength(xs, 1, 'median');
  const n = xs.length;
  const buf = scratch(n);
  for (let i = 0; i < n; i++) {
    const v = xs[i]!;
    if (v !== v) return NaN;
    buf[i] = v;
  }
  return medianInPlace(buf, 0, n);
}

/**
 * Scale that makes the MAD a consistent estimator of the standard deviation
 * for normally distributed data (1 / Φ⁻¹(3/4)); criterion uses the same value.
 */
export const MAD_SCALE = 1.4826;

/**
 * Median absolute deviation from the median, scaled by {@link MAD_SCALE} like
 * criterion's `median_abs_dev`, so it is comparable with `stdDev` but robust to
 * the long right tail that timing samples usually have.
 *
 * @param knownMedian pass a precomputed median to save a selection.
 */
export function mad(xs: Sample, knownMedian?: number): number {
  const m = knownMedian ?? median(xs);
  requireLength(xs, 1, 'mad');
  const n = xs.length;
  const buf = scratch(n);
  for (let i = 0; i < n; i++) {
    const d = Math.abs(xs[i]! - m);
    if (d !== d) return NaN; // NaN would break the selection's comparisons
    buf[i] = d;
  }
  return medianInPlace(buf, 0, n) * MAD_SCALE;
}

/**
 * The p-th percentile (p in [0, 100]) with linear interpolation between the
 * closest ranks: rank = p/100 * (n - 1). This is criterion's
 * `Percentiles::at`, numpy's default ("linear") and R's type 7.
 *
 * Accepts sorted or unsorted input: sortedness is checked in O(n) and an
 * unsorted input is sorted on a copy (the argument is never modified).
 */
export function percentile(xs: Sample, p: number): number {
  requireLength(xs, 1, 'percentile');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile p must be in [0, 100], got ${p}`);
  for (let i = 1; i < xs.length; i++) {
    if (!(xs[i - 1]! <= xs[i]!)) return percentileOfSorted(Float64Array.from(xs).sort(), p);
  }
  return percentileOfSorted(xs, p);
}

/** {@link percentile} of an already sorted sample, unchecked. */
export function percentileOfSorted(s: Sample, p: number): number {
  const n = s.length;
  const rank = (p / 100) * (n - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(lo + 1, n - 1);
  const frac = rank - lo;
  const a = s[lo]!;
  const b = s[hi]!;
  return frac === 0 ? a : a + (b - a) * frac;
}

/** Mean of a[start..end), unchecked. */
export function meanOf(a: Float64Array, start = 0, end = a.length): number {
  let s = 0;
  for (let i = start; i < end; i++) s += a[i]!;
  return s / (end - start);
}

/** Sample standard deviation (n - 1) of a whole buffer around its known mean m, unchecked. */
export function stdDevOf(a: Float64Array, m: number): number {
  let ss = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - m;
    ss += d * d;
  }
  return Math.sqrt(ss / (a.length - 1));
}

/** MAD of a whole buffer around its known median, overwriting the buffer with the deviations. */
export function madInPlace(a: Float64Array, knownMedian: number): number {
  for (let i = 0; i < a.length; i++) a[i] = Math.abs(a[i]! - knownMedian);
  return medianInPlace(a) * MAD_SCALE;
}
