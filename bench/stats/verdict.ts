/**
 * The gate's decision rule on a change, kept apart from how the change was
 * estimated so that every comparison reaches its verdict the same way: a
 * wide interval is never read as "no change".
 */

import { resolveBootstrapOptions, type BootstrapOptions, type ResolvedBootstrapOptions } from './bootstrap.js';
import type { ConfidenceInterval } from './estimates.js';

export type Verdict = 'improved' | 'regressed' | 'no change' | 'inconclusive';

export interface VerdictOptions extends BootstrapOptions {
  /** Relative changes within ±noiseThreshold are treated as noise. Default 0.02 (criterion's default). */
  readonly noiseThreshold?: number;
  /** p-value below which the means are taken to differ. Default 0.05 (criterion's default). */
  readonly significance?: number;
  /**
   * The smallest change that matters, at least the noise threshold (the
   * gate's percentage, when there is a gate): 'no change' needs the whole
   * interval within ±threshold. Default: the noise threshold.
   */
  readonly threshold?: number;
}

export type ResolvedVerdictOptions = ResolvedBootstrapOptions & {
  noiseThreshold: number;
  significance: number;
  threshold: number;
};

export function resolveVerdictOptions(opts: VerdictOptions): ResolvedVerdictOptions {
  const noiseThreshold = opts.noiseThreshold ?? 0.02;
  const significance = opts.significance ?? 0.05;
  const threshold = opts.threshold ?? noiseThreshold;
  if (!(noiseThreshold >= 0 && Number.isFinite(noiseThreshold))) {
    throw new RangeError(`noiseThreshold must be a finite number >= 0, got ${noiseThreshold}`);
  }
  if (!(significance > 0 && significance < 1)) {
    throw new RangeError(`significance must be in (0, 1), got ${significance}`);
  }
  if (!(threshold >= noiseThreshold && Number.isFinite(threshold))) {
    throw new RangeError(`threshold must be finite and at least the noise threshold, got ${threshold}`);
  }
  return { ...resolveBootstrapOptions(opts), noiseThreshold, significance, threshold };
}

/**
 * The verdict on a change from its p-value and [lb, ub], the interval of its
 * mean:
 * - p < significance and lb > +noise          → 'regressed'
 * - p < significance and ub < -noise          → 'improved'
 * - -threshold <= lb and ub <= +threshold     → 'no change'
 * - anything else (the interval is too wide
 *   to tell a change of `threshold` from none) → 'inconclusive'
 */
export function verdictOf(
  pValue: number,
  ci: ConfidenceInterval,
  { noiseThreshold, significance, threshold }: ResolvedVerdictOptions,
): Verdict {
  const { lower_bound: lb, upper_bound: ub } = ci;
  if (pValue < significance && lb > noiseThreshold) return 'regressed';
  if (pValue < significance && ub < -noiseThreshold) return 'improved';
  if (lb >= -threshold && ub <= threshold) return 'no change';
  return 'inconclusive';
}
