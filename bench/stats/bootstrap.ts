/**
 * The percentile bootstrap (Efron) of one statistic, and the options and
 * summary every bootstrap here shares: the interval is read off the
 * replicates' percentiles, with no distributional assumption, which matters
 * for timing data (skewed, multimodal, heavy right tail).
 */

import { resample } from './resample.js';
import { DEFAULT_SEED, seededXoshiro } from './rng.js';
import { toFiniteArray, type Sample } from './sample.js';
import { meanOf, percentileOfSorted, stdDevOf } from './univariate.js';

export interface BootstrapOptions {
  /** Number of bootstrap resamples (criterion's `nresamples`). Default 100 000. */
  readonly resamples?: number;
  /** Confidence level of the interval, in (0, 1). Default 0.95. */
  readonly confidence?: number;
  /** PRNG seed. Default {@link DEFAULT_SEED}. */
  readonly seed?: number;
}

export interface BootstrapResult {
  /** The statistic evaluated on the original sample. */
  readonly point: number;
  /** Lower bound of the percentile confidence interval. */
  readonly lower: number;
  /** Upper bound of the percentile confidence interval. */
  readonly upper: number;
  /** Standard deviation (n - 1) of the bootstrap distribution. */
  readonly standardError: number;
}

/**
 * A statistic for {@link bootstrap}. It receives a reused buffer holding the
 * current resample: it may reorder it (e.g. sort it in place), but must not
 * keep a reference to it, since the next resample overwrites it.
 */
export type Statistic = (resample: Float64Array) => number;

export type ResolvedBootstrapOptions = Required<BootstrapOptions>;

export function resolveBootstrapOptions(opts: BootstrapOptions): ResolvedBootstrapOptions {
  const resamples = opts.resamples ?? 100_000;
  const confidence = opts.confidence ?? 0.95;
  const seed = opts.seed ?? DEFAULT_SEED;
  if (!(Number.isInteger(resamples) && resamples >= 2)) {
    throw new RangeError(`resamples must be an integer >= 2, got ${resamples}`);
  }
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  }
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  return { resamples, confidence, seed };
}

/**
 * Percentile CI and standard error from a bootstrap distribution (sorted in
 * place). Criterion: `(at(50(1-cl)), at(50(1+cl)))` with linearly
 * interpolated percentiles, standard error = std dev of the distribution.
 * Non-finite replicates are kept (sorted to the ends), so a statistic that can
 * blow up shows up as infinite/NaN bounds rather than a silently narrowed CI.
 */
export function summarise(point: number, replicates: Float64Array, confidence: number): BootstrapResult {
  const standardError = stdDevOf(replicates, meanOf(replicates));
  replicates.sort();
  return {
    point,
    lower: percentileOfSorted(replicates, 50 * (1 - confidence)),
    upper: percentileOfSorted(replicates, 50 * (1 + confidence)),
    standardError,
  };
}

/**
 * Percentile bootstrap: resample the sample with replacement `resamples`
 * times, evaluate `statistic` on each resample, and take the
 * (1-confidence)/2 and (1+confidence)/2 percentiles of those values as the
 * confidence interval.
 */
export function bootstrap(sample: Sample, statistic: Statistic, opts: BootstrapOptions = {}): BootstrapResult {
  const { resamples, confidence, seed } = resolveBootstrapOptions(opts);
  const xs = toFiniteArray(sample, 1, 'bootstrap sample');
  const { points, replicates } = resample(
    [[xs]],
    1,
    (draws, out) => {
      out[0] = statistic(draws[0]!.values);
    },
    { resamples, rng: seededXoshiro(seed) },
  );
  return summarise(points[0]!, replicates[0]!, confidence);
}
