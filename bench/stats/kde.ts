/**
 * Gaussian kernel density estimates for the report's density plots,
 * criterion's `stats::univariate::kde`, with its bandwidth rule and sweep.
 */

import { requireLength, toFiniteArray, type Sample } from './sample.js';
import { stdDev } from './univariate.js';

export interface Kde {
  /** Evenly spaced evaluation points, by default from min - 3h to max + 3h. */
  readonly xs: number[];
  /** Estimated density at each x (integrates to ~1 over xs). */
  readonly ys: number[];
  /** Kernel bandwidth h, in the sample's unit. */
  readonly bandwidth: number;
}

/**
 * Silverman's rule of thumb as criterion uses it: h = σ · (4 / (3n))^(1/5),
 * with σ the sample standard deviation. Optimal for normal data; it
 * oversmooths multimodal data, which for a timing plot is an acceptable
 * trade for having no tuning knob.
 */
export function silvermanBandwidth(sample: Sample): number {
  requireLength(sample, 2, 'silvermanBandwidth sample');
  return stdDev(sample) * Math.pow(4 / (3 * sample.length), 0.2);
}

/**
 * Gaussian kernel density estimate of the sample, evaluated at `points`
 * evenly spaced x values from min - 3h to max + 3h (criterion's sweep range),
 * for density plots. O(points · n).
 *
 * @param range optional [start, end] of the grid instead, e.g. to draw the
 *   base and new runs on a common axis (criterion's `sweep` takes the same).
 *
 * If every value is identical, σ = 0 and Silverman's h would be 0 (a Dirac
 * spike the grid cannot show); h then falls back to 1e-3 · max(|x|, 1) so the
 * plot shows a narrow peak instead of NaNs.
 */
export function kde(sample: Sample, points = 200, range?: readonly [number, number]): Kde {
  const xs = toFiniteArray(sample, 2, 'kde sample');
  if (!(Number.isInteger(points) && points >= 2)) throw new RangeError(`points must be an integer >= 2, got ${points}`);
  if (range && !(Number.isFinite(range[0]) && Number.isFinite(range[1]) && range[0] < range[1])) {
    throw new RangeError(`range must be finite with start < end, got [${range[0]}, ${range[1]}]`);
  }
  const n = xs.length;
  let h = silvermanBandwidth(xs);
  let min = xs[0]!;
  let max = xs[0]!;
  for (let i = 1; i < n; i++) {
    const v = xs[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!(h > 0)) h = 1e-3 * Math.max(Math.abs(min), 1);
  const start = range ? range[0] : min - 3 * h;
  const end = range ? range[1] : max + 3 * h;
  const step = (end - start) / (points - 1);
  const invH = 1 / h;
  const norm = 1 / (n * h * Math.sqrt(2 * Math.PI));
  const gx: number[] = new Array(points);
  const gy: number[] = new Array(points);
  for (let j = 0; j < points; j++) {
    const x = j === points - 1 ? end : start + step * j;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const u = (x - xs[i]!) * invH;
      sum += Math.exp(-0.5 * u * u);
    }
    gx[j] = x;
    gy[j] = sum * norm;
  }
  return { xs: gx, ys: gy, bandwidth: h };
}
