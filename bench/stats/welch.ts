/**
 * Welch's unequal-variance t-test: the p-value beside a comparison's
 * bootstrap interval. Two benchmark runs rarely have equal variances, so
 * Student's pooled test would be the wrong one.
 */

import { studentTTwoTailedP } from './distributions.js';
import { requireLength, type Sample } from './sample.js';
import { mean, variance } from './univariate.js';

export interface WelchTTest {
  /** (mean(a) - mean(b)) / sqrt(var(a)/na + var(b)/nb). */
  readonly t: number;
  /** Welch–Satterthwaite degrees of freedom. */
  readonly df: number;
  /** Two-tailed p-value. */
  readonly pValue: number;
}

/**
 * Welch's unequal-variance two-sample t-test (two-tailed); t is positive
 * when mean(a) > mean(b).
 *
 * Degenerate case: if both samples have zero variance the statistic is 0/0 or
 * x/0; then t = 0, p = 1 for equal means and t = ±Infinity, p = 0 otherwise,
 * with df = na + nb - 2.
 */
export function welchTTest(a: Sample, b: Sample): WelchTTest {
  requireLength(a, 2, 'welchTTest first sample');
  requireLength(b, 2, 'welchTTest second sample');
  const na = a.length;
  const nb = b.length;
  const ma = mean(a);
  const mb = mean(b);
  const va = variance(a, ma) / na;
  const vb = variance(b, mb) / nb;
  const se2 = va + vb;
  if (se2 === 0) {
    const diff = ma - mb;
    return diff === 0
      ? { t: 0, df: na + nb - 2, pValue: 1 }
      : { t: diff > 0 ? Infinity : -Infinity, df: na + nb - 2, pValue: 0 };
  }
  const t = (ma - mb) / Math.sqrt(se2);
  const df = (se2 * se2) / ((va * va) / (na - 1) + (vb * vb) / (nb - 1));
  return { t, df, pValue: studentTTwoTailedP(t, df) };
}
