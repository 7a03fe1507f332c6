/**
 * Tukey's fences, criterion's `stats::univariate::outliers::tukey`: outliers
 * labelled for the reader, not removed from the estimates.
 */

import { toFiniteArray, type Sample } from './sample.js';
import { percentileOfSorted } from './univariate.js';

/** Labels are exclusive: a severe outlier is not also counted as mild. */
export type OutlierLabel = 'lowSevere' | 'lowMild' | 'none' | 'highMild' | 'highSevere';

export interface OutlierClassification {
  /** 25th and 75th percentiles (linear interpolation) and their difference. */
  readonly q1: number;
  readonly q3: number;
  readonly iqr: number;
  /** Thresholds: lowSevere = q1 - 3·IQR, lowMild = q1 - 1.5·IQR, highMild = q3 + 1.5·IQR, highSevere = q3 + 3·IQR. */
  readonly fences: {
    readonly lowSevere: number;
    readonly lowMild: number;
    readonly highMild: number;
    readonly highSevere: number;
  };
  /** Number of points with each label (excluding 'none'). */
  readonly counts: {
    readonly lowSevere: number;
    readonly lowMild: number;
    readonly highMild: number;
    readonly highSevere: number;
  };
  /** Total outliers (sum of counts). */
  readonly total: number;
  /** One label per input point, in input order. */
  readonly labels: OutlierLabel[];
}

/**
 * Criterion's modified Tukey method: points below q1 - 3·IQR are low severe,
 * below q1 - 1.5·IQR low mild, above q3 + 1.5·IQR high mild, above q3 + 3·IQR
 * high severe (strict inequalities). Outliers are only reported, never
 * removed: they are often real (GC pauses, page faults, preemption) and the
 * user should see them, but the estimates keep every point.
 */
export function classifyOutliers(sample: Sample): OutlierClassification {
  const xs = toFiniteArray(sample, 1, 'classifyOutliers sample');
  const sorted = Float64Array.from(xs).sort();
  const q1 = percentileOfSorted(sorted, 25);
  const q3 = percentileOfSorted(sorted, 75);
  const iqr = q3 - q1;
  const fences = {
    lowSevere: q1 - 3 * iqr,
    lowMild: q1 - 1.5 * iqr,
    highMild: q3 + 1.5 * iqr,
    highSevere: q3 + 3 * iqr,
  };
  const counts = { lowSevere: 0, lowMild: 0, highMild: 0, highSevere: 0 };
  const labels: OutlierLabel[] = new Array(xs.length);
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    let label: OutlierLabel;
    if (x < fences.lowSevere) label = 'lowSevere';
    else if (x > fences.highSevere) label = 'highSevere';
    else if (x < fences.lowMild) label = 'lowMild';
    else if (x > fences.highMild) label = 'highMild';
    else label = 'none';
    labels[i] = label;
    if (label !== 'none') counts[label]++;
  }
  const total = counts.lowSevere + counts.lowMild + counts.highMild + counts.highSevere;
  return { q1, q3, iqr, fences, counts, total, labels };
}
