/**
 * The slope of batch time against iterations, criterion's
 * `stats::bivariate::regression::Slope`: a line through the origin, because a
 * batch of zero iterations takes no time.
 */

import { requireLength, requireSameLength, type IterSample } from './sample.js';

/**
 * Least-squares slope of `times = slope * iters` (a line through the origin):
 * Σ(iters·times) / Σ(iters²), criterion's `Slope::fit`. With linear sampling
 * (iters = d, 2d, 3d, ...) this is the per-iteration time with constant
 * per-sample overhead (timer reads, loop setup) weighted down, because long
 * samples dominate the fit.
 */
export function slope(sample: IterSample): number {
  requireSameLength(sample);
  requireLength(sample.iters, 1, 'slope');
  return slopeAt(sample.iters, sample.times, identity(sample.iters.length));
}

/** The slope fitted to the rows `rows` (indices, repeats allowed) of iters and times, unchecked. */
export function slopeAt(iters: ArrayLike<number>, times: ArrayLike<number>, rows: ArrayLike<number>): number {
  let xy = 0;
  let xx = 0;
  for (let i = 0; i < rows.length; i++) {
    const j = rows[i]!;
    const x = iters[j]!;
    xy += x * times[j]!;
    xx += x * x;
  }
  return xy / xx;
}

/** The row indices 0..n-1: resampling them resamples (iters, times) pairs together. */
export function identity(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => i);
}
