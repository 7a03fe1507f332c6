/**
 * The shapes a sample comes in and the checks every entry point makes on it.
 *
 * Units: samples are per-iteration times in nanoseconds, but nothing depends
 * on the unit except that "relative change" is unit-free. Terminology
 * (criterion's): a *sample* i ran `iters[i]` iterations in a total of
 * `times[i]` ns; its per-iteration ("average") time is `times[i] / iters[i]`.
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

export function requireLength(xs: Sample, min: number, what: string): void {
  if (xs.length < min) {
    throw new RangeError(`${what} needs at least ${min} value${min === 1 ? '' : 's'}, got ${xs.length}`);
  }
}

/** Copies into a Float64Array, rejecting NaN/Infinity (they would silently poison a bootstrap). */
export function toFiniteArray(xs: Sample, min: number, what: string): Float64Array {
  requireLength(xs, min, what);
  const out = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i]!;
    if (!Number.isFinite(v)) throw new RangeError(`${what}[${i}] is not a finite number: ${v}`);
    out[i] = v;
  }
  return out;
}

export function isIterSample(x: Sample | IterSample): x is IterSample {
  return typeof (x as IterSample).iters === 'object' && typeof (x as IterSample).times === 'object';
}

export function requireSameLength(sample: IterSample): void {
  const { iters, times } = sample;
  if (iters.length !== times.length) {
    throw new RangeError(`iters and times differ in length (${iters.length} vs ${times.length})`);
  }
}

/**
 * Per-iteration times `times[i] / iters[i]` (criterion's "avg_times").
 * Validates that both arrays have the same length, iters are positive and
 * everything is finite.
 */
export function averageTimes(sample: IterSample): Float64Array {
  requireSameLength(sample);
  const { iters, times } = sample;
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
