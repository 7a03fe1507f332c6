/**
 * Statistics for the caro-cache benchmark harness.
 *
 * Modelled on the analysis done by criterion.rs (its `stats` and `analysis`
 * modules), re-implemented here: descriptive statistics, a seedable PRNG,
 * percentile bootstrap confidence intervals, criterion's `estimates.json`
 * shape, Tukey outlier classification, change analysis between two runs with a
 * Welch t-test, and a Gaussian kernel density estimate for plots.
 *
 * Everything here is a pure function of its arguments: no I/O, no clocks, no
 * `Math.random`. Randomised procedures take a `seed` (with a fixed default) so
 * the same input always gives the same output.
 *
 * Units: samples are per-iteration times in nanoseconds, but nothing depends on
 * the unit except that "relative change" is unit-free.
 *
 * Terminology (criterion's): a *sample* i ran `iters[i]` iterations in a total
 * of `times[i]` ns; its per-iteration ("average") time is `times[i] / iters[i]`.
 * The functions that take a plain array expect those per-iteration times.
 */

/** Any array of numbers: `number[]`, `Float64Array`, ... */
export type Sample = ArrayLike<number>;

/** Raw measurements as criterion stores them in `sample.json`. */
export interface IterSample {
  /** Iterations run in each sample (positive). */
  readonly iters: ArrayLike<number>;
  /** Total elapsed time of each sample, in ns. */
  readonly times: ArrayLike<number>;
  /**
   * Which benchmark process took each sample, where several did. The
   * comparison then resamples whole processes first, so that what differs
   * between two processes of the same code (layout, JIT decisions) counts
   * as noise rather than as a change.
   */
  readonly processes?: ArrayLike<number>;
}

// ---------------------------------------------------------------------------
// Input checks
// ---------------------------------------------------------------------------

function requireLength(xs: Sample, min: number, what: string): void {
  if (xs.length < min) {
    throw new RangeError(`${what} needs at least ${min} value${min === 1 ? '' : 's'}, got ${xs.length}`);
  }
}

/** Copies into a Float64Array, rejecting NaN/Infinity (they would silently poison a bootstrap). */
function toFiniteArray(xs: Sample, min: number, what: string): Float64Array {
  requireLength(xs, min, what);
  const out = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i]!;
    if (!Number.isFinite(v)) throw new RangeError(`${what}[${i}] is not a finite number: ${v}`);
    out[i] = v;
  }
  return out;
}

// A module-level scratch buffer so that `median`/`mad` do not allocate on every
// call -- they are natural `statistic`s for `bootstrap`, which calls them
// 100k times. JS is single-threaded and neither function calls user code while
// holding the buffer, so sharing it is safe (each worker has its own module).
let scratchBuf = new Float64Array(256);
function scratch(n: number): Float64Array {
  if (scratchBuf.length < n) scratchBuf = new Float64Array(Math.max(n, scratchBuf.length * 2));
  return scratchBuf;
}

// ---------------------------------------------------------------------------
// Descriptive statistics
// ---------------------------------------------------------------------------

/** Arithmetic mean. Throws on an empty sample; NaN in the input propagates. */
export function mean(xs: Sample): number {
  requireLength(xs, 1, 'mean');
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += xs[i]!;
  return sum / xs.length;
}

/**
 * Sample variance with Bessel's correction (divides by n - 1), as criterion's
 * `Sample::var`: the samples are a draw from the process, not the population.
 * Two-pass (deviations from the mean) rather than sum-of-squares, which loses
 * every significant digit when the mean (~1e6 ns) dwarfs the spread.
 *
 * @param knownMean pass a precomputed mean to save one pass.
 */
export function variance(xs: Sample, knownMean?: number): number {
  requireLength(xs, 2, 'variance');
  const m = knownMean ?? mean(xs);
  let ss = 0;
  for (let i = 0; i < xs.length; i++) {
    const d = xs[i]! - m;
    ss += d * d;
  }
  return ss / (xs.length - 1);
}

/** Sample standard deviation, `sqrt(variance)` (n - 1 denominator). */
export function stdDev(xs: Sample, knownMean?: number): number {
  return Math.sqrt(variance(xs, knownMean));
}

/**
 * Median; for an even count, the mean of the two middle values (the same as
 * `percentile(xs, 50)`). O(n) selection on a scratch copy: the input is not
 * modified and nothing is allocated per call.
 */
export function median(xs: Sample): number {
  requireLength(xs, 1, 'median');
  const n = xs.length;
  const buf = scratch(n);
  for (let i = 0; i < n; i++) {
    const v = xs[i]!;
    if (v !== v) return NaN;
    buf[i] = v;
  }
  return medianInPlace(buf, n);
}

/**
 * Scale that makes the MAD a consistent estimator of the standard deviation
 * for normally distributed data (1 / Φ⁻¹(3/4)); criterion uses the same value.
 */
export const MAD_SCALE = 1.4826;

/**
 * Median absolute deviation from the median, scaled by {@link MAD_SCALE} like
 * criterion's `median_abs_dev`, so it is comparable with `stdDev` but robust to
 * the long right tail that timing samples usually have.
 *
 * @param knownMedian pass a precomputed median to save a selection.
 */
export function mad(xs: Sample, knownMedian?: number): number {
  const m = knownMedian ?? median(xs);
  requireLength(xs, 1, 'mad');
  const n = xs.length;
  const buf = scratch(n);
  for (let i = 0; i < n; i++) {
    const d = Math.abs(xs[i]! - m);
    if (d !== d) return NaN; // NaN would break the selection's comparisons
    buf[i] = d;
  }
  return medianInPlace(buf, n) * MAD_SCALE;
}

/**
 * The p-th percentile (p in [0, 100]) with linear interpolation between the
 * closest ranks: rank = p/100 * (n - 1). This is criterion's
 * `Percentiles::at`, numpy's default ("linear") and R's type 7.
 *
 * Accepts sorted or unsorted input: sortedness is checked in O(n) and an
 * unsorted input is sorted on a copy (the argument is never modified).
 */
export function percentile(xs: Sample, p: number): number {
  requireLength(xs, 1, 'percentile');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile p must be in [0, 100], got ${p}`);
  let sorted = true;
  for (let i = 1; i < xs.length; i++) {
    if (!(xs[i - 1]! <= xs[i]!)) {
      sorted = false;
      break;
    }
  }
  if (!sorted) {
    const copy = Float64Array.from(xs);
    copy.sort();
    return percentileOfSorted(copy, p);
  }
  return percentileOfSorted(xs, p);
}

function percentileOfSorted(s: Sample, p: number): number {
  const n = s.length;
  const rank = (p / 100) * (n - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(lo + 1, n - 1);
  const frac = rank - lo;
  const a = s[lo]!;
  const b = s[hi]!;
  return frac === 0 ? a : a + (b - a) * frac;
}

/**
 * Per-iteration times `times[i] / iters[i]` (criterion's "avg_times").
 * Validates that both arrays have the same length, iters are positive and
 * everything is finite.
 */
export function averageTimes(sample: IterSample): Float64Array {
  const { iters, times } = sample;
  if (iters.length !== times.length) {
    throw new RangeError(`iters and times differ in length (${iters.length} vs ${times.length})`);
  }
  const out = new Float64Array(iters.length);
  for (let i = 0; i < iters.length; i++) {
    const it = iters[i]!;
    const t = times[i]!;
    if (!(Number.isFinite(it) && it > 0)) throw new RangeError(`iters[${i}] must be a positive number, got ${it}`);
    if (!Number.isFinite(t)) throw new RangeError(`times[${i}] is not a finite number: ${t}`);
    out[i] = t / it;
  }
  return out;
}

/**
 * Least-squares slope of `times = slope * iters` (a line through the origin):
 * Σ(iters·times) / Σ(iters²), criterion's `Slope::fit`. With linear sampling
 * (iters = d, 2d, 3d, ...) this is the per-iteration time with constant
 * per-sample overhead (timer reads, loop setup) weighted down, because long
 * samples dominate the fit.
 */
export function slope(sample: IterSample): number {
  const { iters, times } = sample;
  if (iters.length !== times.length) {
    throw new RangeError(`iters and times differ in length (${iters.length} vs ${times.length})`);
  }
  requireLength(iters, 1, 'slope');
  let xy = 0;
  let xx = 0;
  for (let i = 0; i < iters.length; i++) {
    const x = iters[i]!;
    xy += x * times[i]!;
    xx += x * x;
  }
  return xy / xx;
}

// ---------------------------------------------------------------------------
// Selection (in place, O(n) expected)
// ---------------------------------------------------------------------------

/**
 * Rearranges a[lo..hi] so that a[k] holds the value it would have if sorted,
 * with everything before it <= a[k] <= everything after it. Hoare partitioning
 * with a median-of-three pivot; the caller guarantees no NaN.
 */
function selectInPlace(a: Float64Array, k: number, lo: number, hi: number): void {
  while (hi > lo) {
    if (hi - lo < 16) {
      // Insertion sort is faster than partitioning for tiny ranges.
      for (let i = lo + 1; i <= hi; i++) {
        const v = a[i]!;
        let j = i - 1;
        while (j >= lo && a[j]! > v) {
          a[j + 1] = a[j]!;
          j--;
        }
        a[j + 1] = v;
      }
      return;
    }
    const mid = (lo + hi) >>> 1;
    // Order a[lo], a[mid], a[hi]; the median of the three becomes the pivot.
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    // Now a[lo..j] <= pivot <= a[i..hi], and any of a[j+1..i-1] equal pivot.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/** Median of a[0..n), reordering a. */
function medianInPlace(a: Float64Array, n: number): number {
  const k = n >>> 1;
  selectInPlace(a, k, 0, n - 1);
  const upper = a[k]!;
  if (n & 1) return upper;
  // After selection a[0..k) are all <= a[k]; the lower middle is their maximum.
  let lower = a[0]!;
  for (let i = 1; i < k; i++) if (a[i]! > lower) lower = a[i]!;
  return (lower + upper) / 2;
}

/** Mean and sample standard deviation of a[0..n) in two passes. */
function meanOf(a: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i]!;
  return s / n;
}

function stdDevOf(a: Float64Array, n: number, m: number): number {
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = a[i]! - m;
    ss += d * d;
  }
  return Math.sqrt(ss / (n - 1));
}

// ---------------------------------------------------------------------------
// Random numbers
// ---------------------------------------------------------------------------

/** Seed used when none is given, so that every function here is deterministic. */
export const DEFAULT_SEED = 0x5eed;

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * xoshiro128** (Blackman & Vigna): 128 bits of state, period 2^128 - 1, passes
 * BigCrush, and needs only 32-bit integer ops, which JS does natively via
 * `Math.imul` and `|0` -- much faster than a 64-bit generator on BigInt.
 */
class Xoshiro128 {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(s0: number, s1: number, s2: number, s3: number) {
    this.s0 = s0 | 0;
    this.s1 = s1 | 0;
    this.s2 = s2 | 0;
    this.s3 = s3 | 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) {
      throw new RangeError('xoshiro128** state must not be all zero');
    }
  }

  /** Next output as an unsigned 32-bit integer. */
  nextU32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }
}

/** SplitMix32-style step: Weyl increment then the murmur3 fmix32 finaliser. */
function mix32(z: number): number {
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function seededXoshiro(seed: number): Xoshiro128 {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  // Integer part modulo 2^64, split into two 32-bit words.
  const int = Math.trunc(seed);
  const lo = int >>> 0;
  const hi = Math.floor(int / 4294967296) >>> 0;
  // Expand the seed with a Weyl sequence + finaliser so that nearby seeds
  // (1, 2, 3...) give unrelated states, as the xoshiro authors recommend.
  let w = (lo ^ mix32(hi ^ 0x6a09e667)) >>> 0;
  const s: number[] = [];
  for (let i = 0; i < 4; i++) {
    w = (w + 0x9e3779b9) >>> 0;
    s.push(mix32(w));
  }
  if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) s[0] = 1; // cannot happen in practice
  return new Xoshiro128(s[0]!, s[1]!, s[2]!, s[3]!);
}

/**
 * A seedable PRNG returning floats uniform in [0, 1) with 32 bits of
 * resolution. The same seed always yields the same sequence. Seeds are
 * integers (a fractional part is ignored).
 */
export function createRng(seed: number): () => number {
  const g = seededXoshiro(seed);
  return () => g.nextU32() * 2.3283064365386963e-10; // 2^-32
}

/**
 * The raw xoshiro128** generator from an explicit 128-bit state (four 32-bit
 * words, not all zero), yielding unsigned 32-bit integers. Exposed so the
 * generator can be checked against the reference implementation's outputs;
 * use {@link createRng} otherwise.
 */
export function xoshiro128ss(s0: number, s1: number, s2: number, s3: number): () => number {
  const g = new Xoshiro128(s0, s1, s2, s3);
  return () => g.nextU32();
}

// ---------------------------------------------------------------------------
// Bootstrap
// ---------------------------------------------------------------------------

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

interface ResolvedOptions {
  resamples: number;
  confidence: number;
  seed: number;
}

function resolveBootstrapOptions(opts: BootstrapOptions): ResolvedOptions {
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

/** Fills buf with n values drawn with replacement from src. */
function resampleInto(buf: Float64Array, src: Float64Array, rng: Xoshiro128): void {
  const n = src.length;
  // u32 * n / 2^32 is uniform on 0..n-1 up to a bias below n / 2^32 (< 1e-5
  // for any realistic sample size), far under bootstrap Monte-Carlo error.
  const scale = n * 2.3283064365386963e-10;
  for (let i = 0; i < n; i++) buf[i] = src[(rng.nextU32() * scale) | 0]!;
}

/**
 * Percentile CI and standard error from a bootstrap distribution (sorted in
 * place). Criterion: `(at(50(1-cl)), at(50(1+cl)))` with linearly
 * interpolated percentiles, standard error = std dev of the distribution.
 * Non-finite replicates are kept (sorted to the ends), so a statistic that can
 * blow up shows up as infinite/NaN bounds rather than a silently narrowed CI.
 */
function summarise(point: number, dist: Float64Array, confidence: number): BootstrapResult {
  const m = meanOf(dist, dist.length);
  const standardError = stdDevOf(dist, dist.length, m);
  dist.sort();
  return {
    point,
    lower: percentileOfSorted(dist, 50 * (1 - confidence)),
    upper: percentileOfSorted(dist, 50 * (1 + confidence)),
    standardError,
  };
}

/**
 * Percentile bootstrap (Efron): resample the sample with replacement
 * `resamples` times, evaluate `statistic` on each resample, and take the
 * (1-confidence)/2 and (1+confidence)/2 percentiles of those values as the
 * confidence interval. Needs no distributional assumption, which matters for
 * timing data (skewed, multimodal, heavy right tail).
 *
 * One Float64Array is reused for every resample, so the loop allocates nothing
 * beyond what `statistic` does; `mean`, `median` and `mad` from this module
 * allocate nothing either.
 */
export function bootstrap(sample: Sample, statistic: Statistic, opts: BootstrapOptions = {}): BootstrapResult {
  const { resamples, confidence, seed } = resolveBootstrapOptions(opts);
  const xs = toFiniteArray(sample, 1, 'bootstrap sample');
  const rng = seededXoshiro(seed);
  const point = statistic(Float64Array.from(xs)); // a copy: the statistic may reorder it
  const buf = new Float64Array(xs.length);
  const dist = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    resampleInto(buf, xs, rng);
    dist[r] = statistic(buf);
  }
  return summarise(point, dist, confidence);
}

// ---------------------------------------------------------------------------
// Estimates (criterion's estimates.json)
// ---------------------------------------------------------------------------

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

function toEstimate(r: BootstrapResult, confidence: number): Estimate {
  return {
    confidence_interval: { confidence_level: confidence, lower_bound: r.lower, upper_bound: r.upper },
    point_estimate: r.point,
    standard_error: r.standardError,
  };
}

function isIterSample(x: Sample | IterSample): x is IterSample {
  return typeof (x as IterSample).iters === 'object' && typeof (x as IterSample).times === 'object';
}

/**
 * Criterion's absolute estimates: bootstrap CIs of the mean, median, MAD and
 * standard deviation of the per-iteration times, plus the slope of the
 * `times = slope · iters` regression.
 *
 * Input is either per-iteration times, or `{ iters, times }` (then the
 * per-iteration times are `times[i] / iters[i]`). The four univariate
 * statistics share the same resamples, as in criterion. The slope is
 * bootstrapped over (iters, times) pairs and is reported only when the
 * iteration counts are not all equal: criterion omits it (`null`) for flat
 * sampling, where the regression degenerates to a weighted mean and says
 * nothing the mean does not.
 */
export function estimates(input: Sample | IterSample, opts: BootstrapOptions = {}): Estimates {
  const { resamples, confidence, seed } = resolveBootstrapOptions(opts);
  const iterSample = isIterSample(input) ? input : null;
  const xs = isIterSample(input) ? averageTimes(input) : toFiniteArray(input, 2, 'estimates sample');
  requireLength(xs, 2, 'estimates sample');
  const n = xs.length;
  const rng = seededXoshiro(seed);

  // Point estimates on the original sample.
  const work = Float64Array.from(xs);
  const pMean = meanOf(work, n);
  const pStd = stdDevOf(work, n, pMean);
  const pMedian = medianInPlace(work, n);
  for (let i = 0; i < n; i++) work[i] = Math.abs(xs[i]! - pMedian);
  const pMad = medianInPlace(work, n) * MAD_SCALE;

  const dMean = new Float64Array(resamples);
  const dStd = new Float64Array(resamples);
  const dMedian = new Float64Array(resamples);
  const dMad = new Float64Array(resamples);
  const buf = new Float64Array(n);
  for (let r = 0; r < resamples; r++) {
    resampleInto(buf, xs, rng);
    const m = meanOf(buf, n);
    dMean[r] = m;
    dStd[r] = stdDevOf(buf, n, m);
    const med = medianInPlace(buf, n);
    dMedian[r] = med;
    for (let i = 0; i < n; i++) buf[i] = Math.abs(buf[i]! - med);
    dMad[r] = medianInPlace(buf, n) * MAD_SCALE;
  }

  let slopeEstimate: Estimate | null = null;
  if (iterSample && !allEqual(iterSample.iters)) {
    const it = Float64Array.from(iterSample.iters);
    const tm = Float64Array.from(iterSample.times);
    const point = slope(iterSample);
    const dSlope = new Float64Array(resamples);
    const scale = n * 2.3283064365386963e-10;
    for (let r = 0; r < resamples; r++) {
      let xy = 0;
      let xx = 0;
      for (let i = 0; i < n; i++) {
        const j = (rng.nextU32() * scale) | 0;
        const x = it[j]!;
        xy += x * tm[j]!;
        xx += x * x;
      }
      dSlope[r] = xy / xx;
    }
    slopeEstimate = toEstimate(summarise(point, dSlope, confidence), confidence);
  }

  return {
    mean: toEstimate(summarise(pMean, dMean, confidence), confidence),
    median: toEstimate(summarise(pMedian, dMedian, confidence), confidence),
    median_abs_dev: toEstimate(summarise(pMad, dMad, confidence), confidence),
    slope: slopeEstimate,
    std_dev: toEstimate(summarise(pStd, dStd, confidence), confidence),
  };
}

function allEqual(xs: ArrayLike<number>): boolean {
  for (let i = 1; i < xs.length; i++) if (xs[i] !== xs[0]) return false;
  return true;
}

// ---------------------------------------------------------------------------
// Outliers
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Special functions: log-gamma, incomplete beta, Student t, normal
// ---------------------------------------------------------------------------

const HALF_LN_2PI = 0.9189385332046728; // ln(2π) / 2

/**
 * ln Γ(x) for x > 0. Stirling's asymptotic series (to the x^-9 term) for
 * x >= 10, where its truncation error is below 2e-14; smaller x are shifted up
 * with Γ(x) = Γ(x + k) / (x (x+1) ... (x+k-1)).
 */
export function logGamma(x: number): number {
  if (!(x > 0)) {
    if (x === 0) return Infinity;
    throw new RangeError(`logGamma is only implemented for x > 0, got ${x}`);
  }
  if (x === Infinity) return Infinity;
  let shift = 0;
  let prod = 1;
  while (x < 10) {
    prod *= x;
    x += 1;
    shift++;
  }
  const lg = (x - 0.5) * Math.log(x) - x + HALF_LN_2PI + stirlingSeries(x);
  return shift === 0 ? lg : lg - Math.log(prod);
}

/** The correction ln Γ(x) - [(x - ½) ln x - x + ½ ln 2π] for x >= 10. */
function stirlingSeries(x: number): number {
  const inv = 1 / x;
  const inv2 = inv * inv;
  return inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 * (1 / 1680 - inv2 * (1 / 1188)))));
}

/**
 * ln B(a, b) = ln Γ(a) + ln Γ(b) - ln Γ(a + b). When the larger argument is
 * big (the t distribution with large df has a = df/2), ln Γ(a) and
 * ln Γ(a + b) are huge and nearly equal; their difference is taken
 * analytically from Stirling's formula instead, with log1p, so no digits are
 * lost to cancellation.
 */
function logBeta(a: number, b: number): number {
  const big = Math.max(a, b);
  const small = Math.min(a, b);
  if (big < 10) return logGamma(a) + logGamma(b) - logGamma(a + b);
  // ln Γ(big) - ln Γ(big + small)
  //   = -(big - ½) ln(1 + small/big) - small ln(big + small) + small + S(big) - S(big + small)
  const sum = big + small;
  const diff =
    -(big - 0.5) * Math.log1p(small / big) - small * Math.log(sum) + small + stirlingSeries(big) - stirlingSeries(sum);
  return logGamma(small) + diff;
}

/**
 * Continued fraction for I_x(a, b) (the classical expansion, e.g. DLMF
 * 8.17.22), evaluated with the modified Lentz method. Converges quickly when
 * x < (a + 1) / (a + b + 2). `y` is 1 - x, passed separately so callers can
 * compute it without cancellation.
 */
function betaContinuedFraction(x: number, y: number, a: number, b: number): number {
  const TINY = 1e-300;
  const EPS = 1e-16;
  const maxIter = 10_000 + Math.ceil(20 * Math.sqrt(Math.max(a, b)));
  // Leading factor x^a y^b / (a B(a, b)), in logs to avoid under/overflow.
  // ln of a value near 1 is taken as log1p of its (accurately known)
  // complement: with a ~ 1e6, a·ln(x) would otherwise amplify x's rounding.
  const lnX = x > 0.5 ? Math.log1p(-y) : Math.log(x);
  const lnY = y > 0.5 ? Math.log1p(-x) : Math.log(y);
  const logFront = a * lnX + b * lnY - logBeta(a, b) - Math.log(a);
  // f = 1 / (1 + d1 / (1 + d2 / (1 + ...)))
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let f = d;
  for (let m = 1; m <= maxIter; m++) {
    const m2 = 2 * m;
    // Even term d_{2m} = m (b - m) x / ((a + 2m - 1)(a + 2m))
    let num = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + num / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    f *= d * c;
    // Odd term d_{2m+1} = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1))
    num = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + num / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    f *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return Math.exp(logFront) * f;
}

/** I_x(a, b) with y = 1 - x supplied by the caller. */
function incompleteBeta(x: number, y: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  // Use the fraction on whichever side converges fast; the symmetry
  // I_x(a, b) = 1 - I_{1-x}(b, a) covers the other.
  if (x < (a + 1) / (a + b + 2)) return betaContinuedFraction(x, y, a, b);
  return 1 - betaContinuedFraction(y, x, b, a);
}

/**
 * Regularized incomplete beta function I_x(a, b) = B(x; a, b) / B(a, b), for
 * a, b > 0 and x in [0, 1]. Checked against mpmath (50 digits) on a grid of
 * a, b in 0.1..1000: absolute error < 2e-14, relative < 4e-13.
 */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0)) throw new RangeError(`a and b must be > 0, got a=${a}, b=${b}`);
  if (!(x >= 0 && x <= 1)) throw new RangeError(`x must be in [0, 1], got ${x}`);
  return incompleteBeta(x, 1 - x, a, b);
}

/**
 * Complementary error function: Maclaurin series of erf for |x| < 2.5, a
 * Lentz-evaluated continued fraction beyond (absolute error ~1e-14).
 */
function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  if (x < 2.5) {
    // erf(x) = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = e^{-x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
  const TINY = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    d = x + a * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = x + a / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** Standard normal CDF Φ(z). */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) return NaN;
  return 0.5 * erfc(-z / Math.SQRT2);
}

/**
 * Two-tailed p-value P(|T| >= |t|) for Student's t with `df` degrees of
 * freedom (df > 0, may be fractional as in Welch's test, or Infinity for the
 * normal limit). Computed directly as I_{df/(df+t²)}(df/2, 1/2), not as
 * 1 - CDF, so tiny p-values keep their relative precision. Against mpmath on
 * df in 0.3..1e7, |t| up to 1e4: absolute error < 2e-11.
 */
export function studentTTwoTailedP(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`df must be > 0, got ${df}`);
  if (Number.isNaN(t)) return NaN;
  if (df === Infinity) return 2 * normalCdf(-Math.abs(t));
  const t2 = t * t;
  if (t2 === Infinity) return 0;
  const denom = df + t2;
  return incompleteBeta(df / denom, t2 / denom, df / 2, 0.5);
}

/** Student's t cumulative distribution function P(T <= t). */
export function studentTCdf(t: number, df: number): number {
  const tail = studentTTwoTailedP(t, df) / 2;
  return t < 0 ? tail : 1 - tail;
}

export interface WelchTTest {
  /** (mean(a) - mean(b)) / sqrt(var(a)/na + var(b)/nb). */
  readonly t: number;
  /** Welch–Satterthwaite degrees of freedom. */
  readonly df: number;
  /** Two-tailed p-value. */
  readonly pValue: number;
}

/**
 * Welch's unequal-variance two-sample t-test (two-tailed). Chosen over
 * Student's pooled test because two benchmark runs rarely have equal
 * variances. t is positive when mean(a) > mean(b).
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

// ---------------------------------------------------------------------------
// Change analysis
// ---------------------------------------------------------------------------

export type Verdict = 'improved' | 'regressed' | 'no change' | 'inconclusive';

/** The same control measured in both runs: its drift between them is the machine's, not the code's. */
export interface ControlPair {
  readonly base: Sample | IterSample;
  readonly next: Sample | IterSample;
}

export interface CompareOptions extends BootstrapOptions {
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

/** A sample as per-iteration times, checked, split by the process that took them (one group without labels). */
function perIteration(sample: Sample | IterSample, what: string): { xs: Float64Array; groups: Float64Array[] } {
  const xs = isIterSample(sample) ? averageTimes(sample) : toFiniteArray(sample, 2, what);
  requireLength(xs, 2, what);
  const labels = isIterSample(sample) ? sample.processes : undefined;
  if (labels === undefined) return { xs, groups: [xs] };
  if (labels.length !== xs.length) throw new RangeError(`${what}: processes and times differ in length`);
  const byProcess = new Map<number, number[]>();
  for (let i = 0; i < xs.length; i++) byProcess.set(labels[i]!, [...(byProcess.get(labels[i]!) ?? []), xs[i]!]);
  return { xs, groups: [...byProcess.values()].map((g) => Float64Array.from(g)) };
}

/**
 * Draws bootstrap resamples of a sample into one reused buffer: its
 * processes with replacement, then each drawn process's values with
 * replacement (a two-stage cluster bootstrap; with one process, the plain
 * bootstrap). The view returned is valid until the next draw.
 */
function drawer(groups: Float64Array[], rng: Xoshiro128): () => Float64Array {
  const longest = Math.max(...groups.map((g) => g.length));
  const buf = new Float64Array(longest * groups.length);
  const scale = groups.length * 2.3283064365386963e-10;
  return () => {
    if (groups.length === 1) {
      resampleInto(buf.subarray(0, groups[0]!.length), groups[0]!, rng);
      return buf.subarray(0, groups[0]!.length);
    }
    let n = 0;
    for (let k = 0; k < groups.length; k++) {
      const group = groups[(rng.nextU32() * scale) | 0]!;
      resampleInto(buf.subarray(n, n + group.length), group, rng);
      n += group.length;
    }
    return buf.subarray(0, n);
  };
}

/**
 * Compares a new run against a baseline the way criterion does, with the
 * verdicts of a gate that must not mistake a wide interval for no change.
 *
 * 1. Relative change `new / base - 1` of the mean and of the median, each
 *    divided by the controls' drift when there are controls, with percentile
 *    bootstrap CIs: every sample (subject and controls, base and new) is
 *    resampled independently in each replicate, since the runs are
 *    independent samples (not paired).
 * 2. A two-tailed Welch t-test of equal means on the per-iteration times, the
 *    new ones divided by the drift.
 * 3. The verdict, with [lb, ub] the CI of the mean change:
 *    - p < significance and lb > +noise          → 'regressed'
 *    - p < significance and ub < -noise          → 'improved'
 *    - -threshold <= lb and ub <= +threshold     → 'no change'
 *    - anything else (the interval is too wide
 *      to tell a change of `threshold` from none) → 'inconclusive'
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
  const resolved = resolveCompareOptions(opts);
  const { resamples, confidence, seed } = resolved;
  const { xs: base, groups: baseGroups } = perIteration(baseSample, 'base sample');
  const { xs: next, groups: nextGroups } = perIteration(newSample, 'new sample');
  const controls = (opts.controls ?? []).map((c, i) => ({
    base: perIteration(c.base, `control ${i} base sample`),
    next: perIteration(c.next, `control ${i} new sample`),
  }));

  // The one resampling kernel: each replicate draws every sample afresh and
  // records the drift-corrected change of the mean and of the median.
  const rng = seededXoshiro(seed);
  const controlDraws = controls.map((c) => ({ base: drawer(c.base.groups, rng), next: drawer(c.next.groups, rng) }));
  const logDrift = (pairs: { base: Float64Array; next: Float64Array }[]) =>
    pairs.length === 0
      ? 0
      : pairs.reduce((sum, p) => sum + Math.log(meanOf(p.next, p.next.length) / meanOf(p.base, p.base.length)), 0) /
        pairs.length;
  const changes = (b: Float64Array, n: Float64Array, drift: number) => ({
    mean: meanOf(n, n.length) / meanOf(b, b.length) / drift - 1,
    median: medianInPlace(n, n.length) / medianInPlace(b, b.length) / drift - 1,
  });

  const drift = Math.exp(logDrift(controls.map((c) => ({ base: c.base.xs, next: c.next.xs }))));
  const point = changes(Float64Array.from(base), Float64Array.from(next), drift);
  const drawBase = drawer(baseGroups, rng);
  const drawNext = drawer(nextGroups, rng);
  const dMean = new Float64Array(resamples);
  const dMedian = new Float64Array(resamples);
  const dDrift = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    const b = drawBase();
    const n = drawNext();
    dDrift[r] = Math.exp(logDrift(controlDraws.map((c) => ({ base: c.base(), next: c.next() }))));
    const change = changes(b, n, dDrift[r]);
    dMean[r] = change.mean;
    dMedian[r] = change.median;
  }
  const meanChange = toEstimate(summarise(point.mean, dMean, confidence), confidence);
  const medianChange = toEstimate(summarise(point.median, dMedian, confidence), confidence);
  const driftEstimate = toEstimate(summarise(drift, dDrift, confidence), confidence);

  const test = welchTTest(
    next.map((x) => x / drift),
    base,
  );
  return comparison(meanChange, medianChange, test, resolved, controls.length > 0 ? 'controls' : 'none', driftEstimate);
}

type ResolvedCompareOptions = ResolvedOptions & { noiseThreshold: number; significance: number; threshold: number };

function resolveCompareOptions(opts: CompareOptions): ResolvedCompareOptions {
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

/** A Comparison from its estimates and test, with the verdict they give. */
function comparison(
  mean: Estimate,
  median: Estimate,
  test: { t: number; df: number; pValue: number },
  { noiseThreshold, significance, threshold }: ResolvedCompareOptions,
  normalisation: Comparison['normalisation'],
  drift: Estimate,
): Comparison {
  return {
    mean,
    median,
    tStatistic: test.t,
    df: test.df,
    pValue: test.pValue,
    verdict: verdictOf(test.pValue, mean.confidence_interval, noiseThreshold, significance, threshold),
    noiseThreshold,
    significance,
    threshold,
    normalisation,
    drift,
  };
}

/** The verdict on a change from its p-value and the interval of its mean (see `compare`). */
function verdictOf(
  pValue: number,
  ci: ConfidenceInterval,
  noiseThreshold: number,
  significance: number,
  threshold: number,
): Verdict {
  const { lower_bound: lb, upper_bound: ub } = ci;
  if (pValue < significance && lb > noiseThreshold) return 'regressed';
  if (pValue < significance && ub < -noiseThreshold) return 'improved';
  if (lb >= -threshold && ub <= threshold) return 'no change';
  return 'inconclusive';
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
  const resolved = resolveCompareOptions(opts);
  const { resamples, confidence, seed } = resolved;
  const base = perIteration(baseSample, 'base sample');
  const next = perIteration(newSample, 'new sample');
  const labels = (s: IterSample) => [...new Set(Array.from(s.processes ?? [0]))].join(',');
  if (labels(baseSample) !== labels(newSample)) {
    throw new RangeError('paired samples need the same processes on both sides');
  }
  const pairs = base.groups.map((b, k) => ({ base: b, next: next.groups[k]! }));
  const logRatio = (b: Float64Array, n: Float64Array, of: (xs: Float64Array) => number) => Math.log(of(n) / of(b));
  const mean = (xs: Float64Array) => meanOf(xs, xs.length);
  const median = (xs: Float64Array) => medianInPlace(xs, xs.length);
  const change = (ratios: number[]) => Math.exp(ratios.reduce((a, r) => a + r, 0) / ratios.length) - 1;

  const rng = seededXoshiro(seed);
  const draws = pairs.map((p) => ({ base: drawer([p.base], rng), next: drawer([p.next], rng) }));
  const scale = pairs.length * 2.3283064365386963e-10;
  const dMean = new Float64Array(resamples);
  const dMedian = new Float64Array(resamples);
  const means: number[] = new Array(pairs.length);
  const medians: number[] = new Array(pairs.length);
  for (let r = 0; r < resamples; r++) {
    for (let k = 0; k < pairs.length; k++) {
      const pair = draws[pairs.length === 1 ? 0 : (rng.nextU32() * scale) | 0]!;
      const b = pair.base();
      const n = pair.next();
      means[k] = logRatio(b, n, mean);
      medians[k] = logRatio(b, n, median);
    }
    dMean[r] = change(means);
    dMedian[r] = change(medians);
  }
  const pointMeans = pairs.map((p) => logRatio(p.base, p.next, mean));
  const pointMedians = pairs.map((p) => logRatio(Float64Array.from(p.base), Float64Array.from(p.next), median));
  const meanChange = toEstimate(summarise(change(pointMeans), dMean, confidence), confidence);
  const medianChange = toEstimate(summarise(change(pointMedians), dMedian, confidence), confidence);

  let test: { t: number; df: number; pValue: number };
  if (pairs.length === 1) {
    test = welchTTest(next.xs, base.xs);
  } else {
    const m = pointMeans.reduce((a, x) => a + x, 0) / pairs.length;
    const sd = stdDev(pointMeans);
    const t = sd === 0 ? (m === 0 ? 0 : Math.sign(m) * Infinity) : m / (sd / Math.sqrt(pairs.length));
    test = { t, df: pairs.length - 1, pValue: studentTTwoTailedP(t, pairs.length - 1) };
  }
  const none = toEstimate({ point: 1, lower: 1, upper: 1, standardError: 0 }, confidence);
  return comparison(meanChange, medianChange, test, resolved, 'same run', none);
}

// ---------------------------------------------------------------------------
// Kernel density estimate
// ---------------------------------------------------------------------------

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
