/**
 * The one resampling kernel: every bootstrap here (bootstrap, estimates,
 * compare, comparePaired) is this loop with its own samples and statistics,
 * so the loop the tests check is the loop the harness runs.
 *
 * A sample is given as clusters, the processes that took its values. Each
 * replicate draws clusters with replacement, then each drawn cluster's values
 * with replacement: a two-stage cluster bootstrap, so that what differs
 * between processes of the same code counts as noise. One cluster is the
 * plain bootstrap, and then no cluster draw is made at all.
 *
 * Resamples go into buffers reused across replicates, so the loop allocates
 * nothing beyond what the statistics do.
 */

import { U32_SCALE, type Xoshiro128 } from './rng.js';

/** A sample as the kernel resamples it: its values, cluster by cluster. */
export type Clusters = readonly Float64Array[];

/** One resample of a sample, overwritten by the next replicate. */
export interface Draw {
  /** The drawn clusters' resampled values, back to back. */
  readonly values: Float64Array;
  /** The k-th drawn cluster occupies values[bounds[k]..bounds[k + 1]). */
  readonly bounds: Int32Array;
}

/**
 * The statistics of one replicate: reads one draw per sample (it may reorder
 * their values, but must not keep them) and writes its figures into `out`.
 */
export type Statistics = (draws: readonly Draw[], out: Float64Array) => void;

export interface ResampleOptions {
  readonly resamples: number;
  /** Drawn from in a fixed order (samples, then their clusters, then values), so a seed fixes the result. */
  readonly rng: Xoshiro128;
  /**
   * Cluster k of every sample is one unit, drawn together: processes of two
   * versions that took their samples in the same turns. Every sample then
   * needs the same number of clusters.
   */
  readonly paired?: boolean;
}

export interface Distributions {
  /** The statistics of the samples as they are (each cluster once, in order). */
  readonly points: Float64Array;
  /** For each statistic, its value in every replicate. */
  readonly replicates: Float64Array[];
}

/** Where one sample's resamples are drawn into. */
class Drawer implements Draw {
  values: Float64Array;
  readonly bounds: Int32Array;
  private readonly buf: Float64Array;

  constructor(readonly clusters: Clusters) {
    const longest = Math.max(...clusters.map((c) => c.length));
    this.buf = new Float64Array(longest * clusters.length);
    this.bounds = new Int32Array(clusters.length + 1);
    this.values = this.buf.subarray(0, 0);
  }

  /** The k-th drawn cluster is `clusters[c]`, resampled; slots are filled in order. */
  fill(k: number, c: number, rng: Xoshiro128): void {
    const src = this.clusters[c]!;
    const start = this.bounds[k]!;
    const n = src.length;
    // u32 * n / 2^32 is uniform on 0..n-1 up to a bias below n / 2^32 (< 1e-5
    // for any realistic sample size), far under bootstrap Monte-Carlo error.
    const scale = n * U32_SCALE;
    for (let i = 0; i < n; i++) this.buf[start + i] = src[(rng.nextU32() * scale) | 0]!;
    this.bounds[k + 1] = start + n;
  }

  /** Every cluster once, as it is. */
  original(): Draw {
    const values = new Float64Array(this.clusters.reduce((n, c) => n + c.length, 0));
    const bounds = new Int32Array(this.clusters.length + 1);
    this.clusters.forEach((c, k) => {
      values.set(c, bounds[k]);
      bounds[k + 1] = bounds[k]! + c.length;
    });
    return { values, bounds };
  }

  /** Ends a replicate: `values` spans what was drawn (a new view only when the length changed). */
  seal(): void {
    const end = this.bounds[this.clusters.length]!;
    if (this.values.length !== end) this.values = this.buf.subarray(0, end);
  }
}

function pick(clusters: number, rng: Xoshiro128): number {
  return clusters === 1 ? 0 : (rng.nextU32() * clusters * U32_SCALE) | 0;
}

/**
 * Bootstrap distributions of `count` statistics of `samples`: `resamples`
 * replicates, each drawing every sample afresh (or, paired, every sample's
 * clusters together) and recording what `statistics` makes of the draws.
 */
export function resample(
  samples: readonly Clusters[],
  count: number,
  statistics: Statistics,
  { resamples, rng, paired = false }: ResampleOptions,
): Distributions {
  if (samples.some((s) => s.length === 0 || s.some((c) => c.length === 0))) {
    throw new RangeError('every sample and every cluster needs at least one value');
  }
  const clusters = samples[0]!.length;
  if (paired && samples.some((s) => s.length !== clusters)) {
    throw new RangeError('paired samples need the same number of clusters');
  }
  const drawers = samples.map((s) => new Drawer(s));
  const points = new Float64Array(count);
  statistics(
    drawers.map((d) => d.original()),
    points,
  );
  const replicates = Array.from({ length: count }, () => new Float64Array(resamples));
  const out = new Float64Array(count);
  for (let r = 0; r < resamples; r++) {
    if (paired) {
      for (let k = 0; k < clusters; k++) {
        const c = pick(clusters, rng);
        for (const d of drawers) d.fill(k, c, rng);
      }
    } else {
      for (const d of drawers) {
        for (let k = 0; k < d.clusters.length; k++) d.fill(k, pick(d.clusters.length, rng), rng);
      }
    }
    for (const d of drawers) d.seal();
    statistics(drawers, out);
    for (let s = 0; s < count; s++) replicates[s]![r] = out[s]!;
  }
  return { points, replicates };
}
