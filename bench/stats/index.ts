/**
 * The harness's statistics, modelled on criterion.rs's `stats` and
 * `analysis` modules and re-implemented here, one idea per file. Everything
 * is a pure function of its arguments: no I/O, no clocks, no `Math.random`;
 * randomised procedures take a `seed` (with a fixed default), so the same
 * input always gives the same output. The rest of the harness imports from
 * here only.
 */

export { averageTimes, type IterSample, type Sample } from './sample.js';
export { mad, MAD_SCALE, mean, median, percentile, stdDev, variance } from './univariate.js';
export { slope } from './regression.js';
export { createRng, DEFAULT_SEED, seededXoshiro, xoshiro128ss } from './rng.js';
export {
  resample,
  type Clusters,
  type Distributions,
  type Draw,
  type ResampleOptions,
  type Statistics,
} from './resample.js';
export { bootstrap, type BootstrapOptions, type BootstrapResult, type Statistic } from './bootstrap.js';
export { estimates, type ConfidenceInterval, type Estimate, type Estimates } from './estimates.js';
export { classifyOutliers, type OutlierClassification, type OutlierLabel } from './outliers.js';
export { logGamma, normalCdf, regularizedIncompleteBeta, studentTCdf, studentTTwoTailedP } from './distributions.js';
export { welchTTest, type WelchTTest } from './welch.js';
export { type Verdict, type VerdictOptions } from './verdict.js';
export { compare, comparePaired, type CompareOptions, type Comparison, type ControlPair } from './compare.js';
export { kde, silvermanBandwidth, type Kde } from './kde.js';
