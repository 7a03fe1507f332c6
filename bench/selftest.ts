// Checks the harness's clock against two independent ones: its Map.get figure
// must lie within 15% of mitata's on the same batch. benchmark.js is measured
// beside them for the record (docs/benchmarking.md says why it does not sample).

import { createRequire } from 'node:module';
import { measure } from 'mitata';
import { FLOOR_BATCH as BATCH, floorRoutine } from './floors.js';
import { sample } from './sampler.js';

// The harness's own Map.get floor; its run() uses no `this`, so every clock gets the same function.
const batch = floorRoutine('floor:map-get').run;

interface BenchmarkJs {
  new (name: string, fn: () => void, options: { minSamples: number }): { run(): void; stats: { mean: number } };
}

const middle = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function main(): Promise<void> {
  // Alternate the two clocks and compare medians, so a burst of machine noise
  // during one measurement does not decide the verdict.
  const harness: number[] = [];
  const mitata: number[] = [];
  for (let round = 0; round < 5; round++) {
    const ours = sample({ run: batch }, { warmUpMs: 300, measureMs: 1000, samples: 50 });
    harness.push(ours.times.reduce((a, b) => a + b) / ours.iters.reduce((a, b) => a + b) / BATCH);
    mitata.push((await measure(batch, { min_cpu_time: 1e9 })).avg / BATCH);
  }
  const Benchmark = createRequire(import.meta.url)('benchmark') as BenchmarkJs;
  const suite = new Benchmark('Map.get batch', batch, { minSamples: 50 });
  suite.run();
  const benchmarkJsNs = (suite.stats.mean * 1e9) / BATCH;
  const harnessNs = middle(harness);
  const mitataNs = middle(mitata);
  const off = Math.abs(harnessNs / mitataNs - 1);
  console.log(
    `Map.get per lookup (median of 5 rounds): harness ${harnessNs.toFixed(2)} ns, mitata ${mitataNs.toFixed(2)} ns; benchmark.js ${benchmarkJsNs.toFixed(2)} ns`,
  );
  console.log(`harness vs mitata: ${(off * 100).toFixed(1)}% apart (limit 15%)`);
  if (off > 0.15) process.exitCode = 1;
}

await main();
