/**
 * Criterion's absolute estimates (`estimates.json`): bootstrap intervals of
 * the mean, median, MAD and standard deviation of the per-iteration times,
 * and of the slope of batch time against iterations. The shape and key order
 * are criterion's, since the files are read by tools made for criterion.
 */

import { resolveBootstrapOptions, summarise, type BootstrapOptions, type BootstrapResult } from './bootstrap.js';
import { identity, slopeAt } from './regression.js';
import { resample } from './resample.js';
import { seededXoshiro } from './rng.js';
import { averageTimes, isIterSample, requireLength, toFiniteArray, type IterSample, type Sample } from './sample.js';
import { madInPlace, meanOf, stdDevOf } from './univariate.js';
import { medianInPlace } from './selection.js';

export interface ConfidenceInterval {
  readonly confidence_level: number;
  readonly lower_bound: number;
  readonly upper_bound: number;
}

/** One entry of criterion's `estimates.json` / `change/estimates.json`. */
export interface Estimate {
  readonly confidence_interval: ConfidenceInterval;
  readonly point_estimate: number;
  readonly standard_error: number;
}

/** Criterion's `estimates.json` (times in ns; keys in criterion's order). */
export interface Estimates {
  readonly mean: Estimate;
  readonly median: Estimate;
  readonly median_abs_dev: Estimate;
  /** Null unless iteration counts vary (criterion: only for linear sampling). */
  readonly slope: Estimate | null;
  readonly std_dev: Estimate;
}

export function toEstimate(r: BootstrapResult, confidence: number): Estimate {
  return {
    confidence_interval: { confidence_level: confidence, lower_bound: r.lower, upper_bound: r.upper },
    point_estimate: r.point,
    standard_error: r.standardError,
  };
}

/**
 * Input is either per-iteration times, or `{ iters, times }` (then the
 * per-iteration times are `times[i] / iters[i]`). The four univariate
 * statistics share the same resamples, as in criterion. The slope is
 * bootstrapped over (iters, times) pairs, by resampling their row indices,
 * and is reported only when the iteration counts are not all equal:
 * criterion omits it (`null`) for flat sampling, where the regression
 * degenerates to a weighted mean and says nothing the mean does not.
 */
export function estimates(input: Sample | IterSample, opts: BootstrapOptions = {}): Estimates {
  const { resamples, confidence, seed } = resolveBootstrapOptions(opts);
  const xs = isIterSample(input) ? averageTimes(input) : toFiniteArray(input, 2, 'estimates sample');
  requireLength(xs, 2, 'estimates sample');
  const rng = seededXoshiro(seed);
  const estimate = (point: number, replicates: Float64Array) =>
    toEstimate(summarise(point, replicates, confidence), confidence);

  const univariate = resample(
    [[xs]],
    4,
    (draws, out) => {
      const values = draws[0]!.values;
      out[0] = meanOf(values);
      out[1] = stdDevOf(values, out[0]);
      out[2] = medianInPlace(values);
      out[3] = madInPlace(values, out[2]);
    },
    { resamples, rng },
  );
  const [mean, stdDev, median, mad] = univariate.replicates.map((r, i) => estimate(univariate.points[i]!, r));

  let slope: Estimate | null = null;
  if (isIterSample(input) && !allEqual(input.iters)) {
    const { iters, times } = input;
    const fit = resample(
      [[identity(xs.length)]],
      1,
      (draws, out) => {
        out[0] = slopeAt(iters, times, draws[0]!.values);
      },
      { resamples, rng },
    );
    slope = estimate(fit.points[0]!, fit.replicates[0]!);
  }

  return { mean: mean!, median: median!, median_abs_dev: mad!, slope, std_dev: stdDev! };
}

function allEqual(xs: ArrayLike<number>): boolean {
  for (let i = 1; i < xs.length; i++) if (xs[i] !== xs[0]) return false;
  return true;
}
