// Checks the harness's clocks against mitata's on the same Map.get batch, on
// the same CPU. Two figures are checked: the in-process sampler's (within
// 15%), and the figure the product reports, which comes from benchmark
// processes sampled in turn and the bootstrap mean of their samples (within
// 10%). benchmark.js is measured beside them for the record
// (docs/benchmarking.md says why it does not sample). Every clock runs under
// the hash seed the benchmark processes get (processes.ts): the seed alone
// moves a Map.get by up to a fifth.

import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { measure } from 'mitata';
import { analyse, addSamples, type RawSample } from './analysis.js';
import { FLOOR_BATCH as BATCH, floorRoutine } from './floors.js';
import { interleave, placement } from './processes.js';
import { sample, type SamplerOptions } from './sampler.js';
import type { Job, WorkerResult } from './worker.js';

const FLOOR = 'floor:map-get';
// The harness's own Map.get floor; its run() uses no `this`, so every clock gets the same function.
const batch = floorRoutine(FLOOR).run;
/** The cache group's full-run sampling, as a benchmark step uses it. */
const SAMPLER: SamplerOptions = { warmUpMs: 500, measureMs: 1500, samples: 50 };
/** Processes sampled in turn, as in a benchmark step with several subjects. */
const PROCESSES = 3;
const ROUNDS = 5;
const workerPath = fileURLToPath(new URL('./worker.js', import.meta.url));

interface BenchmarkJs {
  new (name: string, fn: () => void, options: { minSamples: number }): { run(): void; stats: { mean: number } };
}

const middle = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** The product's figure: the floor in PROCESSES processes sampled in turn, analysed as a run analyses a cell. */
async function reported(cpu: number | undefined): Promise<number> {
  const job: Job = {
    type: 'cell',
    subject: FLOOR,
    kind: 'floor',
    benchmark: 'get_model_hit',
    entries: 100,
    sampler: SAMPLER,
  };
  const jobs = Array.from({ length: PROCESSES }, (_, i) => ({ name: `${FLOOR} #${i + 1}`, job }));
  const raws: RawSample[] = [];
  for (const result of await interleave<WorkerResult>(workerPath, jobs, cpu)) {
    if (result.type !== 'sample') throw new Error(`the floor's process said ${result.type}`);
    addSamples(raws, { subject: FLOOR, kind: 'floor', ...result });
  }
  return analyse(raws[0], 10_000).cell.perUnit.point;
}

function report(what: string, ours: number, theirs: number, limit: number): boolean {
  const off = Math.abs(ours / theirs - 1);
  console.log(`${what} vs mitata: ${(off * 100).toFixed(1)}% apart (limit ${limit * 100}%)`);
  return off <= limit;
}

const HASH_SEED = '--hash-seed=1';

async function main(): Promise<void> {
  if (!process.execArgv.includes(HASH_SEED)) {
    const self = [HASH_SEED, ...process.execArgv, fileURLToPath(import.meta.url)];
    process.exitCode = spawnSync(process.execPath, self, { stdio: 'inherit' }).status ?? 1;
    return;
  }
  // mitata runs in this process: pin all of its threads where the benchmark processes run.
  const where = placement(undefined);
  if (where.cpu !== undefined) spawnSync('taskset', ['-a', '-cp', String(where.cpu), String(process.pid)]);
  console.log(`placement: ${where.description}`);
  // Alternate the clocks and compare medians, so a burst of machine noise
  // during one measurement does not decide the verdict.
  const harness: number[] = [];
  const product: number[] = [];
  const mitata: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const ours = sample({ run: batch }, { warmUpMs: 300, measureMs: 1000, samples: 50 });
    harness.push(ours.times.reduce((a, b) => a + b) / ours.iters.reduce((a, b) => a + b) / BATCH);
    mitata.push((await measure(batch, { min_cpu_time: 1e9 })).avg / BATCH);
    product.push(await reported(where.cpu));
    console.log(
      `round ${round + 1}: sampler ${harness[round].toFixed(2)} ns, in turn ${product[round].toFixed(2)} ns, mitata ${mitata[round].toFixed(2)} ns`,
    );
  }
  const Benchmark = createRequire(import.meta.url)('benchmark') as BenchmarkJs;
  const suite = new Benchmark('Map.get batch', batch, { minSamples: 50 });
  suite.run();
  const benchmarkJsNs = (suite.stats.mean * 1e9) / BATCH;
  const mitataNs = middle(mitata);
  console.log(
    `Map.get per lookup (median of ${ROUNDS} rounds): sampler ${middle(harness).toFixed(2)} ns, processes in turn ${middle(product).toFixed(2)} ns, mitata ${mitataNs.toFixed(2)} ns; benchmark.js ${benchmarkJsNs.toFixed(2)} ns`,
  );
  const inProcess = report('in-process sampler', middle(harness), mitataNs, 0.15);
  const inTurn = report('processes in turn (the reported figure)', middle(product), mitataNs, 0.1);
  if (!inProcess || !inTurn) process.exitCode = 1;
}

await main();
