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

export function sample(routine: Routine, options: SamplerOptions): Measurement {
  const sink = { value: 0 };
  // Warm-up: double the batch count until the warm-up time is spent, which
  // also gives the first estimate of the time per batch.
  let warmIters = 0;
  let warmNs = 0;
  for (let iters = 1; warmNs < options.warmUpMs * 1e6; iters *= 2) {
    warmNs += timeBatches(routine, iters, sink);
    warmIters += iters;
  }
  const iters = linearPlan(warmNs, warmIters, options);
  const times = iters.map((count) => timeBatches(routine, count, sink));
  return { iters, times, sink: sink.value };
}
