// Criterion's sampling, in one process: warm up, then take samples of
// growing iteration counts (d, 2d, ..., nd) so that a slope through the
// origin can be fitted and per-call overhead falls out of it.
//
// One iteration is one batch of operations over precomputed inputs, so the
// timer's own cost (tens of ns) is amortised over thousands of operations.
// Every batch returns a number that is folded into a sink that the caller
// checks, so the optimiser cannot drop the work.

export interface Routine {
  /** Runs one batch and returns something derived from its results. */
  run(): number;
  /**
   * Prepares the next batch outside the timed region (e.g. refills a cache
   * that the batch empties). With a setup, each batch is timed on its own.
   */
  setup?(): void;
}

export interface SamplerOptions {
  warmUpMs: number;
  measureMs: number;
  samples: number;
}

export interface Measurement {
  /** Iterations (batches) per sample. */
  iters: number[];
  /** Total ns per sample. */
  times: number[];
  /** Sum of every batch's result: the caller's check that work was done. */
  sink: number;
}

const now = (): bigint => process.hrtime.bigint();

function timeBatches(routine: Routine, iters: number, sink: { value: number }): number {
  if (routine.setup === undefined) {
    let acc = 0;
    const start = now();
    for (let i = 0; i < iters; i++) acc += routine.run();
    const elapsed = Number(now() - start);
    sink.value += acc;
    return elapsed;
  }
  let elapsed = 0;
  for (let i = 0; i < iters; i++) {
    routine.setup();
    const start = now();
    const result = routine.run();
    elapsed += Number(now() - start);
    sink.value += result;
  }
  return elapsed;
}

/**
 * The iteration counts of the samples after a warm-up of `warmIters` batches
 * in `warmNs`: d, 2d, ..., nd, with d chosen so that the samples fill the
 * measurement time.
 */
export function linearPlan(warmNs: number, warmIters: number, options: SamplerOptions): number[] {
  const perBatch = warmNs / warmIters;
  const n = options.samples;
  // Sum of d * (1 + 2 + ... + n) batches should fill the measurement time.
  const d = Math.max(1, Math.ceil((options.measureMs * 1e6) / (perBatch * ((n * (n + 1)) / 2))));
  return Array.from({ length: n }, (_, i) => (i + 1) * d);
}

/**
 * One routine's sampling: warmed up and planned on creation, then its samples
 * are taken one call of `next()` at a time, so that the samples of several
 * subjects can be taken in turn (processes.ts).
 */
export class Sampling {
  readonly iters: number[];
  readonly #times: number[] = [];
  readonly #routine: Routine;
  readonly #sink = { value: 0 };

  constructor(routine: Routine, options: SamplerOptions) {
    this.#routine = routine;
    // Warm-up: double the batch count until the warm-up time is spent, which
    // also gives the first estimate of the time per batch.
    let warmIters = 0;
    let warmNs = 0;
    for (let iters = 1; warmNs < options.warmUpMs * 1e6; iters *= 2) {
      warmNs += timeBatches(routine, iters, this.#sink);
      warmIters += iters;
    }
    this.iters = linearPlan(warmNs, warmIters, options);
  }

  get done(): boolean {
    return this.#times.length === this.iters.length;
  }

  /** Takes the next sample. */
  next(): void {
    if (this.done) throw new Error('every sample has been taken');
    this.#times.push(timeBatches(this.#routine, this.iters[this.#times.length], this.#sink));
  }

  measurement(): Measurement {
    if (!this.done) throw new Error(`${this.iters.length - this.#times.length} samples are still to take`);
    return { iters: this.iters, times: [...this.#times], sink: this.#sink.value };
  }
}

/** Warm-up and every sample, one after the other. */
export function sample(routine: Routine, options: SamplerOptions): Measurement {
  const sampling = new Sampling(routine, options);
  while (!sampling.done) sampling.next();
  return sampling.measurement();
}
