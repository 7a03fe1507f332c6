/**
 * Change analysis between two runs, criterion's `analysis::compare`: the
 * relative change of the mean and of the median with bootstrap intervals, a
 * t-test, and the verdict. Two designs: `compare` for runs taken apart (net
 * of the controls' drift between them) and `comparePaired` for two versions
 * sampled in the same turns of one run. Both resample through the one
 * kernel, whole processes first.
 */

import { summarise } from './bootstrap.js';
import { studentTTwoTailedP } from './distributions.js';
import { toEstimate, type Estimate } from './estimates.js';
import { resample, type Clusters, type Draw } from './resample.js';
import { seededXoshiro } from './rng.js';
import { averageTimes, isIterSample, requireLength, toFiniteArray, type IterSample, type Sample } from './sample.js';
import { medianInPlace } from './selection.js';
import { meanOf, stdDev } from './univariate.js';
import {
  resolveVerdictOptions,
  verdictOf,
  type ResolvedVerdictOptions,
  type Verdict,
  type VerdictOptions,
} from './verdict.js';
import { welchTTest, type WelchTTest } from './welch.js';

/** The same control measured in both runs: its drift between them is the machine's, not the code's. */
export interface ControlPair {
  readonly base: Sample | IterSample;
  readonly next: Sample | IterSample;
}

export interface CompareOptions extends VerdictOptions {
  /**
   * Controls measured in both runs (peers and floors, whose code did not
   * change). The change is taken relative to their geometric mean drift, so
   * a machine that slowed down as a whole shows no change; the drift's own
   * uncertainty is resampled with the rest.
   */
  readonly controls?: readonly ControlPair[];
}

/** Criterion's `change/estimates.json` plus the test result and the verdict. */
export interface Comparison {
  /** Relative change of the mean, new / base - 1 (0.1 = 10 % slower), net of the controls' drift. */
  readonly mean: Estimate;
  /** Relative change of the median, new / base - 1, net of the controls' drift. */
  readonly median: Estimate;
  /** Welch t statistic, (mean(new) - mean(base)) / se: positive = slower. */
  readonly tStatistic: number;
  readonly df: number;
  /** Two-tailed Welch p-value for "the means are equal". */
  readonly pValue: number;
  readonly verdict: Verdict;
  readonly noiseThreshold: number;
  readonly significance: number;
  readonly threshold: number;
  /**
   * How the change was judged: net of the controls' drift, as it is, or
   * between two versions sampled in the same turns of one run (comparePaired).
   */
  readonly normalisation: 'controls' | 'none' | 'same run';
  /** The controls' geometric mean ratio of means, new / base (1 without controls). */
  readonly drift: Estimate;
}

/** A sample as per-iteration times, checked, and split into the processes that took them (one without labels). */
function perIteration(sample: Sample | IterSample, what: string): { xs: Float64Array; clusters: Clusters } {
  const xs = isIterSample(sample) ? averageTimes(sample) : toFiniteArray(sample, 2, what);
  requireLength(xs, 2, what);
  const labels = isIterSample(sample) ? sample.processes : undefined;
  if (labels === undefined) return { xs, clusters: [xs] };
  if (labels.length !== xs.length) throw new RangeError(`${what}: processes and times differ in length`);
  const byProcess = new Map<number, number[]>();
  for (let i = 0; i < xs.length; i++) byProcess.set(labels[i]!, [...(byProcess.get(labels[i]!) ?? []), xs[i]!]);
  return { xs, clusters: [...byProcess.values()].map((g) => Float64Array.from(g)) };
}

/**
 * Compares a new run against a baseline the way criterion does, with the
 * verdicts of a gate that must not mistake a wide interval for no change
 * (see `verdictOf`).
 *
 * 1. Relative change `new / base - 1` of the mean and of the median, each
 *    divided by the controls' drift when there are controls, with percentile
 *    bootstrap CIs: every sample (subject and controls, base and new) is
 *    resampled independently in each replicate, since the runs are
 *    independent samples (not paired).
 * 2. A two-tailed Welch t-test of equal means on the per-iteration times, the
 *    new ones divided by the drift.
 *
 * The p-value comes from Welch's analytic t distribution rather than
 * criterion's bootstrapped t under a pooled null: deterministic, cheap, and
 * close for the sample sizes benchmarks use.
 */
export function compare(
  baseSample: Sample | IterSample,
  newSample: Sample | IterSample,
  opts: CompareOptions = {},
): Comparison {
  const resolved = resolveVerdictOptions(opts);
  const { resamples, confidence, seed } = resolved;
  const base = perIteration(baseSample, 'base sample');
  const next = perIteration(newSample, 'new sample');
  const controls = (opts.controls ?? []).flatMap((c, i) => [
    perIteration(c.base, `control ${i} base sample`).clusters,
    perIteration(c.next, `control ${i} new sample`).clusters,
  ]);

  // Samples: base, new, then each control's base and new. Statistics: the
  // change of the mean and of the median net of the drift, and the drift.
  const { points, replicates } = resample(
    [base.clusters, next.clusters, ...controls],
    3,
    (draws, out) => {
      const drift = driftOf(draws);
      const b = draws[0]!.values;
      const n = draws[1]!.values;
      out[0] = meanOf(n) / meanOf(b) / drift - 1;
      out[1] = medianInPlace(n) / medianInPlace(b) / drift - 1;
      out[2] = drift;
    },
    { resamples, rng: seededXoshiro(seed) },
  );
  const [mean, median, drift] = replicates.map((r, i) => toEstimate(summarise(points[i]!, r, confidence), confidence));
  const test = welchTTest(
    next.xs.map((x) => x / points[2]!),
    base.xs,
  );
  return comparison(mean!, median!, test, resolved, controls.length > 0 ? 'controls' : 'none', drift!);
}

/** The controls' geometric mean ratio of means, new / base, from draws[2..] (1 without controls). */
function driftOf(draws: readonly Draw[]): number {
  const pairs = (draws.length - 2) / 2;
  if (pairs === 0) return 1;
  let logSum = 0;
  for (let i = 2; i < draws.length; i += 2) logSum += Math.log(meanOf(draws[i + 1]!.values) / meanOf(draws[i]!.values));
  return Math.exp(logSum / pairs);
}

/**
 * Compares two versions measured in the same run, process beside process:
 * the samples of process k of one version were taken in the same turns as
 * those of process k of the other (the harness's --against). Each pair's
 * ratio of means is free of whatever the machine did between pairs, so the
 * change is the geometric mean of the pairs' ratios, its interval comes from
 * resampling pairs and then the samples within each, and the p-value from a
 * one-sample t-test of the pairs' log ratios (Welch's on the samples while
 * there is only one pair).
 */
export function comparePaired(baseSample: IterSample, newSample: IterSample, opts: CompareOptions = {}): Comparison {
  const resolved = resolveVerdictOptions(opts);
  const { resamples, confidence, seed } = resolved;
  const base = perIteration(baseSample, 'base sample');
  const next = perIteration(newSample, 'new sample');
  const labels = (s: IterSample) => [...new Set(Array.from(s.processes ?? [0]))].join(',');
  if (labels(baseSample) !== labels(newSample)) {
    throw new RangeError('paired samples need the same processes on both sides');
  }

  // Statistics: the geometric mean over pairs of the ratio of means, and of medians.
  const { points, replicates } = resample(
    [base.clusters, next.clusters],
    2,
    (draws, out) => {
      const b = draws[0]!;
      const n = draws[1]!;
      const pairs = b.bounds.length - 1;
      let logMeans = 0;
      let logMedians = 0;
      for (let k = 0; k < pairs; k++) {
        const bs = b.bounds[k]!;
        const be = b.bounds[k + 1]!;
        const ns = n.bounds[k]!;
        const ne = n.bounds[k + 1]!;
        logMeans += Math.log(meanOf(n.values, ns, ne) / meanOf(b.values, bs, be));
        logMedians += Math.log(medianInPlace(n.values, ns, ne) / medianInPlace(b.values, bs, be));
      }
      out[0] = Math.exp(logMeans / pairs) - 1;
      out[1] = Math.exp(logMedians / pairs) - 1;
    },
    { resamples, rng: seededXoshiro(seed), paired: true },
  );
  const [mean, median] = replicates.map((r, i) => toEstimate(summarise(points[i]!, r, confidence), confidence));

  let test: WelchTTest;
  if (base.clusters.length === 1) {
    test = welchTTest(next.xs, base.xs);
  } else {
    const logRatios = base.clusters.map((b, k) => Math.log(meanOf(next.clusters[k]!) / meanOf(b)));
    const pairs = logRatios.length;
    const m = logRatios.reduce((a, x) => a + x, 0) / pairs;
    const sd = stdDev(logRatios);
    const t = sd === 0 ? (m === 0 ? 0 : Math.sign(m) * Infinity) : m / (sd / Math.sqrt(pairs));
    test = { t, df: pairs - 1, pValue: studentTTwoTailedP(t, pairs - 1) };
  }
  const none = toEstimate({ point: 1, lower: 1, upper: 1, standardError: 0 }, confidence);
  return comparison(mean!, median!, test, resolved, 'same run', none);
}

/** A Comparison from its estimates and test, with the verdict they give. */
function comparison(
  mean: Estimate,
  median: Estimate,
  test: WelchTTest,
  resolved: ResolvedVerdictOptions,
  normalisation: Comparison['normalisation'],
  drift: Estimate,
): Comparison {
  const { noiseThreshold, significance, threshold } = resolved;
  return {
    mean,
    median,
    tStatistic: test.t,
    df: test.df,
    pValue: test.pValue,
    verdict: verdictOf(test.pValue, mean.confidence_interval, resolved),
    noiseThreshold,
    significance,
    threshold,
    normalisation,
    drift,
  };
}
